"""Process-wide clients, built on first use (never at import time).

The action server and the web app share these: settings from the environment, the
knowledge (re-read when a file changes), the closures feed with its cache.
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime
from functools import lru_cache

from sqlalchemy.engine import Engine

from bot.channels.guard import RateLimiter
from bot.city import City, city_of
from bot.config import Settings
from bot.handoff.policy import HandoffConfig
from bot.handoff.tickets import Outbox, insert_ticket
from bot.knowledge.base import Knowledge, KnowledgeCache
from bot.knowledge.feed import ClosuresFeed
from bot.store import make_engine

_lock = threading.Lock()


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings of this process (read once)."""
    return Settings.from_env()


@lru_cache(maxsize=1)
def _knowledge_cache() -> KnowledgeCache:
    return KnowledgeCache(settings().knowledge_dir)


def knowledge() -> Knowledge:
    """The city's content; changes to data/knowledge/ apply without a restart."""
    return _knowledge_cache().get()


@lru_cache(maxsize=1)
def closures_feed() -> ClosuresFeed:
    """The road-closure feed client with its cache in STATE_DIR."""
    s = settings()
    return ClosuresFeed(
        s.closures_feed_url,
        s.state_dir,
        ttl=s.closures_ttl_seconds,
        clock=s.now,
    )


def city() -> City:
    """The city profile (KNOWLEDGE_DIR/city.yml), re-read when the file changes."""
    return city_of(settings().knowledge_dir)


def now() -> datetime:
    """The current time (Europe/Berlin), or BOT_FIXED_NOW in tests and demos."""
    return settings().now()


def reset() -> None:
    """Forgets every client (tests that change the environment)."""
    with _lock:
        settings.cache_clear()
        _knowledge_cache.cache_clear()
        closures_feed.cache_clear()
        handoff_engine.cache_clear()
        handoff_config.cache_clear()
        resume_failures.cache_clear()


@lru_cache(maxsize=1)
def handoff_engine() -> Engine:
    """The engine of the project's own store (tickets, backlog, staff)."""
    return make_engine(settings().handoff_db_url)


@lru_cache(maxsize=1)
def handoff_config() -> HandoffConfig:
    """data/knowledge/handoff.yml."""
    return HandoffConfig.load(settings().knowledge_dir / "handoff.yml", settings=settings())


@lru_cache(maxsize=1)
def resume_failures() -> RateLimiter:
    """Failed resume attempts per client (``RESUME_FAILURES_PER_HOUR``)."""
    return RateLimiter(settings().resume_failures_per_hour, window=3600.0)


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    """Ticket requests waiting for the store; a worker thread retries every 10 s."""
    box = Outbox(settings().state_dir / "outbox")
    _start_outbox_worker(box)
    return box


def _start_outbox_worker(box: Outbox, interval: float = 10.0) -> None:
    def loop() -> None:
        while True:
            time.sleep(interval)
            if box.pending():
                with contextlib.suppress(Exception):  # retried on the next round
                    box.drain(lambda t: insert_ticket(handoff_engine(), t))

    threading.Thread(target=loop, name="outbox-worker", daemon=True).start()
