"""Loading, validating and matching the city's knowledge."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.knowledge.base import KnowledgeCache, KnowledgeError, load_knowledge, validate_knowledge
from bot.validation import check_synonyms


def test_reference_city_loads_completely(knowledge):
    assert knowledge.city == "Musterstadt"
    assert knowledge.state == "NW"
    assert len(knowledge.city_offices()) == 15
    assert sum(o.external for o in knowledge.offices.values()) == 4
    assert len(knowledge.services) == 49  # with wilder_muell (reports)
    # names with commas survived YAML (they were split into two keys in the flow style)
    assert knowledge.services["sondernutzung"].name == (
        "Sondernutzung öffentlicher Straßen (Gerüst, Container)"
    )


def test_shipped_knowledge_is_valid():
    assert validate_knowledge(Path("data/knowledge")) == []


@pytest.mark.parametrize(
    ("said", "office_id"),
    [
        ("Meldeamt", "buergerbuero_mitte"),
        ("Einwohnermeldeamt", "buergerbuero_mitte"),
        ("Bürgeramt", "buergerbuero_mitte"),
        ("buergerbuero", "buergerbuero_mitte"),
        ("Bürgerbüro Nord", "buergerbuero_nord"),
        ("Recyclinghof", "wertstoffhof"),
        ("Zulassungsstelle", "kfz_zulassung"),
        ("Führerscheinstelle", "kfz_zulassung"),
        ("standesammt", "standesamt"),
        ("Wann hat das Trauamt auf?", "standesamt"),
        ("öffnungszeiten bücherei", "stadtbibliothek"),
        ("Ausländeramt", "auslaenderbehoerde"),
        ("Finanzamt", "finanzamt"),
    ],
)
def test_offices_found_by_name_alias_and_typo(knowledge, said, office_id):
    matches = knowledge.find_offices(said)
    assert matches, said
    assert matches[0].key == office_id


@pytest.mark.parametrize(
    "text",
    [
        "Wann hat es auf?",
        "Ist die Brückenstraße gesperrt?",
        "Hallo",
        "Ich möchte mit einem Menschen sprechen",
        "Wie ist das Wetter morgen?",
    ],
)
def test_no_office_invented(knowledge, text):
    assert knowledge.find_offices(text) == []


def test_closest_offices_for_unknown_name(knowledge):
    names = [o.name for o in knowledge.closest_offices("Bürgerbühro Süd")]
    assert names[0].startswith("Bürgerbüro")


def _edit(directory: Path, name: str, change) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "services.yml",
            lambda d: d["services"][0].update(office="gibt_es_nicht"),
            "does not exist",
        ),
        ("services.yml", lambda d: d["services"][0].pop("name"), "'name' is a required property"),
        ("services.yml", lambda d: d["services"].append(dict(d["services"][0])), "used twice"),
        ("offices.yml", lambda d: d["offices"][0].update(email="kein-mail"), "does not match"),
        ("offices.yml", lambda d: d["offices"][1]["aliases"].append("Meldeamt"), "names both"),
        (
            "offices.yml",
            lambda d: d["offices"][0].update(opening_hours="Mo-Fr 25:00-26:00"),
            "opening_hours",
        ),
        ("offices.yml", lambda d: d["offices"][0].update(unbekannt=1), "Additional properties"),
    ],
)
def test_validation_reports_each_broken_case(knowledge_copy, file, change, expected):
    _edit(knowledge_copy, file, change)
    errors = validate_knowledge(knowledge_copy)
    assert any(expected in e for e in errors), errors


def test_loading_broken_knowledge_names_file_and_entry(knowledge_copy):
    _edit(knowledge_copy, "services.yml", lambda d: d["services"][3].update(office="nix"))
    with pytest.raises(KnowledgeError, match=r"services.yml: wohnsitz_anmelden: office 'nix'"):
        load_knowledge(knowledge_copy)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{office: nirgendwo, from: '2026-12-01', closed: true, note: Test}", "nirgendwo"),
        ("{office: fundbuero, from: '2026-12-01', hours: '12:00-08:00', note: Test}", "is empty"),
    ],
)
def test_special_hours_validation(knowledge_copy, entry, expected):
    (knowledge_copy / "special_hours.yml").write_text(f"special_hours:\n  - {entry}\n")
    assert any(expected in e for e in validate_knowledge(knowledge_copy))


def test_synonym_for_two_services_is_reported(knowledge_copy):
    _edit(knowledge_copy, "services.yml", lambda d: d["services"][1]["synonyms"].append("Perso"))
    root = knowledge_copy.parent
    (root / "data").mkdir()
    (knowledge_copy).rename(root / "data" / "knowledge")
    errors = check_synonyms(root)
    assert any("perso" in e and "reisepass" in e for e in errors), errors


def test_cache_rereads_changed_files(knowledge_copy):
    cache = KnowledgeCache(knowledge_copy)
    assert cache.get().special_for("fundbuero") == []
    time.sleep(0.01)
    (knowledge_copy / "special_hours.yml").write_text(
        "special_hours:\n  - {office: fundbuero, from: '2026-12-09', closed: true,"
        " note: IT-Störung}\n"
    )
    entries = cache.get().special_for("fundbuero")
    assert [e.note for e in entries] == ["IT-Störung"]


def test_cache_keeps_last_good_knowledge_on_broken_edit(knowledge_copy):
    cache = KnowledgeCache(knowledge_copy)
    first = cache.get()
    (knowledge_copy / "services.yml").write_text("services: [")
    assert cache.get() is first
