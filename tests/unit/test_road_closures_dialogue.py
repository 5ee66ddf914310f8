"""Road-closure answers from a feed snapshot: demo city and the real Berlin snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue.road_closures import answer
from bot.knowledge.feed import ClosuresFeed

TZ = ZoneInfo("Europe/Berlin")
ROOT = Path(__file__).resolve().parents[2]
BERLIN = ROOT / "tests" / "data" / "berlin_viz_baustellen_sperrungen_2023.json"
DEMO = ROOT / "data" / "knowledge" / "closures-demo.geojson"
BERLIN_NOW = datetime(2023, 2, 6, 12, 0, tzinfo=TZ)  # the snapshot's date
DEMO_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def snapshot(path: Path, now: datetime, tmp_path: Path):
    return ClosuresFeed(path.as_uri(), tmp_path, clock=lambda: now).snapshot()


def text(out) -> str:
    return "\n".join(" ".join(str(v) for v in r.variables.values()) for r in out.replies)


@pytest.mark.parametrize(
    ("question", "street"),
    [
        ("Ist die Frankfurter Allee gesperrt?", "Frankfurter Allee"),
        ("gibt es baustellen in der frankfurter allee", "Frankfurter Allee"),
    ],
)
def test_real_berlin_streets_never_seen_in_training(tmp_path, question, street):
    snap = snapshot(BERLIN, BERLIN_NOW, tmp_path)
    assert snap is not None and len(snap.closures) == 227
    out = answer(snap, question, [], {}, BERLIN_NOW)
    assert out.replies[-1].response == "utter_closures_street"
    assert out.replies[-1].variables["street"].startswith(street)
    assert out.replies[-1].variables["stand"] == "06.02.2023, 12:00 Uhr"


def test_demo_street_answer_has_severity_period_and_reason(tmp_path):
    out = answer(
        snapshot(DEMO, DEMO_NOW, tmp_path), "Ist die Brückenstraße gesperrt?", [], {}, DEMO_NOW
    )
    items = out.replies[-1].variables["items"]
    assert "Vollsperrung" in items and "seit 01.09.2026, 06:00 Uhr bis 31.12.2027" in items
    assert "Umleitung über Kölner Straße" in items


def test_ended_closure_is_not_current(tmp_path):
    out = answer(snapshot(DEMO, DEMO_NOW, tmp_path), "Bahnhofstraße gesperrt?", [], {}, DEMO_NOW)
    assert out.replies[-1].response == "utter_closures_street_none"


def test_upcoming_closure_is_reported_with_ab(tmp_path):
    out = answer(snapshot(DEMO, DEMO_NOW, tmp_path), "Lindenallee?", [], {}, DEMO_NOW)
    assert "ab 07.12.2026" in out.replies[-1].variables["items"]


def test_period_weekend_and_district(tmp_path):
    snap = snapshot(DEMO, DEMO_NOW, tmp_path)
    weekend = answer(snap, "Welche Straßen sind am Wochenende gesperrt?", [], {}, DEMO_NOW)
    assert "am Wochenende" in weekend.replies[-1].variables["title"]
    north = answer(snap, "Baustellen im Norden", [], {}, DEMO_NOW)
    items = north.replies[-1].variables.get("items", "")
    assert "Nordring" in items and "Brückenstraße" not in items


def test_list_is_capped_with_count_of_the_rest(tmp_path):
    snap = snapshot(BERLIN, BERLIN_NOW, tmp_path)
    out = answer(snap, "Welche Straßen sind gesperrt?", [], {}, BERLIN_NOW)
    assert out.replies[-1].variables["items"].count("•") == 5
    assert "weitere" in out.replies[-1].variables["more"]


def test_stale_snapshot_is_labelled(tmp_path):
    snap = replace(snapshot(DEMO, DEMO_NOW, tmp_path), stale=True)
    out = answer(snap, "Ist die Brückenstraße gesperrt?", [], {}, DEMO_NOW)
    assert out.replies[0].response == "utter_closures_stale"
    assert out.replies[0].variables["stand"] == "23.11.2026, 10:00 Uhr"


def test_no_snapshot_points_to_the_office(tmp_path):
    out = answer(None, "Ist die Brückenstraße gesperrt?", [], {}, DEMO_NOW)
    assert [r.response for r in out.replies] == ["utter_closures_unavailable"]


def test_unknown_street_lists_the_current_ones(tmp_path):
    ent = [{"entity": "street", "value": "Müllerstraße"}]
    out = answer(
        snapshot(DEMO, DEMO_NOW, tmp_path), "Ist die Müllerstraße gesperrt?", ent, {}, DEMO_NOW
    )
    assert out.replies[-1].response == "utter_closures_street_unknown"
    assert "Brückenstraße" in out.replies[-1].variables["streets"]
