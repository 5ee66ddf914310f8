"""The citizen test set (tests/nlu/citizens/) and its per-category gate in bot.nlu_report."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.config import REPO_ROOT
from bot.nlu_report import (
    CITIZEN_CATEGORY,
    CITIZEN_OVERALL,
    citizen_failures,
    citizen_metrics,
    read_citizen_set,
)
from bot.validation import check_nlu, nlu_examples, normalise_example

# The issue's mix: share of each category in the set.
MIX = {
    "typos": 0.15,
    "colloquial": 0.15,
    "details": 0.20,
    "concerns": 0.15,
    "long": 0.10,
    "unknown": 0.10,
    "netiquette": 0.15,
}
DETAILS = {"fee", "documents", "appointment", "online", "deadline", "locations"}


def test_set_has_400_messages_in_the_issue_mix() -> None:
    items = read_citizen_set()
    assert len(items) >= 400
    counts = Counter(i["category"] for i in items)
    assert set(counts) == set(MIX)
    for name, share in MIX.items():
        assert counts[name] / len(items) == pytest.approx(share, abs=0.01), name


def test_labels_use_known_intents_services_offices_and_details() -> None:
    from bot.knowledge.base import load_knowledge

    knowledge = load_knowledge(REPO_ROOT / "data" / "knowledge")
    intents = {i for _, i, _ in nlu_examples(sorted((REPO_ROOT / "data" / "nlu").glob("*.yml")))}
    for item in read_citizen_set():
        assert item["intent"] in intents, item
        ents = item["entities"]
        assert set(ents) <= {"service", "office", "detail"}, item
        if "service" in ents:
            assert ents["service"] in knowledge.services, item
        if "office" in ents:
            assert ents["office"] in knowledge.offices, item
        if "detail" in ents:
            assert ents["detail"] in DETAILS, item


def test_no_message_twice_and_none_in_the_training_data() -> None:
    texts = [normalise_example(i["text"]) for i in read_citizen_set()]
    assert len(texts) == len(set(texts))
    assert not [e for e in check_nlu(REPO_ROOT) if "citizen message" in e]


def _parsed(intent: str, **entities: str) -> dict:
    return {
        "intent": {"name": intent},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
        "handoff": {"original_intent": intent},
    }


def test_metrics_count_intent_and_entities_and_the_gate_fails() -> None:
    items = [
        {"category": "a", "text": "x", "intent": "greet", "entities": {}},
        {"category": "a", "text": "y", "intent": "ask_responsibility",
         "entities": {"service": "reisepass", "detail": "fee"}},
        {"category": "b", "text": "z", "intent": "ask_responsibility",
         "entities": {"service": "reisepass"}},
    ]  # fmt: skip
    parsed = [
        _parsed("greet"),
        _parsed("ask_responsibility", service="Reisepas", detail="documents"),
        _parsed("ask_responsibility", service="Reisepass"),  # fuzzy match to the id
    ]
    m = citizen_metrics(items, parsed)
    assert m["per_category"]["a"] == {
        "correct": 1,
        "count": 2,
        "accuracy": 0.5,
        "intent_accuracy": 1.0,
    }
    assert m["per_category"]["b"]["accuracy"] == 1.0
    assert m["overall"] == pytest.approx(2 / 3)
    assert "detail=fee (got documents)" in m["misses"][0][2]
    failures = citizen_failures(m)
    assert any("category a" in f for f in failures)
    assert any("accuracy" in f for f in failures)
    assert CITIZEN_OVERALL == 0.95 and CITIZEN_CATEGORY == 0.90


def test_handoff_rerouting_is_undone() -> None:
    items = [{"category": "a", "text": "x", "intent": "complain", "entities": {}}]
    parsed = [{"intent": {"name": "handoff_detected"}, "handoff": {"original_intent": "complain"}}]
    assert citizen_metrics(items, parsed)["overall"] == 1.0
