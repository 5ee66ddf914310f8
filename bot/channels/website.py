"""The website widget's socket.io channel: Rasa's protocol plus the input guard and limits.

Keeps Rasa 3.6's ``socketio`` events (``user_uttered`` / ``bot_uttered``,
``session_request`` / ``session_confirm``) so that the rasa-webchat widget works as is.

The socket is public, so it has limits (``SOCKET_*`` settings, docs/SECURITY.md):

- the ``Origin`` of a browser must be one of ``SITE_ORIGINS`` (the city's website);
- at most ``SOCKET_CONNECTIONS_PER_IP`` open connections per client IP;
- a connection speaks for the one session confirmed on it: messages naming another
  session id are dropped (no rotating of session ids to dodge the per-sender limit);
- at most ``SOCKET_MESSAGES_PER_MINUTE`` messages per connection and
  ``SOCKET_MESSAGES_PER_IP_PER_MINUTE`` per client IP; above that the message is dropped
  unseen (nothing is stored) and the client gets the polite "please wait" notice once;
- ``customData`` larger than ``SOCKET_METADATA_MAX_BYTES`` is dropped, never stored, and a
  socket.io packet above 64 KB closes the connection;
- a client-chosen session id must be short and plain (``[A-Za-z0-9_-]``, 64 at most),
  else the server assigns a new one.

Clients on loopback are exempt from the per-IP limits, as for the HTTP routes
(bot.channels.guard): behind a reverse proxy set ``TRUSTED_PROXIES``.

With ``SOCKETIO_REDIS_URL`` several Rasa instances share the socket.io rooms through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.cases import delivery
from bot.channels.guard import RateLimiter
from bot.channels.rest import guard_handler
from bot.config import Settings
from bot.ratelimit import TOO_MANY_TEXT, client_ip, is_loopback, trusted_networks

logger = logging.getLogger(__name__)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PACKET_BYTES = 64 * 1024  # a message (2,000 characters) plus capped customData fit easily


class WebsiteOutput(SocketIOOutput):
    """Marks staff replies (``metadata.staff``) so the widget can show who writes, and
    confirms a stored staff reply (``message_id``) only when the widget acknowledged it."""

    def __init__(self, sio: Any, bot_message_evt: str, ack_seconds: float = 5.0) -> None:
        super().__init__(sio, bot_message_evt)
        self.ack_seconds = ack_seconds

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends each paragraph; staff messages carry ``metadata: {staff: true}``.

        A response in another language carries ``metadata: {language: en}`` (domain/), so
        the widget sets ``lang`` on the message for screen readers.
        """
        language = _language(kwargs)
        if not kwargs.get("staff") and not language:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        meta: dict[str, Any] = {"staff": True} if kwargs.get("staff") else {"language": language}
        parts = text.strip().split("\n\n")
        if not kwargs.get("staff") or delivery.message_id(kwargs) is None:
            for part in parts:
                await self._send_message(recipient_id, {"text": part, "metadata": meta})
            return

        async def send() -> None:
            for part in parts:
                payload = {"text": part, "metadata": meta}
                if not await self.emit_confirmed(recipient_id, payload):
                    raise delivery.NotDelivered("website: no connected chat confirmed it")

        await delivery.confirm(kwargs, "socketio", send)

    async def emit_confirmed(self, room: str, payload: dict[str, Any]) -> bool:
        """Emits to the session's room and waits for the widget's acknowledgement.

        python-socketio's ack callback: the first client of the room that acknowledges
        counts; with the Redis manager the ack comes back from whichever instance holds
        the socket. False when nobody acknowledged within ``ack_seconds``.
        """
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[bool] = loop.create_future()

        def on_ack(*_: Any) -> None:
            if not acked.done():
                acked.set_result(True)

        await self.sio.emit(self.bot_message_evt, payload, room=room, callback=on_ack)
        try:
            return await asyncio.wait_for(asyncio.shield(acked), self.ack_seconds)
        except asyncio.TimeoutError:
            self._forget(room, on_ack)
            return False

    def _forget(self, room: str, callback: Any) -> None:
        """Drops the callbacks of an unanswered emit (they would stay for ever)."""
        manager = self.sio.manager
        keys = [room]
        with contextlib.suppress(Exception):
            keys += [sid for sid, _ in manager.get_participants("/", room)]
        for key in keys:
            entries = manager.callbacks.get(key) or {}
            for ack_id, value in list(entries.items()):
                if value is callback or getattr(value, "func", None) is callback:
                    entries.pop(ack_id, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """As Rasa's (buttons on the last paragraph), with the response's language."""
        language = _language(kwargs)
        if not language:
            await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)
            return
        parts = text.strip().split("\n\n") or [text]
        for i, part in enumerate(parts):
            quick = (
                [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]}
                    for b in buttons
                ]
                if i == len(parts) - 1
                else []
            )
            message = {"text": part, "quick_replies": quick, "metadata": {"language": language}}
            await self._send_message(recipient_id, message)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A ``custom`` response as ``{"custom": …}`` (Rasa's own emits the dict's keys as
        ``emit()`` arguments): the receipt of a message during a case (utter_case_noted)."""
        await self._send_message(recipient_id, {"custom": json_message})


def _language(kwargs: dict[str, Any]) -> str | None:
    """The ``metadata.language`` of a domain response, if it names one."""
    meta = kwargs.get("metadata")
    language = meta.get("language") if isinstance(meta, dict) else None
    return language if isinstance(language, str) and language.isalpha() else None


@dataclass
class _Connection:
    ip: str
    client: str  # pseudonymous key of the IP (what the tracker may keep)
    session: str | None = None
    noticed_at: float = field(default=-1e9)


@dataclass(frozen=True)
class SocketLimits:
    """The public socket's limits (from bot.config)."""

    origins: tuple[str, ...]
    connections_per_ip: int = 20
    messages_per_minute: int = 30
    messages_per_ip_per_minute: int = 60
    metadata_max_bytes: int = 4096

    @classmethod
    def from_settings(cls, settings: Settings) -> SocketLimits:
        """The limits configured by ``SITE_ORIGINS`` and ``SOCKET_*``."""
        return cls(
            origins=settings.site_origins,
            connections_per_ip=settings.socket_connections_per_ip,
            messages_per_minute=settings.socket_messages_per_minute,
            messages_per_ip_per_minute=settings.socket_messages_per_ip_per_minute,
            metadata_max_bytes=settings.socket_metadata_max_bytes,
        )


def capped_metadata(raw: Any, max_bytes: int) -> dict[str, Any]:
    """The message's ``customData`` as a dict, or ``{}`` when it is too large or no object."""
    if isinstance(raw, str | bytes):
        if len(raw) > max_bytes:
            return {}
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    try:
        size = len(json.dumps(raw, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return {}
    return raw if size <= max_bytes else {}


def share_rooms(bp: Blueprint, sio: Any, redis_url: str) -> None:
    """Several Rasa instances: emits go through Redis (python-socketio's AsyncRedisManager),
    so a bot message or staff reply sent on one instance reaches the citizen's socket on
    any other. The manager listens from server start, not only after a first connection.
    """
    from socketio import AsyncRedisManager

    manager = AsyncRedisManager(redis_url, channel="buergerservice-socketio")
    manager.set_server(sio)
    sio.manager = manager

    async def start_listening(*_: Any) -> None:
        if not sio.manager_initialized:
            sio.manager_initialized = True
            sio.manager.initialize()

    bp.listener("after_server_start")(start_listening)


class WebsiteInput(SocketIOInput):
    """Rasa's SocketIOInput with empty/huge/binary input handled and the socket limited."""

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's channel name (``socketio``)."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io blueprint with guarded, limited handlers.

        Rasa 3.6 calls ``sio.enter_room()`` without ``await``; in python-socketio 5.x it
        is a coroutine, so the browser never joined its session's room and replies sent
        to the session (every bot message, every staff reply) were lost. The
        ``session_request`` handler is replaced by one that awaits it.
        """
        handler = guard_handler(on_new_message)
        bp = super().blueprint(handler)
        sio = self.sio
        assert sio is not None
        settings = Settings.from_env()
        limits = SocketLimits.from_settings(settings)
        self.ack_seconds = float(settings.staff_delivery_ack_seconds)
        trusted = trusted_networks(settings.trusted_proxies)
        # python-engineio refuses a handshake from another Origin (400).
        sio.eio.cors_allowed_origins = list(limits.origins)
        # A larger socket.io packet closes the connection (python-engineio: 1 MB by default).
        sio.eio.max_http_buffer_size = MAX_PACKET_BYTES
        if settings.socketio_redis_url:
            share_rooms(bp, sio, settings.socketio_redis_url)
        salt = secrets.token_bytes(16)  # client keys cannot be linked across restarts
        connections: dict[str, _Connection] = {}
        per_ip: dict[str, int] = {}
        per_connection = RateLimiter(limits.messages_per_minute, 60.0)
        per_ip_messages = RateLimiter(limits.messages_per_ip_per_minute, 60.0)
        namespace = self.namespace

        def authorised(auth: dict[str, Any] | None) -> bool:
            if not self.jwt_key:
                return True
            token = (auth or {}).get("token")
            if not token:
                return False
            try:
                decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
            except Exception:
                return False
            return True

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origin not in limits.origins:
                logger.info("socket.io: connection from a foreign Origin refused")
                return False
            if not authorised(auth if isinstance(auth, dict) else None):
                return False
            request = environ.get("sanic.request")
            peer = getattr(request, "ip", "") or environ.get("REMOTE_ADDR", "")
            forwarded = request.headers.get("x-forwarded-for") if request is not None else None
            ip = client_ip(peer, forwarded, trusted)
            if not is_loopback(ip) and per_ip.get(ip, 0) >= limits.connections_per_ip:
                logger.info("socket.io: too many connections from one client refused")
                return False
            per_ip[ip] = per_ip.get(ip, 0) + 1
            key = hashlib.sha256(salt + ip.encode()).hexdigest()[:16]
            connections[sid] = _Connection(ip=ip, client=key)
            return True

        async def disconnect(sid: str, *_: Any) -> None:
            conn = connections.pop(sid, None)
            if conn is not None:
                left = per_ip.get(conn.ip, 1) - 1
                if left > 0:
                    per_ip[conn.ip] = left
                else:
                    per_ip.pop(conn.ip, None)

        async def session_request(sid: str, data: Any) -> None:
            conn = connections.get(sid)
            if conn is None:
                return
            data = data if isinstance(data, dict) else {}
            asked = data.get("session_id")
            session_id = (
                asked if isinstance(asked, str) and SESSION_ID.match(asked) else uuid.uuid4().hex
            )
            conn.session = session_id
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def notice(sid: str, conn: _Connection, now: float) -> None:
            if now - conn.noticed_at < 60:
                return  # one notice per minute, not one per dropped message
            conn.noticed_at = now
            await sio.emit(
                self.bot_message_evt, {"text": TOO_MANY_TEXT}, room=sid, namespace=namespace
            )

        async def handle_message(sid: str, data: Any) -> None:
            import time

            conn = connections.get(sid)
            if conn is None or not isinstance(data, dict):
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not sender_id or sender_id != conn.session:
                    return  # only the session confirmed on this connection
            else:
                sender_id = sid
            now = time.monotonic()
            if not per_connection.allow(sid, now) or (
                not is_loopback(conn.ip) and not per_ip_messages.allow(conn.ip, now)
            ):
                await notice(sid, conn, now)
                return
            metadata = capped_metadata(
                data.get(self.metadata_key or "metadata", {}), limits.metadata_max_bytes
            )
            metadata["client"] = conn.client
            text = data.get("message", "")
            message = UserMessage(
                text if isinstance(text, str) else "",
                WebsiteOutput(sio, self.bot_message_evt, self.ack_seconds),
                str(sender_id),
                input_channel=self.name(),
                metadata=metadata,
            )
            await handler(message)

        sio.on("connect", namespace=namespace)(connect)
        sio.on("disconnect", namespace=namespace)(disconnect)
        sio.on("session_request", namespace=namespace)(session_request)
        sio.on(self.user_message_evt, namespace=namespace)(handle_message)
        return bp

    def get_output_channel(self) -> OutputChannel | None:
        """The channel for pushes (staff replies through Rasa's HTTP API)."""
        if self.sio is None:
            return super().get_output_channel()
        return WebsiteOutput(self.sio, self.bot_message_evt, getattr(self, "ack_seconds", 5.0))
