"""Each messenger is enabled exactly when all of its variables are set."""

from __future__ import annotations

import pytest

from bot.channels.messengers import CHANNEL_VARS, enabled_channels, messenger_credentials

FULL = {name: f"value-of-{name.lower()}" for names in CHANNEL_VARS.values() for name in names}
FULL["TELEGRAM_WEBHOOK_URL"] = "https://buergerservice.example/webhooks/telegram/webhook"
SECTIONS = {
    "whatsapp": "bot.channels.whatsapp.WhatsAppInput",
    "instagram": "bot.channels.instagram.InstagramInput",
    "threema": "bot.channels.threema.ThreemaInput",
    "facebook": "bot.channels.facebook.SignedFacebookInput",
    "telegram": "bot.channels.telegram.SignedTelegramInput",
}


def test_all_variables_enable_every_channel():
    assert sorted(enabled_channels(FULL)) == sorted(SECTIONS)
    assert set(messenger_credentials(FULL)) == set(SECTIONS.values())


@pytest.mark.parametrize("channel", sorted(SECTIONS))
def test_one_missing_variable_disables_only_that_channel(channel):
    for missing in CHANNEL_VARS[channel]:
        env = {k: v for k, v in FULL.items() if k != missing}
        creds = messenger_credentials(env)
        assert SECTIONS[channel] not in creds, missing
        assert len(creds) == len(SECTIONS) - 1


def test_whatsapp_credentials_carry_template_and_test_hook():
    env = {
        **FULL,
        "WHATSAPP_TEMPLATE_NAME": "vorgang_antwort",
        "WHATSAPP_GRAPH_URL": "http://127.0.0.1:9/",
    }
    wa = messenger_credentials(env)[SECTIONS["whatsapp"]]
    assert wa["template_name"] == "vorgang_antwort" and wa["template_language"] == "de"
    assert wa["graph_url"] == "http://127.0.0.1:9"
    assert (
        messenger_credentials(FULL)[SECTIONS["threema"]]["api_url"] == "https://msgapi.threema.ch"
    )


def test_no_variables_no_messengers():
    assert messenger_credentials({}) == {} and enabled_channels({}) == []
