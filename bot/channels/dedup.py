"""Webhook message ids already processed: a redelivered webhook is processed once.

Telegram and Meta (Messenger, Instagram, WhatsApp) deliver a webhook again when the
answer was slow or lost, Threema's gateway retries its callback; without a check the
citizen gets the answer twice and a handoff could open two tickets. Each connector asks
:meth:`SeenMessages.first_time` with the platform's own id (Telegram ``update_id``,
Meta ``mid``/``wamid``, Threema ``messageId``) before it hands a message to Rasa.

The ids live in the project's store (``webhook_seen``, shared by several Rasa instances on
PostgreSQL) as SHA-256 hashes, with a bounded in-process cache in front; entries older than
``keep`` are pruned now and then. When the store is down a message is processed (a
duplicate answer is better than a lost question).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.store import webhook_seen

logger = logging.getLogger(__name__)
KEEP = timedelta(days=2)  # Meta retries for up to 36 hours, Telegram for about a day


def message_key(channel: str, sender_id: str, message_id: str) -> str:
    """The stored hash of one platform message."""
    return hashlib.sha256(f"{channel}\x1f{sender_id}\x1f{message_id}".encode()).hexdigest()


class SeenMessages:
    """Remembers processed platform message ids (store + in-memory cache)."""

    def __init__(
        self,
        engine_factory: Callable[[], Engine] | None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        cache_size: int = 50_000,
        keep: timedelta = KEEP,
    ) -> None:
        self._engine_factory = engine_factory
        self._clock = clock
        self._cache: OrderedDict[str, None] = OrderedDict()
        self._size = cache_size
        self._keep = keep
        self._lock = threading.Lock()
        self._inserts = 0

    def first_time(self, channel: str, sender_id: str, message_id: str | None) -> bool:
        """True the first time a message id is seen; a message without id always passes.

        Blocking (database): call it in a thread from async code.
        """
        if not message_id:
            return True
        key = message_key(channel, str(sender_id), str(message_id))
        with self._lock:
            if key in self._cache:
                return False
            self._cache[key] = None
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        if self._engine_factory is None:
            return True
        now = self._clock()
        try:
            engine = self._engine_factory()
            with engine.begin() as conn:
                conn.execute(sa.insert(webhook_seen).values(key_hash=key, seen_at=now))
        except IntegrityError:
            return False  # another instance (or an earlier run) took it
        except SQLAlchemyError:
            logger.warning("webhook de-duplication store unavailable; message processed")
            return True
        self._inserts += 1
        if self._inserts % 500 == 1:
            self._prune(engine, now)
        return True

    def _prune(self, engine: Engine, now: datetime) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.delete(webhook_seen).where(webhook_seen.c.seen_at < now - self._keep)
                )
        except SQLAlchemyError:
            logger.debug("webhook_seen pruning failed")


@lru_cache(maxsize=1)
def seen_messages() -> SeenMessages:
    """The Rasa process's memory of processed webhooks, in the project's store."""
    from bot import runtime

    return SeenMessages(runtime.handoff_engine)
