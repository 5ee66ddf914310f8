"""Telegram with webhook authenticity, which Rasa 3.6 does not enforce.

Rasa's connector ignores ``X-Telegram-Bot-Api-Secret-Token``, asks Telegram's servers
who it is on every update and registers its webhook with ``asyncio.run`` (which fails
inside a running server, e.g. for staff replies). This one checks the secret token
(**403** when missing or wrong), registers the webhook with that secret once at start-up
(failures are logged, not fatal), processes a redelivered update (same ``update_id``)
once, answers stickers and other media with a clear notice,
and keeps replies within Telegram's 4,096 characters; buttons whose payload exceeds
Telegram's 64 bytes of callback data become numbered text choices.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.bot.api import TelegramAPIServer
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot import config
from bot.cases import delivery
from bot.channels.base import required_credentials, webhook_blueprint
from bot.channels.dedup import seen_messages
from bot.channels.guard import limit_webhooks
from bot.channels.guard import secret_bytes as _b
from bot.channels.rest import guard_handler
from bot.channels.textfit import STAFF_PREFIX, ChoiceMemory, numbered_choices, split_text

logger = logging.getLogger(__name__)
MAX_CHARS = 4096
MAX_CALLBACK_BYTES = 64


class SignedTelegramOutput(TelegramOutput):
    """Telegram output with length limits and numbered choices where buttons fail."""

    def __init__(self, access_token: str | None, choices: ChoiceMemory) -> None:
        api_url = config.current().telegram_api_url  # a local Bot API server or a test double
        if api_url:
            server = TelegramAPIServer.from_base(api_url)
            super(TelegramOutput, self).__init__(access_token, server=server)
        else:
            super().__init__(access_token)
        self.choices = choices

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends text, split at Telegram's limit; staff replies are marked as such."""
        if kwargs.get("staff"):
            text = STAFF_PREFIX + text

        async def send() -> None:  # aiogram raises on every error answer of the Bot API
            for part in split_text(text, MAX_CHARS):
                await self.send_message(recipient_id, part)

        await delivery.confirm(kwargs, "telegram", send)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = "vertical",
        **kwargs: Any,
    ) -> None:
        """Inline keyboard, or numbered choices when a payload is too long for Telegram."""
        too_long = any(
            len(str(b.get("payload", "")).encode()) > MAX_CALLBACK_BYTES for b in buttons
        )
        if too_long or len(text) > MAX_CHARS:
            self.choices.remember(recipient_id, buttons)
            await self.send_text_message(recipient_id, numbered_choices(text, buttons))
            return
        await super().send_text_with_buttons(recipient_id, text, buttons, button_type="vertical")


class SignedTelegramInput(TelegramInput):
    """``/webhooks/telegram/webhook`` with X-Telegram-Bot-Api-Secret-Token (403)."""

    choices = ChoiceMemory()

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's channel name and URL."""
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Rasa's credentials plus ``secret_token``."""
        credentials = required_credentials(cls, credentials)
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token") or "",
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None,
        webhook_url: str | None,
        debug_mode: bool = False,
        secret_token: str = "",
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        self.secret_token = secret_token

    def get_output_channel(self) -> TelegramOutput:
        """For replies and pushes; no network call here."""
        return SignedTelegramOutput(self.access_token, self.choices)

    async def register_webhook(self) -> None:
        """setWebhook with the secret token (once, at start-up)."""
        if not self.webhook_url:
            return
        bot = self.get_output_channel()
        try:
            await bot.request(
                "setWebhook", {"url": self.webhook_url, "secret_token": self.secret_token}
            )
            logger.info("telegram webhook registered")
        except Exception as exc:
            logger.warning("telegram setWebhook failed: %s", type(exc).__name__)
        finally:
            if bot.session is not None:
                await bot.session.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health and the signed webhook."""
        bp = webhook_blueprint("telegram_webhook", __name__)
        handler = guard_handler(on_new_message)
        out = self.get_output_channel()

        @bp.listener("after_server_start")
        async def _register(_app: Any, _loop: Any) -> None:
            await self.register_webhook()

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            sent = request.headers.get("X-Telegram-Bot-Api-Secret-Token") or ""
            if not self.secret_token or not hmac.compare_digest(_b(sent), _b(self.secret_token)):
                logger.warning("telegram webhook with missing or wrong secret token rejected")
                return response.text("invalid secret token", status=403)
            update = request.json
            if not isinstance(update, dict):
                return response.text("unsupported payload", status=400)
            extracted = self.extract(update)
            if extracted is None:
                return response.text("success")  # nothing a citizen wrote (e.g. a service update)
            chat_id, text = extracted
            first = await asyncio.to_thread(
                seen_messages().first_time, "telegram", str(chat_id), update.get("update_id")
            )
            if not first:
                logger.info("telegram update redelivered; processed before")
                return response.text("success")
            text = self.choices.resolve(str(chat_id), text)
            await handler(
                UserMessage(
                    text,
                    out,
                    str(chat_id),
                    input_channel="telegram",
                    metadata=self.get_metadata(request),
                )
            )
            return response.text("success")

        return limit_webhooks(bp)  # per client IP: 429 with Retry-After

    @staticmethod
    def extract(update: dict[str, Any]) -> tuple[Any, str] | None:
        """``(chat id, text)`` of an update, or None when it carries no citizen input.

        Button presses give their payload, edited messages their new text; locations,
        stickers, photos, voice and other media give ``/input_not_text``.
        """
        if "callback_query" in update:
            cq = update["callback_query"] or {}
            chat = (cq.get("message") or {}).get("chat") or cq.get("from") or {}
            return chat.get("id"), str(cq.get("data") or "")
        msg = update.get("message") or update.get("edited_message")
        if not isinstance(msg, dict) or "chat" not in msg:
            return None
        chat_id = msg["chat"].get("id")
        if isinstance(msg.get("text"), str):
            return chat_id, msg["text"].replace("/bot", "")
        return chat_id, "/input_not_text"

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """No metadata from Telegram's request."""
        return None
