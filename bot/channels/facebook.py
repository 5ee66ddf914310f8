"""Facebook Messenger with webhook authenticity, which Rasa 3.6 does not enforce.

Rasa's connector reads only the SHA-1 ``X-Hub-Signature`` header and answers 200 on a bad
signature. This one verifies ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the
app secret) and answers **403** when it is missing or wrong; a wrong verify token at the
subscription handshake is also 403. A redelivered message (same ``mid``) is processed
once. Sends to the Graph API run in a thread (the
``fbmessenger`` client is blocking), replies are cut to Messenger's 2,000 characters, and
more than three buttons become numbered text choices.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fbmessenger import MessengerClient
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot import config
from bot.cases import delivery
from bot.channels.base import webhook_blueprint
from bot.channels.dedup import seen_messages
from bot.channels.guard import limit_webhooks
from bot.channels.guard import secret_bytes as _b
from bot.channels.rest import guard_handler
from bot.channels.textfit import STAFF_PREFIX, ChoiceMemory, numbered_choices, split_text

logger = logging.getLogger(__name__)
MAX_CHARS = 2000
MAX_BUTTONS = 3


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """Checks ``X-Hub-Signature-256: sha256=<hex>`` in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(_b(expected), _b(header.split("=", 1)[1]))


def _client(token: str, graph_url: str = "") -> MessengerClient:
    client = MessengerClient(token)
    # FACEBOOK_GRAPH_URL: a test double or a proxy; default: Meta's Graph API
    graph_url = graph_url or config.current().facebook_graph_url
    if graph_url:
        client.graph_url = graph_url.rstrip("/")
    return client


class SignedMessengerBot(MessengerBot):
    """Messenger output: non-blocking sends, length limit, numbered choices."""

    max_chars = MAX_CHARS

    def __init__(self, client: MessengerClient, choices: ChoiceMemory) -> None:
        super().__init__(client)
        self.choices = choices

    def send(self, recipient_id: str, element: Any) -> Any:
        """Blocking send (called in a worker thread only); the Send API's answer."""
        return self.messenger_client.send(element.to_dict(), recipient_id, "RESPONSE", timeout=10)

    async def _send_text(self, recipient_id: str, text: str, confirmed: bool = False) -> None:
        """``confirmed``: every part must be accepted by the Send API (it answers
        ``{"recipient_id", "message_id"}``; fbmessenger returns an error body as it is)."""
        from fbmessenger.elements import Text as FBText

        for part in split_text(text, self.max_chars):
            answer = await asyncio.to_thread(self.send, recipient_id, FBText(text=part))
            if confirmed and not (isinstance(answer, dict) and answer.get("message_id")):
                error = answer.get("error") if isinstance(answer, dict) else None
                code = error.get("code") if isinstance(error, dict) else None
                raise delivery.NotDelivered(f"{self.name()}: Send API error {code or '?'}")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends text, split at Messenger's limit; staff replies are marked as such."""
        if kwargs.get("staff"):
            text = STAFF_PREFIX + text
        if delivery.message_id(kwargs) is None:
            await self._send_text(recipient_id, text)
            return
        await delivery.confirm(
            kwargs, self.name(), lambda: self._send_text(recipient_id, text, confirmed=True)
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Up to three buttons as a button template; more as numbered choices."""
        if len(buttons) > MAX_BUTTONS or len(text) > 640:
            self.choices.remember(recipient_id, buttons)
            await self._send_text(recipient_id, numbered_choices(text, buttons))
            return
        self._add_postback_info(buttons)
        payload = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "button", "text": text, "buttons": buttons},
            }
        }
        await asyncio.to_thread(
            self.messenger_client.send, payload, recipient_id, "RESPONSE", timeout=10
        )

    async def send_action(self, recipient_id: str, sender_action: str) -> None:
        """Typing indicators, best effort."""
        try:
            await asyncio.to_thread(
                self.messenger_client.send_action, {"sender_action": sender_action}, recipient_id, 5
            )
        except Exception:
            logger.debug("facebook sender action failed")


class _GuardedMessenger(Messenger):
    """Rasa's payload parsing with our output channel; attachments are not read;
    a redelivered message (same ``mid``) is processed once."""

    def __init__(
        self,
        bot: SignedMessengerBot,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        channel: str = "facebook",
    ) -> None:
        super().__init__("unused", on_new_message)
        self.client = bot.messenger_client
        self.bot = bot
        self.channel = channel

    async def message(self, message: dict[str, Any], metadata: dict[str, Any] | None) -> None:
        """Text and quick replies as text; attachments answered as not readable."""
        if message.get("message", {}).get("is_echo"):
            return  # our own messages mirrored back by Meta
        mid = (message.get("message") or message.get("postback") or {}).get("mid")
        sender = str((message.get("sender") or {}).get("id") or "")
        if not await asyncio.to_thread(seen_messages().first_time, self.channel, sender, mid):
            logger.info("%s webhook redelivered; message processed before", self.channel)
            return
        has_attachment = bool(message.get("message", {}).get("attachments"))
        if has_attachment and not self._is_quick_reply_message(message):
            await self._handle_user_message("/input_not_text", self.get_user_id(), metadata)
            return
        await super().message(message, metadata)

    async def _handle_user_message(
        self, text: str, sender_id: str, metadata: dict[str, Any] | None
    ) -> None:
        text = self.bot.choices.resolve(sender_id, text)
        await self.bot.send_action(sender_id, "typing_on")
        try:
            await self.on_new_message(
                UserMessage(
                    text, self.bot, sender_id, input_channel=self.channel, metadata=metadata
                )
            )
        except Exception:
            logger.exception("%s message failed", self.channel)
        finally:
            await self.bot.send_action(sender_id, "typing_off")


class SignedFacebookInput(FacebookInput):
    """``/webhooks/facebook/webhook`` with X-Hub-Signature-256 verification (403)."""

    choices = ChoiceMemory()
    blueprint_name = "fb_webhook"
    graph_url = ""  # "": FACEBOOK_GRAPH_URL or Meta's default

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's channel name and URL."""
        return "facebook"

    def get_output_channel(self) -> OutputChannel:
        """For pushes (staff replies through Rasa's HTTP API)."""
        return self.output_bot()

    def output_bot(self) -> SignedMessengerBot:
        """The output channel of this platform."""
        return SignedMessengerBot(_client(self.fb_access_token, self.graph_url), self.choices)

    def accepts(self, payload: dict[str, Any]) -> bool:
        """Whether a webhook body has this platform's shape."""
        return isinstance(payload.get("entry"), list)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, subscription handshake and the signed webhook."""
        bp = webhook_blueprint(self.blueprint_name, __name__)
        handler = guard_handler(on_new_message)

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if self.fb_verify and hmac.compare_digest(_b(token), _b(self.fb_verify)):
                return response.text(request.args.get("hub.challenge") or "")
            return response.text("invalid verify token", status=403)

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            header = request.headers.get("X-Hub-Signature-256")
            if not valid_signature(self.fb_secret, request.body, header):
                logger.warning("facebook webhook with missing or wrong signature rejected")
                return response.text("invalid signature", status=403)
            payload = request.json
            if not isinstance(payload, dict) or not self.accepts(payload):
                return response.text("unsupported payload", status=400)
            messenger = _GuardedMessenger(self.output_bot(), handler, self.name())
            await messenger.handle(payload, self.get_metadata(request))
            return response.text("success")

        return limit_webhooks(bp)  # per client IP: 429 with Retry-After
