"""Messenger channels in the Rasa credentials, enabled by their environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FACEBOOK_VARS = ("FACEBOOK_VERIFY_TOKEN", "FACEBOOK_APP_SECRET", "FACEBOOK_PAGE_ACCESS_TOKEN")
TELEGRAM_VARS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BOT_NAME",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_SECRET_TOKEN",
)


def messenger_credentials(env: Mapping[str, str]) -> dict[str, Any]:
    """Credentials sections for the messengers whose variables are all set."""
    creds: dict[str, Any] = {}
    if all(env.get(v) for v in FACEBOOK_VARS):
        creds["bot.channels.facebook.SignedFacebookInput"] = {
            "verify": env["FACEBOOK_VERIFY_TOKEN"],
            "secret": env["FACEBOOK_APP_SECRET"],
            "page-access-token": env["FACEBOOK_PAGE_ACCESS_TOKEN"],
        }
    if all(env.get(v) for v in TELEGRAM_VARS):
        creds["bot.channels.telegram.SignedTelegramInput"] = {
            "access_token": env["TELEGRAM_BOT_TOKEN"],
            "verify": env["TELEGRAM_BOT_NAME"],
            "webhook_url": env["TELEGRAM_WEBHOOK_URL"],
            "secret_token": env["TELEGRAM_SECRET_TOKEN"],
        }
    return creds
