"""The per-channel policy of data/knowledge/handoff.yml: where personal data may be
processed, where a switch leads, and the channel's own words."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.handoff import HandoffRequest, create_ticket
from bot.handoff.policy import HandoffConfig, decide, other_ways
from bot.handoff.tickets import Outbox
from bot.store import make_engine

YML = Path("data/knowledge/handoff.yml")
THREEMA_ENV = {"THREEMA_ID": "*MSTADT1", "THREEMA_SECRET": "s", "THREEMA_PRIVATE_KEY": "k"}
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("channel", "switch", "platform", "words"),
    [
        ("whatsapp", True, "WhatsApp", "WhatsApp ist ein Dienst eines US-Unternehmens (Meta)"),
        ("instagram", True, "Instagram", "Instagram ist ein Dienst eines US-Unternehmens"),
        ("facebook", True, "Facebook Messenger", "Facebook Messenger ist ein Dienst"),
        ("telegram", True, "Telegram", "Telegram wird von einem Unternehmen außerhalb der EU"),
        ("threema", False, None, ""),
        ("socketio", False, None, ""),
        ("mastodon", True, "diesen Kanal", "Server eines Unternehmens außerhalb der EU"),
    ],
)
def test_each_channel_has_its_policy_and_words(channel, switch, platform, words):
    decision = decide(HandoffConfig.load(YML, env={}), channel, "personal_data")
    assert (decision.switch, decision.platform) == (switch, platform)
    assert words in decision.why


def test_trusted_channels_follow_from_the_policy():
    config = HandoffConfig.load(YML, env={})
    assert {"socketio", "rest", "threema"} <= config.trusted_channels
    assert not {"whatsapp", "instagram", "facebook", "telegram"} & config.trusted_channels


def test_threema_is_offered_only_when_configured_and_listed(tmp_path):
    assert other_ways(HandoffConfig.load(YML, env={}), "whatsapp") == []
    half = {"THREEMA_ID": "*MSTADT1"}  # not all of its variables: the channel is off
    assert other_ways(HandoffConfig.load(YML, env=half), "whatsapp") == []
    ways = other_ways(HandoffConfig.load(YML, env=THREEMA_ENV), "whatsapp")
    assert len(ways) == 1 and "*MSTADT1" in ways[0] and "Threema" in ways[0]
    no_threema = tmp_path / "handoff.yml"
    no_threema.write_text(
        YML.read_text().replace("switch_to: [website, threema]", "switch_to: [website]")
    )
    assert other_ways(HandoffConfig.load(no_threema, env=THREEMA_ENV), "whatsapp") == []


def test_older_lists_still_work_without_channels(tmp_path):
    old = tmp_path / "handoff.yml"
    old.write_text(
        "trusted_channels: [socketio, rest]\nthird_party_channels: {facebook: Facebook Messenger}\n"
        "allowed_on_third_party: [request_human]\n"
    )
    config = HandoffConfig.load(old, env={})
    assert decide(config, "facebook", "personal_data").platform == "Facebook Messenger"
    assert not decide(config, "rest", "personal_data").switch


def test_switch_from_whatsapp_offers_website_link_and_threema_id(knowledge, tmp_path):
    config = HandoffConfig.load(YML, env=THREEMA_ENV)
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    req = HandoffRequest("4917100000030", "whatsapp", "personal_data", ["iban"], key="k1")
    out = create_ticket(
        knowledge,
        config,
        req,
        switch=True,
        events=[{"event": "user", "text": "Meine IBAN ist DE89370400440532013000"}],
        slots={},
        now=NOW,
        engine_factory=lambda: engine,
        outbox=Outbox(tmp_path / "outbox"),
    )
    (reply,) = out.replies
    assert reply.response == "utter_handoff_channel_switch"
    values = reply.variables
    assert values["platform"] == "WhatsApp" and "US-Unternehmens (Meta)" in values["why"]
    token = values["link"].rsplit("?fortsetzen=", 1)[1]
    assert len(token) >= 32 and values["reference"] not in values["link"]
    assert values["other_ways"].startswith("\n• per Threema") and "*MSTADT1" in values["other_ways"]
