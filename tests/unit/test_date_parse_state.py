"""Every date parse of a question is made with the city's state (its holidays)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.dialogue import road_closures, route
from bot.knowledge import when
from tests.unit.test_road_closures_dialogue import DEMO, DEMO_NOW, snapshot


@pytest.fixture
def states(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``state`` of every parse_when call the dialogue modules make (real parser)."""
    seen: list[str] = []

    def recording(text: str, now: Any, state: str = "unset") -> when.When:
        seen.append(state)
        return when.parse_when(text, now, state="NW" if state == "unset" else state)

    monkeypatch.setattr(road_closures, "parse_when", recording)
    monkeypatch.setattr(route, "parse_when", recording)
    return seen


def test_road_closures_read_dates_with_the_given_state(tmp_path: Path, states: list[str]) -> None:
    snap = snapshot(DEMO, DEMO_NOW, tmp_path)
    out = road_closures.answer(snap, "Baustellen an Fronleichnam?", [], {}, DEMO_NOW, state="BY")
    assert out.replies
    follow_up = {"street": "Bahnhofstraße"}
    road_closures.answer(snap, "und morgen?", [], follow_up, DEMO_NOW, state="BY")
    assert states and set(states) == {"BY"}


def test_the_follow_up_router_uses_the_knowledge_state(knowledge, states: list[str]) -> None:
    route.topic_of(knowledge, "und morgen?", [], "opening_hours", DEMO_NOW)
    assert states == [knowledge.state]
