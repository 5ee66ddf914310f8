"""One detail of a service answered first, from the data (bot.dialogue.details)."""

from __future__ import annotations

import pytest

from bot.dialogue.details import DETAILS, answer_detail, detail_of
from bot.dialogue.responsibilities import answer


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Was kostet ein Reisepass?", "fee"),
        ("Wie hoch ist die Hundesteuer?", "fee"),
        ("Was brauche ich für einen Personalausweis?", "documents"),
        ("Was muss ich mitbringen?", "documents"),
        ("Brauche ich einen Termin?", "appointment"),
        ("Geht das online?", "online"),
        ("Bis wann muss ich mich ummelden?", "deadline"),
        ("Geht das auch in Nord?", "locations"),
        ("Und wo ist das?", "address"),
        ("Und wie lange dauert das?", "duration"),
        ("Wo beantrage ich einen Reisepass?", None),
        ("Ich kann meine Miete kaum zahlen, gibt es einen Zuschuss?", None),
    ],
)
def test_detail_of_the_question(text, detail):
    assert detail_of(text, []) == detail


def test_entity_wins_over_cue_words(make_entity):
    assert detail_of("Was kostet das?", [make_entity("detail", "documents")]) == "documents"
    assert detail_of("Was kostet das?", [make_entity("detail", "nonsense")]) == "fee"


def test_fee_first_with_office_and_card_button(knowledge, make_entity):
    out = answer(knowledge, "Was kostet ein Reisepass?", [make_entity("service", "reisepass")], {})
    reply = out.replies[0]
    assert reply.response == "utter_detail_fee"
    assert reply.variables["fee"] == knowledge.services["reisepass"].fee
    assert reply.variables["office"] == "Bürgerbüro Mitte"
    assert reply.buttons[0]["payload"] == '/ask_responsibility{"service": "reisepass"}'
    assert out.slots["service"] == "reisepass" and out.slots["office"] == "buergerbuero_mitte"


def test_documents_of_the_service_in_focus(knowledge):
    out = answer(knowledge, "Was muss ich mitbringen?", [], {"service": "kfz_zulassen"})
    reply = out.replies[0]
    assert reply.response == "utter_detail_documents"
    assert "eVB-Nummer" in reply.variables["documents"]


@pytest.mark.parametrize(
    ("text", "slots", "response", "variables"),
    [
        pytest.param(
            "Brauche ich einen Termin?",
            {"service": "reisepass"},
            "utter_detail_appointment_required",
            {"url": "https://termine.musterstadt.de/buergerbuero"},
            id="appointment_required_with_link",
        ),
        pytest.param(
            "Brauche ich einen Termin?",
            {"service": "laermbelaestigung"},
            "utter_detail_appointment_walk_in",
            {},
            id="appointment_of_a_walk_in_office",
        ),
        pytest.param(
            "Bis wann muss ich die Wohnung anmelden?",
            {},
            "utter_detail_deadline",
            {"deadline": "innerhalb von zwei Wochen nach dem Einzug"},
            id="deadline_from_the_data",
        ),
        pytest.param(
            "Und wie lange dauert das?",
            {"service": "reisepass"},
            "utter_detail_duration_none",
            {"office": "Bürgerbüro Mitte"},
            id="duration_is_not_in_the_data_and_says_who_knows",
        ),
    ],
)
def test_one_detail_answer(knowledge, text, slots, response, variables):
    reply = answer(knowledge, text, [], slots).replies[0]
    assert reply.response == response
    assert {key: reply.variables[key] for key in variables} == variables


def test_online_link_or_plainly_none(knowledge):
    out = answer(knowledge, "Geht das online?", [], {"service": "fuehrungszeugnis"})
    assert out.replies[0].variables["url"] == "https://www.fuehrungszeugnis.bund.de"
    out = answer(knowledge, "Geht das online?", [], {"service": "reisepass"})
    assert out.replies[0].response == "utter_detail_online_none"
    assert "Telefon +49 2101 100-1100" in out.replies[0].variables["contact"]


def test_other_location_yes_and_no(knowledge):
    out = answer(knowledge, "Geht das auch in Nord?", [], {"service": "reisepass"})
    assert out.replies[0].response == "utter_detail_locations_yes"
    assert out.replies[0].variables["asked"] == "Bürgerbüro Nord"
    assert out.slots["office"] == "buergerbuero_nord"
    out = answer(knowledge, "Geht das auch in Nord?", [], {"service": "hundesteuer"})
    assert out.replies[0].response == "utter_detail_locations_no"
    assert out.replies[0].variables["places"] == "Steueramt"


def test_every_detail_of_every_service_has_an_answer(knowledge):
    for service in knowledge.services.values():
        for detail in DETAILS:
            out = answer_detail(knowledge, service, detail)
            assert out.replies, (service.id, detail)
            assert out.replies[0].response.startswith("utter_detail_")


def test_detail_without_service_asks_and_the_next_message_fills_it(knowledge, make_entity):
    out = answer(knowledge, "Was kostet das?", [], {})
    assert out.replies[0].response == "utter_ask_service_for_detail"
    assert out.slots["detail"] == "fee"
    out = answer(
        knowledge, "den Personalausweis", [make_entity("service", "personalausweis")], out.slots
    )
    assert out.replies[0].response == "utter_detail_fee"
    assert out.slots["detail"] is None


def test_detail_of_an_unknown_service_is_not_the_focus_answer(knowledge):
    out = answer(knowledge, "Was kostet ein Angelschein?", [], {"service": "reisepass"})
    assert out.replies[0].response == "utter_service_unknown"
    assert "service" not in out.slots


def test_office_level_detail_without_service(knowledge):
    out = answer(knowledge, "Brauche ich einen Termin?", [], {"office": "standesamt"})
    assert out.replies[0].response == "utter_detail_office_appointment_optional"
    out = answer(knowledge, "Wo ist das Fundbüro?", [], {})
    assert out.replies[0].response == "utter_detail_address"
    assert out.replies[0].variables["address"].startswith("Marktstraße 5")


def test_responses_exist_in_the_domain():
    from pathlib import Path

    import yaml

    responses: set[str] = set()
    for f in Path("domain").glob("*.yml"):
        responses |= set((yaml.safe_load(f.read_text()) or {}).get("responses", {}) or {})
    import re

    used = set(re.findall(r'"(utter_[a-z_]+)"', Path("bot/dialogue/details.py").read_text()))
    used |= set(
        re.findall(r'"(utter_[a-z_]+)"', Path("bot/dialogue/responsibilities.py").read_text())
    )
    used |= set(re.findall(r'"(utter_[a-z_]+)"', Path("bot/dialogue/netiquette.py").read_text()))
    prefixes = {u for u in used if u.endswith("_")}
    assert not (used - prefixes) - responses
