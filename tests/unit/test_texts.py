"""The single place for citizen-facing texts: catalogues per language, domain variations.

- every catalogue in data/texts/ has exactly the German keys, with the same {fields};
- every response in domain/ has a German variation and one per further language;
- the Python that answers citizens (bot/dialogue/, actions/, bot/channels/, the closures'
  wording, due times, the rate-limit notice) holds no German sentence: string literals
  with German words fail here.
"""

from __future__ import annotations

import ast
import re
import string
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import texts
from bot.handoff.due import due_in_words

ROOT = Path(__file__).resolve().parents[2]
# Tables whose entries are language-specific (not templates every language must have).
TABLES = {"parser_words", "language"}


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key → value for every template (lists and tables count as one value)."""
    if isinstance(node, dict) and prefix.split(".")[-1] not in TABLES:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


def fields(template: Any) -> set[str]:
    if not isinstance(template, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def catalogue_file(lang: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "data" / "texts" / f"{lang}.yml").read_text(encoding="utf-8"))


def test_languages_are_the_catalogues_german_first():
    assert texts.languages()[0] == "de"
    assert "en" in texts.languages()


@pytest.mark.parametrize("lang", [lang for lang in texts.languages() if lang != "de"])
def test_every_catalogue_has_the_german_keys_and_fields(lang):
    german = leaves(catalogue_file("de"))
    other = leaves(catalogue_file(lang))
    assert sorted(set(german) - set(other)) == [], f"missing in {lang}.yml"
    assert sorted(set(other) - set(german)) == [], f"unknown in {lang}.yml (not in de.yml)"
    for key, template in german.items():
        if isinstance(template, list):
            assert isinstance(other[key], list) and len(other[key]) == len(template), key
            continue
        # format keys differ by convention (German "{t:%H:%M}", English "{h12}:{t:%M}
        # {ampm}"), and German shows no gloss; everywhere else the same fields
        if not key.startswith("format.") and key != "names.glossed":
            assert fields(other[key]) == fields(template), key


def test_parity_check_fails_for_a_missing_key(tmp_path):
    """The check above is not vacuous: a catalogue without a key differs."""
    broken = catalogue_file("en")
    del broken["visit"]["walk_in"]
    assert set(leaves(catalogue_file("de"))) - set(leaves(broken)) == {"visit.walk_in"}


def domain_responses() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.update(doc.get("responses") or {})
    return out


def _words(variation: dict) -> str:
    """The text of a variation, or its custom payload's strings (a receipt)."""
    if "text" in variation:
        return str(variation.get("text") or "")
    return " ".join(str(v) for v in (variation.get("custom") or {}).values())


def test_every_response_has_one_variation_per_language():
    langs = set(texts.languages()) - {"de"}
    problems = []
    for name, all_variations in domain_responses().items():
        # a response may have one set of variations per output channel (``channel:``)
        for channel in sorted({str(v.get("channel") or "") for v in all_variations}):
            variations = [v for v in all_variations if str(v.get("channel") or "") == channel]
            label = f"{name}[{channel}]" if channel else name
            default = [v for v in variations if not v.get("condition")]
            by_lang = {
                c["value"]: v
                for v in variations
                for c in v.get("condition") or []
                if c.get("name") == "language"
            }
            if len(default) != 1:
                problems.append(f"{label}: {len(default)} German (unconditioned) variations")
            for lang in sorted(langs - set(by_lang)):
                problems.append(f"{label}: no {lang} variation")
            for lang, v in by_lang.items():
                if fields(_words(v)) != fields(_words(default[0]) if default else ""):
                    problems.append(f"{label}: {lang} uses other {{fields}} than German")
                de_payloads = [b["payload"] for b in (default[0].get("buttons") or [])]
                if [b["payload"] for b in v.get("buttons") or []] != de_payloads:
                    problems.append(f"{label}: {lang} buttons differ from German")
    assert problems == []


# Words that only occur in German sentences (not in names the data gives).
GERMAN_WORDS = {
    "und", "oder", "nicht", "bitte", "heute", "morgen", "geschlossen", "geöffnet", "sie",
    "ihr", "ihre", "ist", "sind", "haben", "mitbringen", "gebühr", "frist", "termin",
    "termine", "adresse", "telefon", "kontakt", "auch", "möglich", "bei", "beim", "uhr",
    "nächste", "öffnung", "hinweis", "weitere", "spätestens", "erforderlich", "keine",
}  # fmt: skip
CHECKED = [
    ROOT / "bot" / "dialogue",
    ROOT / "actions",
    ROOT / "bot" / "handoff" / "due.py",
    ROOT / "bot" / "channels",
    ROOT / "bot" / "ratelimit.py",
    ROOT / "bot" / "knowledge" / "closures",
]


def german_literals(path: Path) -> list[str]:
    """String literals with a German word that could reach a citizen.

    Not counted: docstrings; single words and regular expressions (vocabulary the code
    matches messages with); literals compared with data (``c.severity != "keine
    Sperrung"``: the feed's own words).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    compared = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        for part in (node.left, *node.comparators)
        for sub in ast.walk(part)
    }
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings or id(node) in compared:
                continue
            if re.fullmatch(r"\w+", node.value) or "\\b" in node.value or "(?" in node.value:
                continue
            words = {w.strip(".,:;!?()„“–").lower() for w in node.value.split()}
            if len(words & GERMAN_WORDS) >= 1 and not node.value.startswith(("^", "(", "\\")):
                found.append(node.value)
    return found


def test_no_german_sentence_is_built_in_python():
    files = [p for c in CHECKED for p in (sorted(c.rglob("*.py")) if c.is_dir() else [c])]
    offenders = {str(p.relative_to(ROOT)): german_literals(p) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_german_check_finds_a_german_literal(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'def f(x):\n    """Docstring: und oder nicht."""\n    return f"Gebühr: {x}"\n'
    )
    assert german_literals(sample) == ["Gebühr: "]


def test_formats_per_language():
    assert texts.fmt_time("de", time(8, 30)) == "08:30"
    assert texts.fmt_time("en", time(8, 30)) == "8:30 am"
    assert texts.fmt_time("en", time(12, 0)) == "12:00 pm"
    assert texts.fmt_time("en", time(0, 15)) == "12:15 am"
    assert texts.fmt_time("de", time.max) == "24:00"
    assert texts.fmt_date("de", date(2026, 12, 5)) == "05.12.2026"
    assert texts.fmt_date("en", date(2026, 12, 5)) == "5 December 2026"
    assert texts.fmt_intervals("de", [(time(8), time(12)), (time(14), time(18))]) == (
        "08:00–12:00 und 14:00–18:00"
    )
    assert texts.fmt_intervals("en", [(time(8), time(12)), (time(14), time(18))]) == (
        "8:00 am–12:00 pm and 2:00 pm–6:00 pm"
    )


def test_due_in_words_per_language():
    now = datetime(2026, 11, 27, 9, 0)
    assert due_in_words(datetime(2026, 11, 30, 18, 0), now) == (
        "bis spätestens Montag, 30.11.2026, 18:00 Uhr"
    )
    assert due_in_words(datetime(2026, 11, 30, 18, 0), now, "en") == (
        "by Monday, 30 November 2026, 6:00 pm at the latest"
    )
    assert due_in_words(datetime(2026, 11, 28, 9, 0), now, "en").startswith("by tomorrow")


def test_unknown_language_falls_back_to_german():
    assert texts.normalise("EN") == "en"
    assert texts.normalise(None) == "de"
    assert texts.normalise("xx") == "de"
    assert texts.text("xx", "visit.walk_in") == "Ohne Termin möglich."


def test_parser_words_reach_the_german_parser():
    assert texts.to_parser_words("en", "Is it open on Saturday afternoon?") == (
        "Is it open am Samstag nachmittags?"
    )
    assert texts.to_parser_words("de", "am Samstag") == "am Samstag"


def test_closing_reasons_are_translated():
    assert texts.translate_reason("en", "Wochenende") == "weekend"
    assert texts.translate_reason("en", "Feiertag (1. Weihnachtstag)") == (
        "public holiday (1. Weihnachtstag)"
    )
    assert texts.translate_reason("de", "Feiertag (Neujahr)") == "Feiertag (Neujahr)"


def test_ticket_summary_carries_the_language_for_staff_side_messages():
    assert texts.mark_language("de", "Ich brauche Hilfe") == "Ich brauche Hilfe"
    marked = texts.mark_language("en", "I need help")
    assert marked == "[EN] I need help"
    assert texts.language_of_summary(marked) == "en"
    assert texts.language_of_summary("[Hinweis] Hallo") == "de"
    assert texts.language_of_summary(None) == "de"
    assert texts.text("en", "staff.interim").startswith("We are working on your request.")
