"""Streets: an unknown street gets the closest real ones as buttons; a typo is named back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.dialogue.road_closures import answer
from bot.knowledge.feed import ClosuresFeed

DEMO = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "closures-demo.geojson"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def _snapshot(tmp_path):
    return ClosuresFeed(DEMO.as_uri(), tmp_path, clock=lambda: NOW).snapshot()


def test_unknown_street_offers_the_closest_real_streets(tmp_path, make_entity):
    out = answer(
        _snapshot(tmp_path),
        "Ist die Südstraße gesperrt?",
        [make_entity("street", "Südstraße")],
        {},
        NOW,
    )
    reply = out.replies[0]
    assert reply.response == "utter_closures_street_unknown"
    assert reply.buttons and all(
        b["payload"].startswith("/ask_road_closures") for b in reply.buttons
    )
    assert "street" not in out.slots and out.backlog


def test_street_with_a_typo_is_answered_and_named_back(tmp_path):
    out = answer(_snapshot(tmp_path), "Ist die Brükenstraße gesperrt?", [], {}, NOW)
    assert out.replies[0].response == "utter_did_you_mean"
    assert out.replies[0].variables["name"].startswith("Brückenstraße")
    assert out.replies[1].response == "utter_closures_street"


def test_exact_street_is_not_named_back(tmp_path):
    out = answer(_snapshot(tmp_path), "Ist die Brückenstraße gesperrt?", [], {}, NOW)
    assert out.replies[0].response == "utter_closures_street"
