"""Messenger channels in the Rasa credentials, enabled by their environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.config import Settings

FACEBOOK_VARS = ("FACEBOOK_VERIFY_TOKEN", "FACEBOOK_APP_SECRET", "FACEBOOK_PAGE_ACCESS_TOKEN")
TELEGRAM_VARS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BOT_NAME",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_SECRET_TOKEN",
)
WHATSAPP_VARS = (
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)
INSTAGRAM_VARS = ("INSTAGRAM_VERIFY_TOKEN", "INSTAGRAM_APP_SECRET", "INSTAGRAM_ACCESS_TOKEN")
THREEMA_VARS = ("THREEMA_ID", "THREEMA_SECRET", "THREEMA_PRIVATE_KEY")
CHANNEL_VARS = {
    "facebook": FACEBOOK_VARS,
    "telegram": TELEGRAM_VARS,
    "whatsapp": WHATSAPP_VARS,
    "instagram": INSTAGRAM_VARS,
    "threema": THREEMA_VARS,
}


def _settings(source: Settings | Mapping[str, str]) -> Settings:
    return source if isinstance(source, Settings) else Settings.from_env(source)


def _all_set(settings: Settings, names: tuple[str, ...]) -> bool:
    fields = Settings.variables()
    return all(getattr(settings, fields[v]) for v in names)


def enabled_channels(source: Settings | Mapping[str, str]) -> list[str]:
    """The messengers whose variables are all set (in settings or an environment)."""
    settings = _settings(source)
    return [name for name, names in CHANNEL_VARS.items() if _all_set(settings, names)]


def messenger_credentials(source: Settings | Mapping[str, str]) -> dict[str, Any]:
    """Credentials sections for the messengers whose variables are all set."""
    settings = _settings(source)
    creds: dict[str, Any] = {}
    if _all_set(settings, FACEBOOK_VARS):
        creds["bot.channels.facebook.SignedFacebookInput"] = {
            "verify": settings.facebook_verify_token,
            "secret": settings.facebook_app_secret,
            "page-access-token": settings.facebook_page_access_token,
        }
    if _all_set(settings, TELEGRAM_VARS):
        creds["bot.channels.telegram.SignedTelegramInput"] = {
            "access_token": settings.telegram_bot_token,
            "verify": settings.telegram_bot_name,
            "webhook_url": settings.telegram_webhook_url,
            "secret_token": settings.telegram_secret_token,
        }
    if _all_set(settings, WHATSAPP_VARS):
        creds["bot.channels.whatsapp.WhatsAppInput"] = {
            "verify_token": settings.whatsapp_verify_token,
            "app_secret": settings.whatsapp_app_secret,
            "access_token": settings.whatsapp_access_token,
            "phone_number_id": settings.whatsapp_phone_number_id,
            "graph_url": settings.whatsapp_graph_url,
            "template_name": settings.whatsapp_template_name,
            "template_language": settings.whatsapp_template_language,
        }
    if _all_set(settings, INSTAGRAM_VARS):
        creds["bot.channels.instagram.InstagramInput"] = {
            "verify": settings.instagram_verify_token,
            "secret": settings.instagram_app_secret,
            "access-token": settings.instagram_access_token,
            "graph_url": settings.instagram_graph_url,
        }
    if _all_set(settings, THREEMA_VARS):
        creds["bot.channels.threema.ThreemaInput"] = {
            "id": settings.threema_id,
            "secret": settings.threema_secret,
            "private_key": settings.threema_private_key,
            "api_url": settings.threema_api_url,
        }
    return creds
