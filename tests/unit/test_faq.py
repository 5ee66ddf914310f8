"""General questions with a fixed answer: data/knowledge/faq.yml → NLU examples + answer.

Paraphrases here are not in faq.yml: the matcher must find the entry, not echo it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.dialogue.faq import answer
from bot.knowledge.base import KnowledgeCache, load_knowledge, validate_knowledge
from bot.training import nlu_document
from tests.conftest import KNOWLEDGE_DIR, entity

KNOWLEDGE = load_knowledge(KNOWLEDGE_DIR)

PARAPHRASES = [
    ("Kann ich den Anwohnerparkausweis auch online beantragen?", "anwohnerparkausweis_online"),
    ("parkausweis im internet verlängern", "anwohnerparkausweis_online"),
    ("Kann man im Amt mit Karte zahlen?", "bezahlen_im_amt"),
    ("Zahlung mit Kreditkarte möglich?", "bezahlen_im_amt"),
    ("wie buche ich einen termin", "termin_online_buchen"),
    ("Termin online absagen, wie geht das?", "termin_online_buchen"),
    ("Gibt es einen Aufzug im Rathaus?", "barrierefreiheit_rathaus"),
    ("rathaus mit rollstuhl erreichbar?", "barrierefreiheit_rathaus"),
    ("Was ist eine BundID?", "servicekonto_bundid"),
    ("Nutzerkonto für Online-Anträge anlegen", "servicekonto_bundid"),
    ("Wo parke ich am besten beim Rathaus?", "parken_rathaus"),
    ("Welcher Bus fährt zum Rathaus?", "parken_rathaus"),
]


@pytest.mark.parametrize(("text", "faq_id"), PARAPHRASES)
def test_a_paraphrase_gets_the_right_answer_with_source_and_date(text, faq_id):
    out = answer(KNOWLEDGE, text, [])
    assert [r.response for r in out.replies] == ["utter_faq"], text
    entry = KNOWLEDGE.faq[faq_id]
    reply = out.replies[0].variables
    assert reply["answer"] == entry.answer
    assert reply["source"] == entry.source
    assert reply["updated"] == entry.updated.strftime("%d.%m.%Y")
    assert out.slots == {"topic": "faq", "faq": faq_id}
    assert out.backlog is None


def test_a_button_payload_names_the_entry():
    out = answer(KNOWLEDGE, "", [entity("faq", "parken_rathaus")])
    assert out.slots["faq"] == "parken_rathaus"


def test_unrelated_question_is_not_answered_and_goes_to_the_backlog():
    out = answer(KNOWLEDGE, "Wie hoch ist die Hundesteuer für einen Dackel?", [])
    assert [r.response for r in out.replies] == ["utter_faq_unknown"]
    assert out.backlog == "Wie hoch ist die Hundesteuer für einen Dackel?"
    assert "faq" not in out.slots


def test_a_vague_question_offers_the_closest_questions():
    out = answer(KNOWLEDGE, "online", [])
    assert out.replies[0].response == "utter_faq_choose"
    buttons = out.replies[0].buttons
    assert 2 <= len(buttons) <= 3
    assert all(b["payload"].startswith('/ask_faq{"faq":') for b in buttons)
    assert out.backlog is None


def _write_faq(directory: Path, entries: list[dict]) -> None:
    time.sleep(0.01)  # a new mtime for the cache
    (directory / "faq.yml").write_text(
        yaml.safe_dump({"faq": entries}, allow_unicode=True), encoding="utf-8"
    )


NEW_ENTRY = {
    "id": "hundekotbeutel",
    "questions": [
        "Wo bekomme ich kostenlose Hundekotbeutel?",
        "Gibt es Beutel für Hundekot bei der Stadt?",
        "Hundetüten kostenlos abholen",
    ],
    "answer": "Kostenlose Hundekotbeutel erhalten Sie im Bürgerbüro Mitte und im Ordnungsamt.",
    "source": "Ordnungsamt Musterstadt",
    "updated": "2026-11-02",
    "office": "ordnungsamt",
}


def test_a_trainer_adds_an_entry_and_it_answers_and_trains_without_code(knowledge_copy):
    cache = KnowledgeCache(knowledge_copy)
    assert answer(cache.get(), "Wo gibt es Hundekotbeutel umsonst?", []).replies[0].response != (
        "utter_faq"
    )
    entries = yaml.safe_load((knowledge_copy / "faq.yml").read_text(encoding="utf-8"))["faq"]
    _write_faq(knowledge_copy, [*entries, NEW_ENTRY])

    out = answer(cache.get(), "Wo gibt es Hundekotbeutel umsonst?", [])
    assert out.replies[0].variables["answer"].startswith("Kostenlose Hundekotbeutel")
    assert out.replies[0].variables["updated"] == "02.11.2026"

    doc = nlu_document(cache.get())
    intents = {i["intent"]: i["examples"] for i in doc["nlu"] if "intent" in i}
    assert "- Hundetüten kostenlos abholen" in intents["ask_faq"]
    assert "- Wie buche ich einen Termin online?" in intents["ask_faq"]


def test_an_edited_answer_is_used_at_once(knowledge_copy):
    cache = KnowledgeCache(knowledge_copy)
    entries = yaml.safe_load((knowledge_copy / "faq.yml").read_text(encoding="utf-8"))["faq"]
    for e in entries:
        if e["id"] == "parken_rathaus":
            e["answer"] = "Das Parkhaus Marktstraße ist bis März geschlossen; nutzen Sie den Bus."
    _write_faq(knowledge_copy, entries)
    out = answer(cache.get(), "Wo kann ich beim Rathaus parken?", [])
    assert "bis März geschlossen" in out.replies[0].variables["answer"]


def test_yaml_dates_need_no_quotes(knowledge_copy):
    (knowledge_copy / "faq.yml").write_text(
        yaml.safe_dump({"faq": [{**NEW_ENTRY, "updated": None}]}, allow_unicode=True).replace(
            "updated: null", "updated: 2026-11-02"
        ),
        encoding="utf-8",
    )
    assert validate_knowledge(knowledge_copy) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(questions=e["questions"][:2]), "is too short"),
        (lambda e: e.pop("source"), "'source' is a required property"),
        (lambda e: e.update(updated="2. November"), "is not a 'date'"),
        (lambda e: e.update(office="rathauskeller"), "office 'rathauskeller' does not exist"),
        (lambda e: e.update(id="Hunde-Beutel"), "does not match"),
        (lambda e: e.update(answer="Ja."), "is too short"),
        (lambda e: e.update(typo_field="x"), "Additional properties are not allowed"),
    ],
)
def test_validation_names_each_broken_entry(knowledge_copy, change, message):
    entry = dict(NEW_ENTRY, questions=list(NEW_ENTRY["questions"]))
    change(entry)
    _write_faq(knowledge_copy, [entry])
    errors = validate_knowledge(knowledge_copy)
    assert any(e.startswith("faq.yml") and message in e for e in errors), errors


def test_validation_finds_duplicate_ids_and_questions(knowledge_copy):
    other = dict(NEW_ENTRY, questions=["Wo bekomme ich kostenlose Hundekotbeutel?", "a b", "c d"])
    _write_faq(knowledge_copy, [NEW_ENTRY, other])
    errors = validate_knowledge(knowledge_copy)
    assert "faq.yml: id 'hundekotbeutel' is used twice" in errors
    assert any("appears twice" in e and "Hundekotbeutel" in e for e in errors), errors


def test_no_faq_file_is_fine(knowledge_copy):
    (knowledge_copy / "faq.yml").unlink()
    knowledge = load_knowledge(knowledge_copy)
    assert knowledge.faq == {}
    assert not [i for i in nlu_document(knowledge)["nlu"] if i.get("intent") == "ask_faq"]
    assert answer(knowledge, "Wo parke ich?", []).replies[0].response == "utter_faq_unknown"
