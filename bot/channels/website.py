"""The website widget's socket.io channel: Rasa's protocol plus the input guard.

Keeps Rasa 3.6's ``socketio`` events (``user_uttered`` / ``bot_uttered``,
``session_request`` / ``session_confirm``) so that the rasa-webchat widget works as is.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.channels.rest import guard_handler


class WebsiteOutput(SocketIOOutput):
    """Marks staff replies (``metadata.staff``) so the widget can show who writes."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends each paragraph; staff messages carry ``metadata: {staff: true}``."""
        if not kwargs.get("staff"):
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, "metadata": {"staff": True}})


class WebsiteInput(SocketIOInput):
    """Rasa's SocketIOInput with empty/huge/binary input handled."""

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's channel name (``socketio``)."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io blueprint around the guarded handler.

        Rasa 3.6 calls ``sio.enter_room()`` without ``await``; in python-socketio 5.x it
        is a coroutine, so the browser never joined its session's room and replies sent
        to the session (every bot message, every staff reply) were lost. The
        ``session_request`` handler is replaced by one that awaits it.
        """
        bp = super().blueprint(guard_handler(on_new_message))
        sio = self.sio
        assert sio is not None

        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = dict(data or {})
            session_id = data.get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        sio.on("session_request", namespace=self.namespace)(session_request)
        return bp

    def get_output_channel(self) -> OutputChannel | None:
        """The channel for pushes (staff replies through Rasa's HTTP API)."""
        if self.sio is None:
            return super().get_output_channel()
        return WebsiteOutput(self.sio, self.bot_message_evt)
