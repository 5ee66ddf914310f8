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

# Each messenger's connector and its credential keys: first those of its variables above
# (in their order), then optional ones, read from the variable CHANNEL_KEY.
CONNECTORS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "facebook": ("bot.channels.facebook.SignedFacebookInput",
                 ("verify", "secret", "page-access-token"), ()),
    "telegram": ("bot.channels.telegram.SignedTelegramInput",
                 ("access_token", "verify", "webhook_url", "secret_token"), ()),
    "whatsapp": ("bot.channels.whatsapp.WhatsAppInput",
                 ("verify_token", "app_secret", "access_token", "phone_number_id"),
                 ("graph_url", "template_name", "template_language")),
    "instagram": ("bot.channels.instagram.InstagramInput",
                  ("verify", "secret", "access-token"), ("graph_url",)),
    "threema": ("bot.channels.threema.ThreemaInput",
                ("id", "secret", "private_key"), ("api_url",)),
}  # fmt: skip


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
    fields = Settings.variables()
    creds: dict[str, Any] = {}
    for name, (connector, keys, optional) in CONNECTORS.items():
        if _all_set(settings, CHANNEL_VARS[name]):
            variables = (*CHANNEL_VARS[name], *(f"{name}_{key}".upper() for key in optional))
            creds[connector] = {
                key: getattr(settings, fields[variable])
                for key, variable in zip((*keys, *optional), variables, strict=True)
            }
    return creds
