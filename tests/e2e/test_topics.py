"""The three topics end to end through the REST webhook (fixed clock: Mo 23.11.2026 10:00)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from tests.unit.data_phrasings import PHRASINGS

pytestmark = pytest.mark.stack


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- opening hours ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wann hat das Standesamt am Donnerstag geöffnet?", "08:30–12:00 und 13:30–15:30"),
        ("Hat das Bürgeramt jetzt offen?", "jetzt geöffnet, heute bis 16:00 Uhr"),
        ("Ist das Standesamt an Fronleichnam geöffnet?", "Feiertag (Fronleichnam)"),
        ("Öffnungszeiten Recyclinghof am Samstag", "08:00–14:00"),
        ("Hat das Standesamt am 9. Dezember geöffnet?", "Personalversammlung"),
        ("Wann hat das Bürgerbüro Nord an Heiligabend auf?", "Heiligabend"),
        ("Wann hat das Finanzamt offen?", "nicht Teil der Stadtverwaltung"),
    ],
)
def test_opening_hours_answers(stack, question, expected):
    text = stack.say(new_sender("oh"), question)
    assert expected in text, text
    if "Finanzamt" not in question:
        assert "Telefon" in text  # what a visitor needs


def test_opening_hours_follow_ups_keep_the_office(stack):
    sender = new_sender("oh-follow")
    assert "Standesamt" in stack.say(sender, "Wann hat das Standesamt geöffnet?")
    answer = stack.say(sender, "und am Samstag?")
    assert "Standesamt" in answer and "geschlossen – Wochenende" in answer
    assert "Nächste Öffnung: am Montag, 30.11.2026, 08:30 Uhr" in answer


def test_opening_hours_without_office_asks_with_buttons(stack):
    replies = stack.chat(new_sender("oh-ask"), "Wann hat es heute auf?")
    assert "Für welches Amt" in replies[0]["text"]
    assert len(replies[0]["buttons"]) == 4


def test_unknown_office_lists_closest_matches(stack):
    replies = stack.chat(new_sender("oh-unknown"), "Wann hat das Bürgerbühro Süd geöffnet?")
    text = replies[0]["text"]
    assert "Bürgerbüro" in text or "kenne ich leider nicht" in text


# --- responsibilities -------------------------------------------------------------------


def test_every_service_by_three_phrasings(stack, knowledge):
    """144 citizen phrasings through NLU + action: the responsible office is named."""
    found, missed = 0, []
    for service_id, phrasings in PHRASINGS.items():
        office = knowledge.offices[knowledge.services[service_id].office]
        for phrasing in phrasings:
            text = stack.say(new_sender("resp"), phrasing)
            if office.name in text:
                found += 1
            else:
                missed.append((service_id, phrasing, text[:80]))
    total = sum(len(p) for p in PHRASINGS.values())
    Path("reports").mkdir(exist_ok=True)
    Path("reports/responsibility.json").write_text(
        json.dumps({"found": found, "total": total, "missed": missed}, ensure_ascii=False, indent=1)
    )
    print(
        f"\nresponsibility end to end: {found}/{total} phrasings answered with the right office",
        file=sys.stderr,
    )
    for m in missed:
        print("  missed:", m, file=sys.stderr)
    assert found / total >= 0.9, missed


def test_external_authority_is_marked(stack):
    text = stack.say(new_sender("resp-ext"), "Wo kann ich aus der Kirche austreten?")
    assert "nicht die Stadt Musterstadt zuständig" in text and "Amtsgericht Musterstadt" in text


def test_responsibility_then_opening_hours_of_that_office(stack):
    sender = new_sender("resp-oh")
    assert "Steueramt" in stack.say(sender, "Wo melde ich meinen Hund an?")
    assert "08:30–12:00" in stack.say(sender, "Und wann haben die auf?")


def test_no_match_is_honest_and_recorded_for_trainers(stack):
    text = stack.say(
        new_sender("resp-none"), "Wer ist für die Genehmigung von Drohnenflügen zuständig?"
    )
    assert "keine Informationen" in text or "nicht verstanden" in text or "nicht helfen" in text


# --- road closures ----------------------------------------------------------------------


def test_street_with_closure(stack):
    text = stack.say(new_sender("rc"), "Ist die Brückenstraße gesperrt?")
    assert "Vollsperrung" in text and "seit 01.09.2026, 06:00 Uhr bis 31.12.2027, 18:00 Uhr" in text
    assert "Stand: 23.11.2026, 10:00 Uhr" in text


def test_street_spelling_variants(stack):
    for variant in ("brückenstrasse", "Brueckenstr."):
        assert "Brückenstraße" in stack.say(new_sender("rc-var"), f"Ist die {variant} gesperrt?")


def test_list_today_with_source_and_time(stack):
    text = stack.say(new_sender("rc-list"), "Welche Straßen sind heute gesperrt?")
    assert "Stand:" in text and "•" in text


def test_ended_closure_is_not_reported_as_current(stack, knowledge):
    feed = json.loads(Path("data/knowledge/closures-demo.geojson").read_text())
    ended = next(f["properties"] for f in feed["features"] if f["properties"]["id"] == "9009")
    street = ended["street"].split(" (")[0]
    text = stack.say(new_sender("rc-ended"), f"Ist die {street} gesperrt?")
    assert "keine aktuelle Sperrung" in text, text
