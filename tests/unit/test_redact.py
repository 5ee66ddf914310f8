"""Redaction of identifiers before logging, storing or showing text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.handoff.detect import IDENTIFIER_KINDS, find_identifiers
from bot.handoff.redact import PLACEHOLDERS, redact

DATA = Path(__file__).parent / "data" / "handoff_messages.yml"
SAMPLES: list[dict[str, Any]] = list(yaml.safe_load(DATA.read_text(encoding="utf-8")))
PERSONAL = [s for s in SAMPLES if s["reason"] == "personal_data"]
ROUTINE = [s for s in SAMPLES if s["reason"] is None]


def test_every_kind_has_a_placeholder() -> None:
    assert set(PLACEHOLDERS) == set(IDENTIFIER_KINDS)
    for placeholder in PLACEHOLDERS.values():
        assert placeholder.startswith("[") and placeholder.endswith(" entfernt]")
        assert find_identifiers(placeholder) == []


@pytest.mark.parametrize("sample", PERSONAL, ids=lambda s: s["text"][:40])
def test_no_raw_value_survives(sample: dict[str, Any]) -> None:
    clean = redact(sample["text"])
    for value in sample["values"]:
        assert value not in clean, (value, clean)
        assert value.replace(" ", "") not in clean.replace(" ", ""), (value, clean)
    assert "entfernt]" in clean
    assert find_identifiers(clean) == []


@pytest.mark.parametrize("sample", ROUTINE, ids=lambda s: s["text"][:40])
def test_routine_text_is_unchanged(sample: dict[str, Any]) -> None:
    assert redact(sample["text"]) == sample["text"]


def test_redaction_is_idempotent() -> None:
    for sample in SAMPLES:
        once = redact(sample["text"])
        assert redact(once) == once, sample["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN DE89 3704 0044 0532 0130 00.", "IBAN [IBAN entfernt]."),
        ("Steuer-ID 67 013 432 591", "Steuer-ID [Steuer-ID entfernt]"),
        ("Az. 4711/23!", "Az. [Aktenzeichen entfernt]!"),
        ("geb. 01.02.1980", "geb. [Geburtsdatum entfernt]"),
        ("Max Mustermann, geb. 01.02.1980", "[Name entfernt], geb. [Geburtsdatum entfernt]"),
        ("Auto D-AB 1234 weg", "Auto [Kennzeichen entfernt] weg"),
        ("Ausweisnummer L01X00T47", "Ausweisnummer [Ausweisnummer entfernt]"),
        ("Tel 0170/1234567", "Tel [Telefonnummer entfernt]"),
        ("an max@example.de", "an [E-Mail entfernt]"),
        ("Steuernummer 133/8150/8159", "Steuernummer [Nummer entfernt]"),
        ("Karte 4111 1111 1111 1111", "Karte [Kartennummer entfernt]"),
        ("Rathaus: 02101 100-1100, buergerbuero@musterstadt.de", None),
    ],
)
def test_placeholders(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


@pytest.mark.parametrize("text", ["", "🙂", "<script>alert(1)</script>", "\x00\x01\x7f\ufeff"])
def test_trivial_input_is_returned_as_is(text: str) -> None:
    assert redact(text) == text


def test_binary_input_keeps_everything_outside_findings() -> None:
    text = bytes(range(256)).decode("latin-1") * 8 + " Tel. 0170/1234567 " + "\x00" * 100
    clean = redact(text)
    assert clean == text.replace("0170/1234567", "[Telefonnummer entfernt]")


def test_100_kb_text_with_identifiers() -> None:
    routine = "Wann hat das Bürgerbüro in der Goethestraße 8 am 24.12. geöffnet? "
    chunk = routine * 20
    values = [
        ("DE89 3704 0044 0532 0130 00", "[IBAN entfernt]"),
        ("0170/1234567", "[Telefonnummer entfernt]"),
        ("erika@example.org", "[E-Mail entfernt]"),
    ]
    parts: list[str] = []
    expected: list[str] = []
    index = 0
    while sum(map(len, parts)) < 100_000:
        value, placeholder = values[index % len(values)]
        parts.append(f"{chunk}Angabe: {value}. ")
        expected.append(f"{chunk}Angabe: {placeholder}. ")
        index += 1
    text = "".join(parts)
    assert len(text) >= 100_000
    assert redact(text) == "".join(expected)


@pytest.mark.parametrize("block", ["1", "a", "DE89 ", "x@", "0 ", "AB CD 12 ", "geb. 01.02.1980 "])
def test_100_kb_pathological_input(block: str) -> None:
    text = (block * (100_000 // len(block) + 1))[:100_000]
    clean = redact(text)
    assert redact(clean) == clean
    assert find_identifiers(clean) == []
