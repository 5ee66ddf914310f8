"""Rasa tracker and lock stores selected by URL (``TRACKER_STORE_URL``, ``LOCK_STORE_URL``).

Rasa's own SQL and Redis stores take host, port, db … as separate settings; operators
give one URL. These thin subclasses parse it and delegate to Rasa's implementations.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

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


class URLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store configured from one URL (``host`` is the URL)."""

    def __init__(self, domain: Any = None, host: str | None = None, **kwargs: Any) -> None:
        url = host or kwargs.pop("url", None) or "sqlite:///rasa.db"
        kwargs.pop("url", None)
        super().__init__(domain=domain, **sql_settings(url), **kwargs)
        from bot import rasa_faults, rasa_perf

        rasa_perf.install()  # loading a tracker deserialises every event: make that cheap
        rasa_faults.install()  # a failed action call answers "technische Störung"


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
