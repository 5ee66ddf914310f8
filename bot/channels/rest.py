"""Rasa's REST channel with the input guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.channels.guard import guarded_message
from bot.ratelimit import limit_webhooks


def guard_handler(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wraps a channel's message handler with the input guard."""

    async def handler(message: UserMessage) -> Any:
        return await on_new_message(guarded_message(message))

    return handler


class GuardedRestInput(RestInput):
    """``POST /webhooks/rest/webhook`` as in Rasa, with empty/huge/binary input handled
    and the per-IP rate limit (429)."""

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's channel name and URL."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST blueprint around the guarded handler, limited per client IP."""
        return limit_webhooks(super().blueprint(guard_handler(on_new_message)))
