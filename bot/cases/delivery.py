"""Whether a staff reply reached the citizen, as the channel saw it.

The web app stores a reply first (not delivered), then asks Rasa to send it with the
message's id in the bot event's metadata (``message_id``). Rasa hands the message to the
citizen's channel, and the channel reports what really happened through :func:`confirm`:

- website: the widget acknowledged the socket.io event (python-socketio's ack callback,
  which also travels through the Redis manager when the citizen's socket is on another
  instance) within ``STAFF_DELIVERY_ACK_SECONDS``; without an ack nobody connected
  received it, and the send raises :class:`NotDelivered` (Rasa then does not store the
  message in the conversation either);
- messengers: the platform's API answered 2xx (an error status or an ``error`` body raises);
- WhatsApp outside the 24-hour window: the template went out, the text waits (``wartet``).

Only :data:`DELIVERED` sets ``ticket_messages.delivered`` (and the first response time).
Messages without ``message_id`` (the assistant's own answers, interim notices) are sent
as before.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)


class Delivery(str, enum.Enum):
    """``message_deliveries.state``."""

    DELIVERED = "zugestellt"
    WAITING = "wartet"  # accepted, goes out later (WhatsApp's window)
    FAILED = "nicht_zugestellt"


DELIVERED, WAITING, FAILED = Delivery.DELIVERED, Delivery.WAITING, Delivery.FAILED


class NotDelivered(RuntimeError):
    """The channel could not confirm the message (no connected client, platform error)."""


def message_id(metadata: Mapping[str, Any]) -> int | None:
    """The stored message's id carried in the bot event's metadata, if any."""
    raw = metadata.get("message_id")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value > 0 else None


def _engine() -> Any:
    from bot import runtime

    return runtime.handoff_engine()


def _now() -> Any:
    from bot import runtime

    return runtime.now()


async def report(
    metadata: Mapping[str, Any],
    channel: str,
    state: Delivery,
    detail: str = "",
    engine_factory: Callable[[], Any] | None = None,
) -> None:
    """Records the outcome for the message named in ``metadata`` (none: nothing)."""
    mid = message_id(metadata)
    if mid is None:
        return
    from bot.cases import store as cases

    factory = engine_factory or _engine
    try:
        await asyncio.to_thread(
            lambda: cases.record_delivery(factory(), mid, state, channel, detail, _now())
        )
    except Exception:
        logger.exception("delivery of staff message %s not recorded", mid)


async def confirm(
    metadata: Mapping[str, Any],
    channel: str,
    send: Callable[[], Awaitable[Delivery | None]],
    engine_factory: Callable[[], Any] | None = None,
) -> None:
    """Runs ``send`` and records its outcome (delivered unless it says otherwise);
    a failure is recorded with its kind and raised again."""
    if message_id(metadata) is None:
        await send()
        return
    try:
        state = await send()
    except Exception as exc:
        await report(metadata, channel, FAILED, _why(exc), engine_factory)
        raise
    await report(metadata, channel, state or DELIVERED, "", engine_factory)


def _why(exc: BaseException) -> str:
    status = getattr(exc, "status", None)  # aiohttp.ClientResponseError
    if isinstance(exc, NotDelivered):
        return str(exc)[:200]
    if isinstance(status, int):
        return f"HTTP {status}"
    return type(exc).__name__
