"""WhatsApp through Meta's WhatsApp Business Cloud API.

Incoming: Meta's subscription handshake (``hub.verify_token``, 403 when wrong) and
webhooks signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the app
secret; 403 when missing or wrong, compared in constant time). Text messages, the
citizen's choice from reply buttons or a list (``interactive``), a template's quick-reply
button and emoji reactions (a 👍 rates the last answer) are read; images, voice, locations
and the like get the text-only notice; status callbacks (sent, delivered, read, failed)
are acknowledged and ignored.

Outgoing: ``POST {graph}/{phone-number-id}/messages``. Text is split at WhatsApp's 4,096
characters; up to three short choices become reply buttons, up to ten a list message,
anything longer numbered text choices.

The 24-hour customer-service window (:mod:`bot.channels.window`): a message pushed to the
citizen (staff reply, interim message, hand-back) more than 24 hours after the citizen's
last message is replaced by the configured template (``WHATSAPP_TEMPLATE_NAME``,
``WHATSAPP_TEMPLATE_LANGUAGE``); the text itself is delivered as soon as the citizen
answers. Without a template such a push fails, and the staff inbox says so.

Payload shapes: tests/data/connectors/whatsapp_cloud_api_webhook_shapes.json.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from datetime import datetime, timezone
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Request
from sanic.response import HTTPResponse

from bot.cases import delivery
from bot.channels.base import (
    Incoming,
    TextOutput,
    Unsupported,
    WebhookInput,
    credential_strings,
    meta_handshake,
    required_credentials,
)
from bot.channels.textfit import STAFF_PREFIX, ChoiceMemory, numbered_choices, split_text
from bot.channels.window import Windows

logger = logging.getLogger(__name__)
MAX_CHARS = 4096  # text.body
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS, MAX_BUTTON_TITLE, MAX_BUTTON_ID = 3, 20, 256
MAX_ROWS, MAX_ROW_TITLE, MAX_ROW_ID = 10, 24, 200
LIST_BUTTON = "Auswählen"  # the label that opens a list message (at most 20 characters)
TIMEOUT = aiohttp.ClientTimeout(total=10)
NOT_TEXT = "/input_not_text"


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """Checks ``X-Hub-Signature-256: sha256=<hex>`` in constant time."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.split("=", 1)[1])


class WindowClosed(RuntimeError):
    """A push outside the 24-hour window and no template configured."""


def _engine() -> Any:
    from bot import runtime

    return runtime.handoff_engine()


def _clock() -> datetime:
    from bot import runtime

    return runtime.now()


def windows() -> Windows:
    """WhatsApp's windows in the project's store, with the process's clock."""
    return Windows("whatsapp", _engine, _clock)


class WhatsAppOutput(TextOutput):
    """Sends through the Cloud API; pushes outside the window go out as the template."""

    def __init__(
        self,
        access_token: str,
        phone_number_id: str,
        graph_url: str,
        template: tuple[str, str] | None,
        choices: ChoiceMemory,
        window: Windows,
        replying: bool = False,
    ) -> None:
        self.url = f"{graph_url.rstrip('/')}/{phone_number_id}/messages"
        self.token = access_token
        self.template = template
        self.choices = choices
        self.window = window
        self.replying = replying  # an answer to a message just received: inside the window

    @classmethod
    def name(cls) -> str:
        """The channel's name in the tracker."""
        return "whatsapp"

    async def post(self, recipient_id: str, message: dict[str, Any]) -> None:
        """One message to the Cloud API (raises on an error status)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient_id}
        body.update(message)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            async with session.post(self.url, json=body, headers=headers) as resp:
                resp.raise_for_status()

    async def send_plain(self, recipient_id: str, text: str) -> None:
        """Text messages, split at WhatsApp's limit."""
        for part in split_text(text, MAX_CHARS):
            await self.post(recipient_id, {"type": "text", "text": {"body": part}})

    async def _outside_window(
        self, recipient_id: str, text: str, message_id: int | None = None
    ) -> bool:
        """For a push: True when the template went out instead (the text waits)."""
        if self.replying:
            return False
        if await asyncio.to_thread(self.window.is_open, recipient_id):
            return False
        if self.template is None:
            raise WindowClosed("WhatsApp window closed and WHATSAPP_TEMPLATE_NAME not set")
        name, language = self.template
        await asyncio.to_thread(self.window.add_pending, recipient_id, text, message_id)
        await self.post(
            recipient_id,
            {"type": "template", "template": {"name": name, "language": {"code": language}}},
        )
        logger.info("whatsapp push outside the 24-hour window sent as template %s", name)
        return True

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Text, split at the limit; staff messages marked; template outside the window."""
        if kwargs.get("staff"):
            text = STAFF_PREFIX + text

        async def send() -> delivery.Delivery | None:
            mid = delivery.message_id(kwargs)
            if await self._outside_window(recipient_id, text, mid):
                return delivery.WAITING  # the template went out, the text waits
            await self.send_plain(recipient_id, text)  # raises on an error status
            return None

        await delivery.confirm(kwargs, "whatsapp", send)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Reply buttons (up to 3), a list (up to 10), else numbered choices."""
        message = interactive(text, buttons)
        if message is None:
            self.choices.remember(recipient_id, buttons)
            await self.send_text_message(recipient_id, numbered_choices(text, buttons), **kwargs)
            return
        if await self._outside_window(recipient_id, numbered_choices(text, buttons)):
            self.choices.remember(recipient_id, buttons)
            return
        await self.post(recipient_id, {"type": "interactive", "interactive": message})


def interactive(text: str, buttons: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The interactive message for ``buttons``, or None when WhatsApp cannot show them."""
    if not buttons or len(text) > MAX_INTERACTIVE_BODY or not text.strip():
        return None
    titles = [str(b.get("title") or "") for b in buttons]
    ids = [str(b.get("payload") or b.get("title") or "") for b in buttons]
    if any(not t for t in titles) or len(set(ids)) != len(ids):
        return None
    pairs = list(zip(ids, titles, strict=True))
    if (
        len(buttons) <= MAX_BUTTONS
        and all(len(t) <= MAX_BUTTON_TITLE for t in titles)
        and all(len(i) <= MAX_BUTTON_ID for i in ids)
    ):
        return {
            "type": "button",
            "body": {"text": text},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in pairs]
            },
        }
    if (
        len(buttons) <= MAX_ROWS
        and all(len(t) <= MAX_ROW_TITLE for t in titles)
        and all(len(i) <= MAX_ROW_ID for i in ids)
    ):
        return {
            "type": "list",
            "body": {"text": text},
            "action": {
                "button": LIST_BUTTON,
                "sections": [{"rows": [{"id": i, "title": t} for i, t in pairs]}],
            },
        }
    return None


def extract(payload: Any, phone_number_id: str) -> list[Incoming]:
    """The citizen messages of a Cloud API webhook for our number (statuses ignored).

    Raises:
        Unsupported: not a ``whatsapp_business_account`` webhook.
    """
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise Unsupported("not a WhatsApp Business Account webhook")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise Unsupported("no entry list")
    out: list[Incoming] = []
    for entry in entries:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if (change or {}).get("field") != "messages" or not isinstance(value, dict):
                continue
            number = str((value.get("metadata") or {}).get("phone_number_id") or "")
            if phone_number_id and number and number != phone_number_id:
                continue  # another number of the same business account
            for msg in value.get("messages") or []:
                incoming = _message(msg)
                if incoming is not None:
                    out.append(incoming)
    return out


def _message(msg: dict[str, Any]) -> Incoming | None:
    sender = str(msg.get("from") or "")
    if not sender:
        return None
    kind = msg.get("type")
    text: str | None
    if kind == "text":
        text = str((msg.get("text") or {}).get("body") or "")
    elif kind == "interactive":
        block = msg.get("interactive") or {}
        reply = block.get("button_reply") or block.get("list_reply") or {}
        text = str(reply.get("id") or reply.get("title") or "")
    elif kind == "button":  # a template's quick-reply button
        button = msg.get("button") or {}
        text = str(button.get("payload") or button.get("text") or "")
    elif kind == "reaction":
        text = str((msg.get("reaction") or {}).get("emoji") or "")
        if not text:
            return None  # a reaction taken back
    else:  # image, audio, video, document, sticker, location, contacts, unsupported
        text = NOT_TEXT
    sent_at = None
    try:
        if msg.get("timestamp"):
            sent_at = datetime.fromtimestamp(int(msg["timestamp"]), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        sent_at = None
    return Incoming(sender, text, str(msg.get("id") or ""), sent_at)


class WhatsAppInput(WebhookInput):
    """``/webhooks/whatsapp/webhook`` (Cloud API), signed with X-Hub-Signature-256."""

    choices = ChoiceMemory()

    @classmethod
    def name(cls) -> str:
        """Rasa's URL convention: /webhooks/whatsapp/webhook."""
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Built by Rasa from the credentials bot.channels.messengers writes."""
        defaults = {"graph_url": "https://graph.facebook.com/v19.0", "template_language": "de"}
        keys = ("verify_token", "app_secret", "access_token", "phone_number_id", "template_name")
        spec = {key: (key, defaults.get(key, "")) for key in (*keys, *defaults)}
        return cls(**credential_strings(required_credentials(cls, credentials), spec))

    def __init__(
        self,
        verify_token: str,
        app_secret: str,
        access_token: str,
        phone_number_id: str,
        graph_url: str,
        template_name: str = "",
        template_language: str = "de",
    ) -> None:
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.graph_url = graph_url
        self.template = (template_name, template_language) if template_name else None
        self.window = windows()

    def _output(self, replying: bool) -> WhatsAppOutput:
        return WhatsAppOutput(
            self.access_token,
            self.phone_number_id,
            self.graph_url,
            self.template,
            self.choices,
            self.window,
            replying=replying,
        )

    def get_output_channel(self) -> OutputChannel:
        """For pushes (staff replies through Rasa's HTTP API): the window applies."""
        return self._output(replying=False)

    def reply_channel(self) -> OutputChannel:
        """Answers to a message just received: always inside the window."""
        return self._output(replying=True)

    def authenticate(self, request: Request) -> bool:
        """X-Hub-Signature-256 over the raw body."""
        return valid_signature(
            self.app_secret, request.body, request.headers.get("X-Hub-Signature-256")
        )

    async def handshake(self, request: Request) -> HTTPResponse:
        """Meta's verification of the callback URL."""
        return meta_handshake(request, self.verify_token)

    async def parse(self, request: Request) -> list[Incoming]:
        """Messages of the webhook (JSON)."""
        try:
            payload = request.json
        except Exception as exc:  # sanic raises on a body that is not JSON
            raise Unsupported("not JSON") from exc
        return extract(payload, self.phone_number_id)

    async def before_message(self, incoming: Incoming, out: OutputChannel) -> None:
        """Notes the message's time (window) and delivers texts that waited for it."""
        pending = await asyncio.to_thread(
            self.window.record_inbound_items, incoming.sender_id, incoming.sent_at
        )
        if pending and isinstance(out, WhatsAppOutput):
            for text, message_id in pending:
                meta = {"message_id": message_id} if message_id else {}

                async def send(t: str = text) -> None:
                    await out.send_plain(incoming.sender_id, t)

                await delivery.confirm(meta, "whatsapp", send)
