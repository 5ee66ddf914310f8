"""Rate limit per client IP, for both servers (the Rasa server and the web app).

A token bucket per client IP (:class:`IpRateLimiter`) answers HTTP 429 with
``Retry-After`` on the public routes: the messenger and REST webhooks of the Rasa server
(:func:`limit_webhooks`), the website page and ``/api/`` of the web app
(:func:`limit_requests`). The client IP is the socket peer, or taken from
``X-Forwarded-For`` only when the peer is one of ``TRUSTED_PROXIES``.

The per-sender limit inside a conversation is the input guard's
(:class:`bot.channels.guard.RateLimiter`).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING

from bot import texts

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sanic import Blueprint, Request, Sanic
    from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

TOO_MANY_TEXT = texts.text(texts.DEFAULT_LANGUAGE, "web.too_many")  # data/texts/
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
