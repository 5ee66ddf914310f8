"""Trainers keep control: phrases and templates in data/knowledge/ become training data,
lookup entries and synonyms; the detail extractor."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.knowledge.base import KnowledgeError, load_knowledge
from bot.nlu.detail_extractor import find_details, load_patterns
from bot.training import generate_nlu, load_templates, nlu_document, service_examples

KNOWLEDGE = REPO_ROOT / "data" / "knowledge"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the project's data (knowledge and hand-written NLU) to edit."""
    shutil.copytree(KNOWLEDGE, tmp_path / "data" / "knowledge")
    shutil.copytree(REPO_ROOT / "data" / "nlu", tmp_path / "data" / "nlu",
                    ignore=shutil.ignore_patterns("generated"))  # fmt: skip
    return tmp_path


def _add_phrase(root: Path, service: str, phrase: str) -> None:
    path = root / "data" / "knowledge" / "services.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(s for s in doc["services"] if s["id"] == service)
    entry.setdefault("phrases", []).append(phrase)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_a_new_phrase_needs_no_code(project: Path) -> None:
    _add_phrase(project, "falschparker", "Wohnmobil blockiert die Straße")
    generate_nlu(project)
    generated = project / "data" / "nlu" / "generated"
    examples = (generated / "services.yml").read_text(encoding="utf-8")
    assert '[Wohnmobil blockiert die Straße]{"entity": "service", "value": "falschparker"}' in (
        examples
    )
    knowledge = yaml.safe_load((generated / "knowledge.yml").read_text(encoding="utf-8"))
    lookup = next(i for i in knowledge["nlu"] if i.get("lookup") == "service")
    assert "- Wohnmobil blockiert die Straße\n" in lookup["examples"]
    synonym = next(i for i in knowledge["nlu"] if i.get("synonym") == "falschparker")
    assert "Wohnmobil blockiert die Straße" in synonym["examples"]
    # The fuzzy matcher of the actions reads phrases too.
    found = load_knowledge(project / "data" / "knowledge").find_services(
        "Ein Wohnmobil blockiert die Straße"
    )
    assert found and found[0].key == "falschparker"


def test_schema_rejects_a_bad_phrase_list(project: Path) -> None:
    _add_phrase(project, "falschparker", "")
    with pytest.raises(KnowledgeError, match="phrases"):
        load_knowledge(project / "data" / "knowledge")


def test_templates_are_validated(project: Path) -> None:
    path = project / "data" / "knowledge" / "nlu_templates.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["details"]["fee"].append("Was kostet {servce}?")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="servce"):
        load_templates(project / "data" / "knowledge")
    doc["details"]["fee"].pop()
    doc["detail_patterns"]["fee"]["strong"].append("kost(")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="detail_patterns/fee"):
        load_templates(project / "data" / "knowledge")


def test_every_service_gets_detail_questions_and_no_duplicates() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    templates = load_templates(KNOWLEDGE)
    examples = service_examples(knowledge, templates)["ask_responsibility"]
    for service_id in knowledge.services:
        tagged = [e for e in examples if f'"value": "{service_id}"' in e]
        assert len(tagged) >= 2, service_id  # at least its detail questions
    assert len(examples) == len(set(examples))
    # A hand-written example is not generated a second time.
    again = service_examples(knowledge, templates, existing=[examples[0]])["ask_responsibility"]
    assert examples[0] not in again


def test_generated_phrases_are_synonyms_of_their_service_only() -> None:
    doc = nlu_document(load_knowledge(KNOWLEDGE))
    owners: dict[str, str] = {}
    for item in doc["nlu"]:
        if "synonym" in item:
            for line in item["examples"].splitlines():
                term = line[2:].lower()
                assert owners.setdefault(term, item["synonym"]) == item["synonym"], term


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("Was kostet ein Reisepass?", ["fee"]),
        ("Brauche ich für den Perso einen Termin?", ["appointment"]),
        ("Was brauche ich für die Anmeldung?", ["documents"]),
        ("Geht das auch online?", ["online"]),
        ("Bis wann muss ich mich ummelden?", ["deadline"]),
        ("Geht das auch in Nord?", ["locations"]),
        ("Was kostet das und brauche ich einen Termin?", ["fee", "appointment"]),
        ("Bis wann hat das Bürgerbüro heute auf?", []),
        ("Wo beantrage ich einen Reisepass?", []),
        ("Hallo", []),
    ],
)
def test_detail_patterns(text: str, details: list[str]) -> None:
    found = find_details(text, load_patterns(KNOWLEDGE))
    assert [d for d, _, _ in found] == details
    for _, start, end in found:
        assert 0 <= start < end <= len(text)


def test_a_knowledge_directory_without_templates_uses_the_shipped_ones(tmp_path):
    """An imported city's directory has no nlu_templates.yml: the model must still load."""
    from bot.nlu.detail_extractor import find_details, load_patterns
    from bot.training import load_templates

    assert not (tmp_path / "nlu_templates.yml").exists()
    assert load_templates(tmp_path)["concern"]
    found = find_details("Was kostet ein Reisepass?", load_patterns(tmp_path))
    assert [d for d, _, _ in found] == ["fee"]


def test_smalltalk_names_the_city_of_the_profile_not_a_fixed_one() -> None:
    from bot.training import smalltalk_examples

    templates = load_templates(REPO_ROOT / "data" / "knowledge")
    assert "Musterstadt" not in (REPO_ROOT / "data/knowledge/nlu_templates.yml").read_text(
        encoding="utf-8"
    )
    for city in ("Musterstadt", "Beispielstadt"):
        capabilities = smalltalk_examples(templates, set(), city=city)["ask_capabilities"]
        assert f"Was weißt du über {city}?" in capabilities
        assert not [e for e in capabilities if "{city}" in e]
    other = smalltalk_examples(templates, set(), city="Beispielstadt")["ask_capabilities"]
    assert not [e for e in other if "Musterstadt" in e]
    # without a city the values that need one are left out
    assert not [e for e in smalltalk_examples(templates, set())["ask_capabilities"] if "{" in e]


def test_hand_written_training_data_names_no_city() -> None:
    # the same data/nlu trains every city's model; the city comes from its profile
    from bot.city import load_city

    name = load_city(REPO_ROOT / "data" / "knowledge").name
    files = sorted((REPO_ROOT / "data" / "nlu").glob("*.yml"))
    files += sorted((REPO_ROOT / "data" / "nlu" / "en").glob("*.yml"))
    assert files
    assert [f.name for f in files if name in f.read_text(encoding="utf-8")] == []
