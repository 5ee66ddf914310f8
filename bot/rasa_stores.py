"""Rasa tracker and lock stores selected by URL (``TRACKER_STORE_URL``, ``LOCK_STORE_URL``).

Rasa's own SQL and Redis stores take host, port, db … as separate settings; operators
give one URL. These thin subclasses parse it and delegate to Rasa's implementations.

The tracker store also keeps recently used trackers in memory (``TRACKER_CACHE_SIZE``,
default 200; 0 turns it off). Rasa rebuilds the whole session from SQL on every message:
JSON-decoding and replaying every event, so each turn costs more the longer the
conversation runs. A kept tracker is used only when it is unchanged since it was saved
or loaded and the database still holds exactly as many rows of the sender as then (one
indexed COUNT). A turn handled by another instance, an erasure, retention or a failed
turn that was never saved therefore all fall back to Rasa's own load; so does a new
session (Rasa loads only the latest one). Saving a tracker checked in the same turn
(under the conversation's lock) inserts its new events without Rasa's second COUNT.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot import config
from bot.store import sqlite_pragmas

logger = logging.getLogger(__name__)
MUTEX_SECONDS = 10


def sql_settings(url: str) -> dict[str, Any]:
    """Splits a SQLAlchemy URL into the keyword arguments of Rasa's SQLTrackerStore."""
    parsed = make_url(url)
    drivername = parsed.drivername
    if drivername.startswith("postgres:") or drivername == "postgres":
        drivername = "postgresql"
    settings: dict[str, Any] = {"dialect": drivername}
    if drivername.startswith("sqlite"):
        settings["db"] = parsed.database or "rasa.db"
        return settings
    settings.update(
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
        query=dict(parsed.query) or None,
    )
    return settings


def _sqlite_engine(rasa_engine: Any) -> Any:
    """The SQLite tracker store's engine with a connection pool, WAL and NORMAL sync.

    Rasa's engine opens and closes a connection for every query (SQLAlchemy 1.4 uses no
    pool for SQLite files): under load 12 % of the server's time went to connecting and
    closing. And every turn commits: in the default rollback-journal mode each commit
    waits for several fsyncs and blocks readers (the staff inbox reads the same file).
    In WAL mode with NORMAL, a commit survives a crash of any process; only a power cut
    can lose the last commits. Deployments that need more use PostgreSQL.
    """
    engine = sa.create_engine(
        rasa_engine.url,
        poolclass=sa.pool.QueuePool,
        pool_size=5,
        pool_pre_ping=True,
        connect_args={"check_same_thread": False, "timeout": 15},
    )

    sqlite_pragmas(engine, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
    rasa_engine.dispose()
    return engine


class URLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store configured from one URL (``host`` is the URL)."""

    def __init__(self, domain: Any = None, host: str | None = None, **kwargs: Any) -> None:
        url = host or kwargs.pop("url", None) or "sqlite:///rasa.db"
        kwargs.pop("url", None)
        super().__init__(domain=domain, **sql_settings(url), **kwargs)
        rasa_engine: Any = self.engine  # type: ignore[has-type]  # untyped in Rasa
        if rasa_engine.dialect.name == "sqlite":
            self.engine = _sqlite_engine(rasa_engine)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.cache_size = config.load().tracker_cache_size  # read once per store
        self._cache: OrderedDict[str, _Kept] = OrderedDict()
        self.cache_hits = 0
        self.cache_misses = 0

    def _rows(self, sender_id: str) -> int:
        """The sender's rows in the events table (all sessions): one indexed COUNT."""
        table = self.SQLEvent.__table__
        query = sa.select(sa.func.count()).select_from(table).where(table.c.sender_id == sender_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def _remember(self, tracker: DialogueStateTracker, rows: int) -> None:
        if not self.cache_size or tracker.events.maxlen is not None:
            return  # a capped history (max_event_history) drops events: lengths say nothing
        self._cache[tracker.sender_id] = _Kept(tracker, len(tracker.events), rows, fresh=True)
        self._cache.move_to_end(tracker.sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: from memory when the database agrees, else SQL."""
        kept = self._cache.get(sender_id)
        # the tracker was not changed without being saved, and nobody else wrote since
        if (
            kept is not None
            and len(kept.tracker.events) == kept.events
            and self._rows(sender_id) == kept.rows
        ):
            self.cache_hits += 1
            kept.fresh = True
            self._cache.move_to_end(sender_id)
            return kept.tracker
        self._cache.pop(sender_id, None)
        self.cache_misses += 1
        tracker = await super().retrieve(sender_id)
        if tracker is not None and self.cache_size:
            self._remember(tracker, self._rows(sender_id))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        """The events to insert: known without a COUNT for a tracker checked this turn."""
        kept = self._cache.get(tracker.sender_id)
        if kept is not None and kept.fresh and kept.tracker is tracker:
            return itertools.islice(tracker.events, kept.events, len(tracker.events))
        return super()._additional_events(session, tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save; the saved tracker is then what the database holds.

        Not kept after a new session started in it: Rasa loads only the latest session.
        """
        kept = self._cache.get(tracker.sender_id)
        fast = kept is not None and kept.fresh and kept.tracker is tracker
        new = list(itertools.islice(tracker.events, kept.events, None)) if fast and kept else []
        await super().save(tracker)
        self._cache.pop(tracker.sender_id, None)
        if any(isinstance(e, SessionStarted) for e in new):
            return
        rows = kept.rows + len(new) if fast and kept is not None else None
        if self.cache_size:
            self._remember(tracker, self._rows(tracker.sender_id) if rows is None else rows)
        if tracker.sender_id in self._cache:
            self._cache[tracker.sender_id].fresh = False  # the next turn checks again


@dataclass
class _Kept:
    """A tracker kept between turns, with what the database held when it was checked."""

    tracker: DialogueStateTracker
    events: int  # len(tracker.events) then
    rows: int  # the sender's rows in the events table then (all sessions)
    fresh: bool = False  # checked against the database in this turn (by retrieve)


class URLLockStore(LockStore):
    """In-memory lock store, or Rasa's Redis lock store when the URL is ``redis://…``.

    Rasa 3.6 issues and returns tickets with a read-modify-write of the lock in Redis
    that is not atomic: two instances receiving messages of the same conversation at the
    same moment can both get the same ticket and then both write the tracker, losing
    events (tests/e2e/test_scaleout.py showed 3 of 10 lost). Here each read-modify-write
    runs under a short Redis mutex per conversation.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **_: Any) -> None:
        url = (endpoint_config.url if endpoint_config else None) or ""
        self._impl: LockStore
        self._redis: Any = None
        if url.startswith(("redis://", "rediss://")):
            from redis.connection import parse_url

            opts = parse_url(url)
            self._impl = RedisLockStore(
                host=opts.get("host", "localhost"),
                port=int(opts.get("port", 6379)),
                db=int(opts.get("db", 1)),
                username=opts.get("username"),
                password=opts.get("password"),
                use_ssl=url.startswith("rediss://"),
            )
            self._redis = self._impl.red
            logger.info("lock store: Redis at %s:%s", opts.get("host"), opts.get("port"))
        else:
            self._impl = InMemoryLockStore()

    def _mutex(self, conversation_id: str) -> Any:
        if self._redis is None:
            return contextlib.nullcontext()
        return self._redis.lock(
            f"lock-mutex:{conversation_id}", timeout=MUTEX_SECONDS, blocking_timeout=MUTEX_SECONDS
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Rasa's ticket issuing, atomic across instances."""
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        """Rasa's lock update, atomic across instances."""
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Rasa's ticket return, atomic across instances."""
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """Delegates to the selected store."""
        return self._impl.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        """Delegates to the selected store."""
        self._impl.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        """Delegates to the selected store."""
        self._impl.save_lock(lock)
