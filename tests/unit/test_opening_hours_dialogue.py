"""Opening-hours answers composed from the knowledge (no Rasa needed)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.dialogue.opening_hours import answer

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Monday


def test_generic_name_answers_main_office_and_mentions_the_other(knowledge):
    out = answer(knowledge, "Wann hat das Bürgerbüro geöffnet?", [], {}, NOW)
    assert out.replies[0].variables["office"] == "Bürgerbüro Mitte"
    assert out.replies[-1].response == "utter_opening_hours_other_office"
    assert out.replies[-1].variables["other"] == "Bürgerbüro Nord"
    assert out.slots["office"] == "buergerbuero_mitte"


def test_follow_up_uses_the_office_of_the_previous_question(knowledge):
    out = answer(knowledge, "und am Samstag?", [], {"office": "standesamt"}, NOW)
    reply = out.replies[0]
    assert reply.response == "utter_opening_hours_closed"
    assert reply.variables["office"] == "Standesamt"
    assert reply.variables["reason"] == "Wochenende"
    assert "30.11.2026, 08:30 Uhr" in reply.variables["next_opening"]


def test_special_closure_is_named(knowledge):
    out = answer(knowledge, "Hat das Standesamt am 9. Dezember auf?", [], {}, NOW)
    assert "Personalversammlung" in out.replies[0].variables["reason"]


def test_afternoon_only(knowledge):
    out = answer(knowledge, "Hat das Bürgerbüro Nord am Donnerstag nachmittags auf?", [], {}, NOW)
    assert out.replies[0].variables["hours"].startswith("14:00–18:00 Uhr")


def test_until_when_today(knowledge):
    out = answer(knowledge, "bis wann hat die Zulassungsstelle heute auf", [], {}, NOW)
    assert out.replies[0].response == "utter_opening_hours_now_open"
    assert out.replies[0].variables["until"] == "13:00"


def test_no_office_asks_back_and_unknown_office_lists_close_ones(knowledge, make_entity):
    assert answer(knowledge, "Wann habt ihr auf?", [], {}, NOW).replies[0].response == (
        "utter_ask_office"
    )
    out = answer(
        knowledge, "Wann hat das Katasteramt auf?", [make_entity("office", "Katasteramt")], {}, NOW
    )
    assert out.replies[0].response == "utter_office_unknown"
    assert out.replies[0].buttons and out.backlog


def test_week_view_marks_holidays(knowledge):
    christmas = datetime(2026, 12, 21, 9, 0, tzinfo=NOW.tzinfo)
    out = answer(knowledge, "Öffnungszeiten Fundbüro", [], {}, christmas)
    lines = out.replies[0].variables["lines"]
    assert "Do 24.12.: geschlossen" in lines
    assert (
        "Fr 25.12.: geschlossen – Feiertag (1. Weihnachtstag)" in lines
        or "Fr 25.12.: geschlossen – Feiertag" in lines
    )
