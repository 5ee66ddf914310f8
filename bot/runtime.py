"""Process-wide clients, built on first use (never at import time).

The action server and the web app share these: settings from the environment, the
knowledge (re-read when a file changes), the closures feed with its cache.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import lru_cache

from sqlalchemy.engine import Engine

from bot.config import Settings
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


@lru_cache(maxsize=1)
def handoff_engine() -> Engine:
    """The engine of the project's own store (tickets, backlog, staff)."""
    return make_engine(settings().handoff_db_url)
