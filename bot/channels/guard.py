"""Input guard for every channel: empty, huge, binary or control-character messages.

Such a message never reaches NLU as is: it is turned into an intent payload
(``/input_empty``, ``/input_too_long``, ``/input_not_text``) that the domain answers
with a clear German notice. Nothing is lost: an excerpt of the original goes into the
message metadata (``guard``) and so into the tracker.

Two rate limits protect the service: per sender (:class:`RateLimiter`, the citizen-facing
"please wait" notice inside the conversation) and per client IP (:class:`IpRateLimiter`,
HTTP 429 with ``Retry-After`` on the public routes: the messenger and REST webhooks of
the Rasa server, the website page and ``/api/`` of the web app). The client IP is the
socket peer, or taken from ``X-Forwarded-For`` only when the peer is one of
``TRUSTED_PROXIES``.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import re
import threading
import time
import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sanic import Blueprint, Request, Sanic
    from sanic.response import HTTPResponse

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
    return Path(os.environ.get("STATE_DIR") or "var") / "maintenance"


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
    return RateLimiter(int(os.environ.get("RATE_LIMIT_PER_MINUTE") or 20))


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


# --- per client IP ------------------------------------------------------------------------

TOO_MANY_TEXT = (
    "Zu viele Anfragen in kurzer Zeit. Bitte warten Sie einen Moment und versuchen Sie "
    "es dann erneut."
)
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class IpRateLimiter:
    """A token bucket per client IP: ``per_minute`` requests a minute, bursts up to that.

    Constant memory per client (two floats), at most ``clients`` remembered (least
    recently seen forgotten first). ``per_minute`` 0 disables the limit.
    """

    def __init__(self, per_minute: int, clients: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when configured with 0."""
        return self.capacity > 0

    def check(self, client: str, now: float | None = None) -> float:
        """Takes one request from the client's bucket.

        Returns:
            0 when the request may pass, else the seconds until it would.
        """
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + max(0.0, now - last) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[client] = (tokens, now)
            self._buckets.move_to_end(client)
            while len(self._buckets) > self.clients:
                self._buckets.popitem(last=False)
            return wait


def trusted_networks(entries: Sequence[str]) -> tuple[IpNetwork, ...]:
    """``TRUSTED_PROXIES`` (addresses or CIDR ranges) parsed; a typo is an error."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is no IP address or range") from exc
    return tuple(nets)


def _is_trusted(address: str, trusted: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_ip(peer: str, forwarded_for: str | None, trusted: Sequence[IpNetwork]) -> str:
    """The client's IP address for rate limiting.

    ``X-Forwarded-For`` counts only when the socket peer is a trusted proxy; then the
    rightmost address that is not itself a trusted proxy is the client (everything left
    of it could have been sent by the client). Without trusted proxies the header is
    ignored: anyone could send it.
    """
    if not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1: the operator's own machine."""
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def too_many_requests(wait: float) -> HTTPResponse:
    """HTTP 429 with ``Retry-After`` (whole seconds) and a short, polite JSON body."""
    from sanic.response import json

    seconds = max(1, math.ceil(wait))
    return json(
        {"error": "too_many_requests", "message": TOO_MANY_TEXT, "retry_after": seconds},
        status=429,
        headers={"Retry-After": str(seconds)},
    )


def limit_requests(
    target: Blueprint | Sanic,
    limiter: IpRateLimiter,
    trusted: Sequence[IpNetwork],
    applies: Callable[[str], bool] | None = None,
    exempt_loopback: bool = True,
) -> None:
    """Adds a request middleware to ``target`` that answers 429 above the per-IP limit.

    On a blueprint it covers only the blueprint's routes; ``applies(path)`` narrows it.
    Clients on loopback are not limited: that is the operator's own machine (health
    checks, tests, ``make bench``) or a reverse proxy whose address is missing from
    ``TRUSTED_PROXIES``, and limiting it would limit every citizen at once.
    """
    if not limiter.enabled:
        return
    warned: list[bool] = []

    async def per_ip_limit(request: Request) -> HTTPResponse | None:
        if applies is not None and not applies(request.path):
            return None
        forwarded = request.headers.get("x-forwarded-for")
        ip = client_ip(request.ip, forwarded, trusted)
        if forwarded and ip == request.ip and not warned:
            warned.append(True)
            logger.warning(
                "X-Forwarded-For from an untrusted peer ignored for the per-IP rate limit; "
                "behind a reverse proxy set TRUSTED_PROXIES to its address"
            )
        if exempt_loopback and is_loopback(ip):
            return None
        wait = limiter.check(ip)
        return too_many_requests(wait) if wait else None

    target.middleware("request")(per_ip_limit)


@lru_cache(maxsize=1)
def ip_limiter() -> tuple[IpRateLimiter, tuple[IpNetwork, ...]]:
    """The Rasa process's per-IP limiter, shared by its webhooks, and trusted proxies."""
    from bot.config import Settings

    settings = Settings.from_env()
    return (
        IpRateLimiter(settings.rate_limit_per_ip_per_minute),
        trusted_networks(settings.trusted_proxies),
    )


def limit_webhooks(bp: Blueprint) -> Blueprint:
    """The per-IP limit on every route of a channel's blueprint (``RATE_LIMIT_PER_IP_…``)."""
    limiter, trusted = ip_limiter()
    limit_requests(bp, limiter, trusted)
    return bp
