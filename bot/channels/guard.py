"""Input guard for every channel: empty, huge, binary or control-character messages.

Such a message never reaches NLU as is: it is turned into an intent payload
(``/input_empty``, ``/input_too_long``, ``/input_not_text``) that the domain answers
with a clear German notice. Nothing is lost: an excerpt of the original goes into the
message metadata (``guard``) and so into the tracker.

Two rate limits protect the service: per sender (:class:`RateLimiter`, the citizen-facing
"please wait" notice inside the conversation, here) and per client IP (HTTP 429 on the
public routes of both servers: :mod:`bot.ratelimit`, whose names are re-exported here for
the channels).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import config
from bot.ratelimit import (
    IpRateLimiter,
    client_ip,
    ip_limiter,
    limit_requests,
    limit_webhooks,
    trusted_networks,
)

# The per-IP limit lives in bot.ratelimit; its names are re-exported for the channels.
__all__ = [
    "EXCERPT_CHARS",
    "MAX_CHARS",
    "THUMBS",
    "Guarded",
    "IpRateLimiter",
    "RateLimiter",
    "client_ip",
    "guard",
    "guarded_message",
    "ip_limiter",
    "limit_requests",
    "limit_webhooks",
    "limiter",
    "maintenance_flag",
    "secret_bytes",
    "thumb_rating",
    "trusted_networks",
]

logger = logging.getLogger(__name__)
MAX_CHARS = 2000
EXCERPT_CHARS = 2000
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class Guarded:
    """The text to process and, when the input was rejected, why."""

    text: str
    problem: str | None = None  # "empty" | "too_long" | "not_text"
    excerpt: str | None = None


def _looks_binary(text: str) -> bool:
    if "\x00" in text or "\ufffd" in text:
        return True
    if not text:
        return False
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    return controls / len(text) > 0.1


# A message that is only a thumb (any skin tone, with or without emoji presentation) is a
# rating of the last answer, as messenger users give it: recorded by action_feedback.
_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0e\ufe0f\\s]")
THUMBS = {"\U0001f44d": 1, "\U0001f44e": -1}


def thumb_rating(text: str) -> int | None:
    """+1 for 👍, -1 for 👎 (repeated or with skin tone), else None."""
    core = _MODIFIERS.sub("", text)
    if core and len(set(core)) == 1 and core[0] in THUMBS:
        return THUMBS[core[0]]
    return None


def guard(raw: Any) -> Guarded:
    """Checks one incoming message text.

    Button payloads (``/intent{...}``) pass unchanged; normal text is NFC-normalised and
    stripped of control and invisible direction characters. A lone 👍 or 👎 becomes the
    payload ``/feedback{"rating": 1}`` (or -1).
    """
    if raw is None:
        return Guarded("/input_empty", "empty")
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = str(raw)
    if _looks_binary(text):
        return Guarded("/input_not_text", "not_text", excerpt=_excerpt(text))
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()
    if not text:
        return Guarded("/input_empty", "empty")
    if len(text) > MAX_CHARS:
        return Guarded("/input_too_long", "too_long", excerpt=text[:EXCERPT_CHARS])
    rating = thumb_rating(text)
    if rating is not None:
        return Guarded(f'/feedback{{"rating": {rating}}}')
    return Guarded(text)


def _excerpt(text: str) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[:200])
    return clean


def secret_bytes(value: str) -> bytes:
    """A token, signature or header value as bytes for ``hmac.compare_digest``.

    ``compare_digest`` raises TypeError for str with non-ASCII characters, and a
    request could turn that into a 500: compared as UTF-8 bytes it is simply unequal.
    """
    return str(value).encode("utf-8", "replace")


def maintenance_flag() -> Path:
    """The operator's switch: while this file exists, every message gets the notice."""
    return config.current().maintenance_flag


class RateLimiter:
    """At most ``limit`` messages per sender within ``window`` seconds (in memory)."""

    def __init__(self, limit: int = 20, window: float = 60.0, senders: int = 50_000) -> None:
        self.limit, self.window, self.senders = limit, window, senders
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, sender: str, now: float | None = None) -> bool:
        """Records a message; False when the sender is over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stamps = self._seen.setdefault(sender, deque())
            self._seen.move_to_end(sender)
            while stamps and stamps[0] <= now - self.window:
                stamps.popleft()
            stamps.append(now)
            while len(self._seen) > self.senders:
                self._seen.popitem(last=False)
            return len(stamps) <= self.limit

    def exceeded(self, sender: str, now: float | None = None) -> bool:
        """True when the sender has used up the limit (records nothing)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stamps = self._seen.get(sender)
            while stamps and stamps[0] <= now - self.window:
                stamps.popleft()
            return stamps is not None and len(stamps) >= self.limit


@lru_cache(maxsize=1)
def limiter() -> RateLimiter:
    """The process's limiter (``RATE_LIMIT_PER_MINUTE``, default 20)."""
    return RateLimiter(config.current().rate_limit_per_minute)


def guarded_message(message: Any) -> Any:
    """Applies :func:`guard` to a Rasa ``UserMessage`` in place and returns it.

    Also the operator's maintenance switch and the per-sender rate limit: both answer
    with a notice instead of processing; the original text is kept in the metadata.
    """
    if maintenance_flag().exists() or not limiter().allow(str(message.sender_id)):
        problem = "maintenance" if maintenance_flag().exists() else "rate_limited"
        metadata = dict(message.metadata or {})
        metadata["guard"] = {"problem": problem, "excerpt": str(message.text or "")[:EXCERPT_CHARS]}
        message.metadata = metadata
        message.text = f"/{problem}"
        return message
    result = guard(message.text)
    if result.problem:
        metadata = dict(message.metadata or {})
        metadata["guard"] = {"problem": result.problem, "excerpt": result.excerpt}
        message.metadata = metadata
    message.text = result.text
    return message
