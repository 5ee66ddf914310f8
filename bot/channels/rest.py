"""Rasa's REST channel with the input guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.response import json

from bot.channels.guard import guarded_message
from bot.ratelimit import limit_webhooks

MAX_SENDER_CHARS = 128


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
        """Rasa's REST blueprint around the guarded handler, limited per client IP.

        A ``sender`` that is not a short string (at most ``MAX_SENDER_CHARS``) is refused
        with 400 before anything is stored: the tickets table keeps 200 characters.
        """
        bp = limit_webhooks(super().blueprint(guard_handler(on_new_message)))

        async def plain_sender(request: Any) -> Any:
            if request.method != "POST":
                return None
            try:
                body = request.json
            except Exception:
                return json({"error": "bad_request", "message": "invalid JSON"}, status=400)
            sender = body.get("sender") if isinstance(body, dict) else None
            if sender is not None and (
                not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS
            ):
                return json(
                    {"error": "bad_request", "message": f"sender: 1-{MAX_SENDER_CHARS} characters"},
                    status=400,
                )
            return None

        bp.middleware("request")(plain_sender)
        return bp
