"""Instagram direct messages through the Messenger Platform's Instagram webhooks.

The same Meta machinery as Facebook Messenger (:mod:`bot.channels.facebook`): the
subscription handshake, ``X-Hub-Signature-256`` over the raw body (403 when missing or
wrong), ``entry[].messaging[]`` items with ``sender.id`` (the Instagram-scoped id),
``message.text``, ``message.quick_reply.payload`` and ``postback`` (ice breakers), echoes
of our own messages, and the Send API ``POST /me/messages``. Where Instagram differs:

- the webhook's ``object`` is ``instagram`` (a Page webhook is refused here: 400);
- no button template: up to 13 choices become quick replies (title at most 20
  characters), anything else numbered text choices;
- text at most 1,000 characters per message.

Payload shapes: tests/data/connectors/instagram_messaging_webhook_shapes.json.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.channels.channel import InputChannel

from bot.channels.base import required_credentials
from bot.channels.facebook import SignedFacebookInput, SignedMessengerBot, _client
from bot.channels.textfit import ChoiceMemory, numbered_choices

MAX_CHARS = 1000
MAX_QUICK_REPLIES, MAX_TITLE, MAX_PAYLOAD = 13, 20, 1000


def quick_replies(buttons: list[dict[str, Any]]) -> list[dict[str, str]] | None:
    """Instagram quick replies for ``buttons``, or None when they do not fit."""
    if not buttons or len(buttons) > MAX_QUICK_REPLIES:
        return None
    out = []
    for b in buttons:
        title = str(b.get("title") or "")
        payload = str(b.get("payload") or title)
        if not title or len(title) > MAX_TITLE or len(payload) > MAX_PAYLOAD:
            return None
        out.append({"content_type": "text", "title": title, "payload": payload})
    return out


class InstagramBot(SignedMessengerBot):
    """Send API output for Instagram: 1,000 characters, quick replies instead of buttons."""

    max_chars = MAX_CHARS

    @classmethod
    def name(cls) -> str:
        """The channel's name in the tracker."""
        return "instagram"

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies when they fit, else numbered choices."""
        replies = quick_replies(buttons)
        if replies is None or len(text) > MAX_CHARS:
            self.choices.remember(recipient_id, buttons)
            await self._send_text(recipient_id, numbered_choices(text, buttons))
            return
        message = {"text": text, "quick_replies": replies}
        await asyncio.to_thread(
            self.messenger_client.send, message, recipient_id, "RESPONSE", timeout=10
        )

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Rasa's quick replies as Instagram's."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)


class InstagramInput(SignedFacebookInput):
    """``/webhooks/instagram/webhook``, verified like Messenger's (403)."""

    choices = ChoiceMemory()
    blueprint_name = "instagram_webhook"

    @classmethod
    def name(cls) -> str:
        """Rasa's URL convention: /webhooks/instagram/webhook."""
        return "instagram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Built by Rasa from the credentials bot.channels.messengers writes."""
        credentials = required_credentials(cls, credentials)
        channel = cls(
            credentials.get("verify"),
            credentials.get("secret"),
            credentials.get("access-token"),
        )
        channel.graph_url = str(credentials.get("graph_url") or "")
        return channel

    def output_bot(self) -> SignedMessengerBot:
        """Instagram's output channel."""
        return InstagramBot(_client(self.fb_access_token, self.graph_url), self.choices)

    def accepts(self, payload: dict[str, Any]) -> bool:
        """Only Instagram webhooks (``object: instagram``)."""
        return payload.get("object") == "instagram" and isinstance(payload.get("entry"), list)
