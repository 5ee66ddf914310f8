"""What the project's own messenger connectors share (WhatsApp, Threema).

Rasa's ``rasa/core/channels/`` has one module per platform over ``channel.py``; so does
this package. A connector subclasses :class:`WebhookInput` and supplies four things:
how a webhook call is authenticated, how its body becomes :class:`Incoming` messages,
an output channel, and optionally what to do before a message is processed. The base
gives every connector the same route layout (``/webhooks/<name>/`` health,
``/webhooks/<name>/webhook``), 403 for unauthenticated calls, the input guard, the
per-IP rate limit, numbered choices and the de-duplication of redelivered webhooks.
"""

from __future__ import annotations

import abc
import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.channels.dedup import seen_messages
from bot.channels.guard import limit_webhooks
from bot.channels.rest import guard_handler
from bot.channels.textfit import ChoiceMemory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """One citizen message taken from a webhook call."""

    sender_id: str
    text: str
    message_id: str = ""
    sent_at: datetime | None = None  # the platform's time of the message


class Unsupported(ValueError):
    """The webhook body is not one the platform documents (answered 400)."""


class RetryLater(RuntimeError):
    """A passing failure (answered 503, so that the platform delivers again)."""


class TextOutput(OutputChannel):
    """An output channel whose platform shows text (and its own buttons) only:
    quick replies go the way of buttons, an image as its link."""

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies are shown like buttons."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images as their link."""
        await self.send_text_message(recipient_id, image, **kwargs)


def required_credentials(
    channel: type[InputChannel], credentials: dict[str, Any] | None
) -> dict[str, Any]:
    """The channel's credentials section, or Rasa's own error when it is missing."""
    if not credentials:
        channel.raise_missing_credentials_exception()
        raise AssertionError("unreachable")
    return credentials


def credential_strings(
    credentials: dict[str, Any], spec: dict[str, tuple[str, str]]
) -> dict[str, str]:
    """Constructor arguments from credentials: ``{argument: (credentials key, default)}``."""
    return {arg: str(credentials.get(key) or default) for arg, (key, default) in spec.items()}


def meta_handshake(request: Request, verify_token: str) -> HTTPResponse:
    """Meta's subscription handshake: echo ``hub.challenge`` for the right token, else 403."""
    token = request.args.get("hub.verify_token") or ""
    if verify_token and hmac.compare_digest(token, verify_token):
        return response.text(request.args.get("hub.challenge") or "")
    return response.text("invalid verify token", status=403)


def webhook_blueprint(name: str, module: str) -> Blueprint:
    """A channel's blueprint with the health check (``GET /``) every channel answers."""
    bp = Blueprint(name, module)

    @bp.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    return bp


class WebhookInput(InputChannel, abc.ABC):
    """A signed webhook: authenticate, parse, de-duplicate, guard, hand to Rasa."""

    choices: ChoiceMemory  # set per subclass: the numbered choices offered on that platform

    @abc.abstractmethod
    def authenticate(self, request: Request) -> bool:
        """True when the call comes from the platform (signature, MAC or secret)."""

    @abc.abstractmethod
    async def parse(self, request: Request) -> list[Incoming]:
        """The citizen messages of an authenticated call (none for status callbacks).

        Raises:
            Unsupported: the body has no shape the platform documents.
        """

    @abc.abstractmethod
    def reply_channel(self) -> OutputChannel:
        """The output channel for answers to an incoming message."""

    async def handshake(self, request: Request) -> HTTPResponse:
        """``GET /webhook``; platforms without a handshake get 405."""
        return response.text("method not allowed", status=405)

    async def before_message(self, incoming: Incoming, out: OutputChannel) -> None:
        """Called once per new message before Rasa sees it (e.g. to note its time)."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, handshake and the authenticated webhook, limited per client IP."""
        name = self.name()
        bp = webhook_blueprint(f"{name}_webhook", __name__)
        handler = guard_handler(on_new_message)

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return await self.handshake(request)

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.authenticate(request):
                logger.warning("%s webhook with missing or wrong signature rejected", name)
                return response.text("invalid signature", status=403)
            try:
                messages = await self.parse(request)
            except Unsupported:
                return response.text("unsupported payload", status=400)
            except RetryLater:
                return response.text("try again later", status=503)
            for incoming in messages:
                await self._process(incoming, handler)
            return response.text("success")

        return limit_webhooks(bp)

    async def _process(
        self, incoming: Incoming, handler: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        name = self.name()
        first = await asyncio.to_thread(
            seen_messages().first_time, name, incoming.sender_id, incoming.message_id
        )
        if not first:
            logger.info("%s webhook redelivered; message processed before", name)
            return
        out = self.reply_channel()
        try:
            await self.before_message(incoming, out)
            text = self.choices.resolve(incoming.sender_id, incoming.text)
            await handler(UserMessage(text, out, incoming.sender_id, input_channel=name))
        except Exception:
            # The platform would redeliver on an error status; the failure is ours.
            logger.exception("%s message failed", name)
