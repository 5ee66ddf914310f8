"""The website widget's socket.io channel: Rasa's protocol plus the input guard.

Keeps Rasa 3.6's ``socketio`` events (``user_uttered`` / ``bot_uttered``,
``session_request`` / ``session_confirm``) so that the rasa-webchat widget works as is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot.channels.rest import guard_handler


class WebsiteInput(SocketIOInput):
    """Rasa's SocketIOInput with empty/huge/binary input handled."""

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's channel name (``socketio``)."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io blueprint around the guarded handler."""
        return super().blueprint(guard_handler(on_new_message))
