"""The English test set (tests/nlu/en/, issue 19): size, coverage, labels, not in training."""

from __future__ import annotations

from collections import Counter

import yaml

from bot.config import REPO_ROOT
from bot.knowledge.base import load_knowledge
from bot.nlu_report import read_citizen_set
from bot.validation import check_nlu, normalise_example

ITEMS = read_citizen_set(REPO_ROOT / "tests" / "nlu" / "en")


def domain_intents() -> set[str]:
    intents: set[str] = set()
    for path in (REPO_ROOT / "domain").glob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents |= set(doc.get("intents") or [])
    return intents


def test_at_least_120_messages_over_all_topics():
    assert len(ITEMS) >= 120
    intents = Counter(i["intent"] for i in ITEMS)
    for needed in (
        "ask_opening_hours", "ask_responsibility", "ask_road_closures", "request_human",
        "ask_case_status", "complain", "greet", "goodbye", "thank", "out_of_scope", "insult",
    ):  # fmt: skip
        assert intents[needed] >= 3, needed
    assert {i["category"] for i in ITEMS} >= {"typos", "handoff", "smalltalk", "netiquette"}


def test_labels_exist_in_the_domain_and_the_data():
    knowledge = load_knowledge(REPO_ROOT / "data" / "knowledge")
    assert {i["intent"] for i in ITEMS} <= domain_intents()
    for item in ITEMS:
        ents = item["entities"]
        if "office" in ents:
            assert ents["office"] in knowledge.offices, item
        if "service" in ents:
            assert ents["service"] in knowledge.services, item


def test_no_message_twice_and_none_in_the_training_data():
    texts = [normalise_example(i["text"]) for i in ITEMS]
    assert len(texts) == len(set(texts))
    assert not [e for e in check_nlu(REPO_ROOT) if "tests/nlu/en/" in e]
