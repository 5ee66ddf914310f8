"""Focus across turns and never a guess: offices, services, streets (bot.dialogue)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.dialogue import netiquette
from bot.dialogue.opening_hours import answer as hours
from bot.dialogue.responsibilities import answer as responsibility
from bot.dialogue.route import topic_of

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Monday


def test_office_that_does_not_exist_is_named_with_the_real_choices(knowledge, make_entity):
    text = "Öffnungszeiten Bürgerbüro Süd am 24.12."
    entity = {**make_entity("office", "buergerbuero_mitte"), "start": 15, "end": 25}
    out = hours(knowledge, text, [entity], {}, NOW)
    reply = out.replies[0]
    assert reply.response == "utter_office_unknown"
    assert reply.variables["query"] == "Bürgerbüro Süd"
    assert [b["title"] for b in reply.buttons] == ["Bürgerbüro Mitte", "Bürgerbüro Nord"]
    assert "office" not in out.slots  # nobody's hours were given as Süd's


def test_unknown_qualifier_without_entity_too(knowledge):
    out = hours(knowledge, "Wann hat das Bürgerbüro West auf?", [], {}, NOW)
    assert out.replies[0].response == "utter_office_unknown"
    out = hours(knowledge, "Hat das Standesamt Nord heute offen?", [], {}, NOW)
    assert out.replies[0].response == "utter_office_unknown"


def test_known_qualifier_after_the_entity_picks_the_sibling(knowledge, make_entity):
    text = "Wann hat das Bürgerbüro Nord auf?"
    entity = {**make_entity("office", "buergerbuero_mitte"), "start": 13, "end": 23}
    out = hours(knowledge, text, [entity], {}, NOW)
    assert out.replies[0].variables["office"] == "Bürgerbüro Nord"


def test_office_word_the_data_lacks_is_unknown_even_without_entity(knowledge):
    out = hours(knowledge, "Wann hat das Gesundheitsamt offen?", [], {"office": "standesamt"}, NOW)
    assert out.replies[0].response == "utter_office_unknown"
    assert out.replies[0].variables["query"] == "Gesundheitsamt"


def test_typo_in_office_is_answered_and_named_back(knowledge, make_entity):
    out = hours(
        knowledge, "Wann hat das Standesammt auf?", [make_entity("office", "Standesammt")], {}, NOW
    )
    assert out.replies[0].response == "utter_did_you_mean"
    assert out.replies[0].variables["name"] == "Standesamt"
    assert out.replies[1].variables["office"] == "Standesamt"


def test_bare_district_follows_the_office_in_focus(knowledge, make_entity):
    out = hours(
        knowledge,
        "Und das in Nord?",
        [make_entity("office", "Nord")],
        {"office": "buergerbuero_mitte"},
        NOW,
    )
    assert out.replies[0].variables["office"] == "Bürgerbüro Nord"


def test_office_question_after_asking_fills_it_even_if_a_service_has_the_name(
    knowledge, make_entity
):
    assert hours(knowledge, "Öffnungszeiten bitte", [], {}, NOW).replies[0].response == (
        "utter_ask_office"
    )
    entities = [make_entity("office", "fundbuero")]
    assert topic_of(knowledge, "Fundbüro", entities, "opening_hours", NOW) == "opening_hours"
    out = hours(knowledge, "Fundbüro", entities, {"topic": "opening_hours"}, NOW)
    assert out.replies[0].variables["office"] == "Fundbüro"


def test_follow_ups_refer_to_the_focus(knowledge, make_entity):
    slots = responsibility(knowledge, "Wo beantrage ich einen Reisepass?", [], {}).slots
    assert slots["service"] == "reisepass" and slots["office"] == "buergerbuero_mitte"
    assert topic_of(
        knowledge, "Und wie lange dauert das?", [], "responsibility", NOW, "reisepass"
    ) == ("responsibility")
    assert topic_of(knowledge, "und am Samstag?", [], "responsibility", NOW, "reisepass") == (
        "opening_hours"
    )
    nord = [make_entity("office", "Nord")]
    assert topic_of(knowledge, "Und das in Nord?", nord, "responsibility", NOW, "reisepass") == (
        "responsibility"
    )
    assert topic_of(knowledge, "Und das in Nord?", nord, "opening_hours", NOW, None) == (
        "opening_hours"
    )
    out = hours(knowledge, "Und wann haben die auf?", [], slots, NOW)
    assert out.replies[0].variables["office"] == "Bürgerbüro Mitte"


def test_a_new_office_replaces_the_service_in_focus(knowledge):
    slots = {"service": "reisepass", "office": "buergerbuero_mitte"}
    out = hours(knowledge, "Wann hat das Standesamt auf?", [], slots, NOW)
    assert out.slots["office"] == "standesamt" and out.slots["service"] is None
    out = hours(knowledge, "Und das Bürgerbüro Nord?", [], slots, NOW)
    assert "service" not in out.slots  # the passport is offered there too: focus kept


def test_a_new_service_replaces_the_focus(knowledge):
    out = responsibility(
        knowledge, "Wo bekomme ich einen Führerschein?", [], {"service": "hundesteuer"}
    )
    assert out.slots["service"] == "fuehrerschein"


def test_unknown_service_offers_close_real_ones_as_buttons(knowledge):
    out = responsibility(knowledge, "Mein Nachbar parkt immer falsch, Falschparkr melden", [], {})
    assert out.replies[0].response == "utter_did_you_mean"
    out = responsibility(knowledge, "Wo bekomme ich einen Angelschein?", [], {})
    assert out.replies[0].response == "utter_service_unknown" and out.backlog


def test_netiquette_classification(knowledge):
    assert netiquette.classify(knowledge, "Ihr seid doch alle unfähige Idioten") == "insult"
    assert netiquette.classify(knowledge, "du bist so ein dummer bot") == "insult"
    assert (
        netiquette.classify(
            knowledge, "Ihr Idioten habt meinen Antrag seit drei Monaten nicht bearbeitet"
        )
        == "complaint"
    )
    assert netiquette.classify(knowledge, "Ich bringe euch alle um") == "threat"
    assert netiquette.classify(knowledge, "Ich zünde das Rathaus an") == "threat"
    assert netiquette.classify(knowledge, "Ich bringe die Unterlagen um 10 Uhr") is None
    assert netiquette.classify(knowledge, "Ich bin unzufrieden mit dem Service") is None


def test_reminders_are_counted_and_the_third_names_the_contact():
    slots: dict[str, object] = {}
    responses = []
    for _ in range(3):
        out = netiquette.reminder(slots)
        slots.update(out.slots)
        responses.append(out.replies[0].response)
    assert slots["netiquette_count"] == 3.0
    assert responses == ["utter_insult", "utter_insult", "utter_insult_repeated"]


def test_threat_creates_an_urgent_ticket_at_once():
    from bot.dialogue import Outcome
    from bot.dialogue.handoff import HandoffRequest

    seen = []

    def create(req, switch):
        seen.append((req.reason, req.emergency, req.triggers, switch))
        created = Outcome(slots={"handoff_stage": "paused"})
        created.say("utter_handoff_created", reference="MS-TEST-TEST", office="x", due="y")
        return created

    req = HandoffRequest(sender_id="s", channel="socketio", reason="complain", triggers=["x"])
    out = netiquette.threat(req, False, create)
    assert [r.response for r in out.replies] == ["utter_netiquette_threat", "utter_handoff_created"]
    assert seen == [("emergency", True, ["x", "netiquette:threat"], False)]
    assert out.slots["handoff_stage"] == "paused"


def test_address_after_opening_hours_is_the_office_in_focus(knowledge):
    assert topic_of(knowledge, "Und wo ist das?", [], "opening_hours", NOW, None) == (
        "responsibility"
    )
    out = responsibility(knowledge, "Und wo ist das?", [], {"office": "standesamt"})
    assert out.replies[0].response == "utter_detail_address"
    assert out.replies[0].variables["address"].startswith("Rathausplatz 1 (Raum 101)")


def test_out_of_scope_with_a_known_service_entity_is_answered(knowledge, make_entity):
    from bot.dialogue.resolve import names_known_service

    assert names_known_service(knowledge, [make_entity("service", "hundesteuer")])
    assert not names_known_service(knowledge, [make_entity("service", "Photosynthese")])
    assert not names_known_service(knowledge, [])
