"""Urgent social needs: detected from data, immediate numbers, an urgent case; declined consent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.city import City, load_city, validate_city
from bot.dialogue import Outcome
from bot.dialogue.handoff import HandoffRequest, declined, request_from_parse, start
from bot.handoff.detect import detect
from bot.handoff.detect.rules import DATA_FILE, RulesError, parse_rules
from bot.handoff.policy import HandoffConfig

YML = Path("data/knowledge/handoff.yml")
NOW = datetime(2026, 12, 1, 22, 30, tzinfo=ZoneInfo("Europe/Berlin"))
CITY = City(
    name="Musterstadt",
    state="NW",
    contact_office="Bürgerbüro Mitte",
    contact_phone="+49 2101 100-1100",
    social_emergency_name="Sozialer Notdienst",
    social_emergency_phone="+49 2101 100-7700",
    social_emergency_hours="rund um die Uhr",
)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("Ich bin obdachlos und brauche heute einen Schlafplatz", "social:homeless"),
        ("Wir haben seit zwei Tagen nichts mehr zu essen", "social:no_food"),
        ("Uns wurde die Heizung abgestellt, die Kinder frieren", "social:no_heating"),
        ("Mein Mann schlägt mich, ich weiß nicht wohin", "social:domestic_violence"),
        ("Das Baby nebenan wird seit Tagen allein gelassen", "social:child_welfare"),
    ],
)
def test_urgent_social_needs_are_detected(text, need):
    d = detect(text)
    assert need in d.triggers
    assert d.social[0] == need
    assert d.urgent_social
    assert d.reason in ("sensitive_topic", "emergency")
    assert d.social_responses


@pytest.mark.parametrize(
    "text",
    [
        "Wann hat das Bürgerbüro geöffnet?",
        "Wo beantrage ich Wohngeld?",
        "Die Heizung im Rathaus ist kaputt",
        "Wo ist das Jugendamt?",
    ],
)
def test_routine_questions_are_no_social_need(text):
    d = detect(text)
    assert d.social == ()
    assert not d.urgent_social


def test_violence_names_the_hotline_and_police():
    d = detect("Mein Freund bedroht mich")
    assert d.social_responses == ("utter_social_violence_hotline", "utter_emergency")


def test_social_needs_come_from_the_data_file():
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    data["social_needs"] = [
        {
            "trigger": "social:test",
            "urgent": False,
            "responses": ["utter_social_city_service"],
            "pattern": r"\bzzzquux\b",
        }
    ]
    rules = parse_rules(data)
    assert [n.trigger for n in rules.social_needs] == ["social:test"]
    assert rules.social_needs[0].urgent is False
    data["social_needs"][0]["responses"] = ["not_a_response"]
    with pytest.raises(RulesError, match="social_needs\\[0\\]"):
        parse_rules(data)


def _request(text: str, channel: str = "socketio") -> HandoffRequest:
    d = detect(text)
    parse = {
        "intent": {"name": "handoff_detected"},
        "handoff": {
            "reason": d.reason,
            "triggers": list(d.triggers),
            "emergency": d.emergency,
            "crisis": d.crisis,
            "social": list(d.social),
            "social_responses": list(d.social_responses),
            "urgent_social": d.urgent_social,
        },
    }
    return request_from_parse("s1", channel, parse, 1.0)


def test_homeless_tonight_gets_the_city_service_and_an_urgent_case(knowledge):
    req = _request("Ich bin obdachlos und brauche heute einen Schlafplatz")
    assert req.reason == "urgent_social" and req.urgent
    created: list[tuple[HandoffRequest, bool]] = []

    def create(r: HandoffRequest, switch: bool) -> Outcome:
        created.append((r, switch))
        out = Outcome()
        out.say("utter_handoff_created")
        return out

    out = start(knowledge, HandoffConfig.load(YML, env={}), req, {}, NOW, create, CITY)
    names = [r.response for r in out.replies]
    assert names[0] == "utter_social_city_service"
    assert out.replies[0].variables["social_phone"] == "+49 2101 100-7700"
    assert out.replies[0].variables["social_service"] == "Sozialer Notdienst"
    assert "utter_handoff_why_urgent_social" in names
    assert "utter_handoff_ask_consent" not in names
    assert created and created[0][0].reason == "urgent_social"


def test_without_a_social_service_the_city_contact_is_named(knowledge):
    req = _request("Wir haben nichts mehr zu essen")
    city = City(name="X-Stadt", state="NW", contact_office="Rathaus", contact_phone="0123 45")
    out = start(
        knowledge, HandoffConfig.load(YML, env={}), req, {}, NOW, lambda r, s: Outcome(), city
    )
    assert out.replies[0].variables["social_phone"] == "0123 45"


def test_urgent_social_case_is_due_within_hours(knowledge):
    from bot.dialogue.handoff import compute_due

    office = knowledge.offices["sozialamt"]
    due = compute_due(knowledge, HandoffConfig.load(YML, env={}), office, NOW, urgent=True)
    assert due - NOW <= timedelta(hours=2)


def test_city_profile_has_the_emergency_social_service(knowledge_copy):
    city = load_city(Path("data/knowledge"))
    assert city.social_emergency_phone
    raw = yaml.safe_load((knowledge_copy / "city.yml").read_text(encoding="utf-8"))
    raw["social_emergency"] = {"name": "Notdienst"}
    (knowledge_copy / "city.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert any("social_emergency" in p for p in validate_city(knowledge_copy))


def test_declined_consent_answers_with_the_direct_contact(knowledge):
    out = declined(
        knowledge,
        HandoffConfig.load(YML, env={}),
        {"handoff_stage": "consent", "handoff_triggers": ["topic:social_benefits"]},
    )
    reply = out.replies[0]
    assert reply.response == "utter_consent_declined"
    assert reply.variables["office"] == knowledge.offices["sozialamt"].the("acc")
    assert reply.variables["contact"].startswith("Telefon")
    assert out.slots["handoff_stage"] is None
    assert out.backlog is None
