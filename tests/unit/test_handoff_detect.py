"""Handoff reasons and identifiers: the labelled set plus focused unit tests.

The labelled set (tests/unit/data/handoff_messages.yml) is evaluated with
:func:`bot.handoff.detect.evaluate`; run with ``-s`` to see the table.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.handoff.detect import (
    IDENTIFIER_KINDS,
    REASONS,
    Detection,
    Finding,
    detect,
    evaluate,
    find_identifiers,
    format_report,
    is_public_phone,
)

DATA = Path(__file__).parent / "data" / "handoff_messages.yml"

VALID_IBAN = "DE89 3704 0044 0532 0130 00"
VALID_IBAN_COMPACT = "DE89370400440532013000"
INVALID_IBAN = "DE89 3704 0044 0532 0130 01"  # last digit changed
VALID_TAX_ID = "67 013 432 591"
INVALID_TAX_ID = "67 013 432 592"  # check digit changed


def load_samples() -> list[dict[str, Any]]:
    """The labelled messages."""
    return list(yaml.safe_load(DATA.read_text(encoding="utf-8")))


SAMPLES = load_samples()


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_identifiers(text)]


def spans(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_identifiers(text)]


# --- the labelled set ------------------------------------------------------------------


def test_labelled_set_has_the_required_shape() -> None:
    counts = Counter(s["reason"] for s in SAMPLES)
    assert len(SAMPLES) >= 170
    assert counts[None] >= 60
    assert counts["personal_data"] >= 20
    for reason in REASONS:
        assert counts[reason] >= 12, reason
    assert set(counts) <= {*REASONS, None}
    texts = [s["text"] for s in SAMPLES]
    assert len(texts) == len(set(texts)), "duplicate messages"
    for sample in SAMPLES:
        assert set(sample) <= {"text", "reason", "values", "crisis"}, sample
        if sample["reason"] == "personal_data":
            assert sample.get("values"), sample["text"]
            for value in sample["values"]:
                assert value in sample["text"], value


def test_metrics_on_the_labelled_set() -> None:
    metrics = evaluate(SAMPLES)
    print()
    print(format_report(metrics))
    for error in metrics["errors"]:
        print(
            "miss:", error["gold"], "->", error["predicted"], "|", SAMPLES[error["index"]]["text"]
        )
    overall = metrics["overall"]
    assert overall["recall"] >= 0.95
    assert overall["precision"] >= 0.95
    assert metrics["per_reason"]["personal_data"]["recall"] == 1.0
    assert metrics["per_reason"]["emergency"]["recall"] == 1.0


def test_no_routine_question_is_personal_data() -> None:
    for sample in SAMPLES:
        if sample["reason"] is None:
            assert find_identifiers(sample["text"]) == [], sample["text"]
            assert detect(sample["text"]).reason != "personal_data", sample["text"]


@pytest.mark.parametrize(
    "sample",
    [s for s in SAMPLES if s["reason"] == "personal_data"],
    ids=lambda s: s["text"][:40],
)
def test_every_labelled_value_is_found(sample: dict[str, Any]) -> None:
    text = sample["text"]
    found = find_identifiers(text)
    for value in sample["values"]:
        start = text.index(value)
        end = start + len(value)
        assert any(f.start <= start and end <= f.end for f in found), (value, spans(text))


def test_emergency_and_crisis_flags() -> None:
    for sample in SAMPLES:
        result = detect(sample["text"])
        if sample.get("crisis"):
            assert result.crisis, sample["text"]
        if sample["reason"] == "emergency" and not sample.get("crisis"):
            assert result.emergency, sample["text"]
        if sample["reason"] is None:
            assert not result.emergency and not result.crisis, sample["text"]


def test_triggers_never_contain_raw_values() -> None:
    label = re.compile(r"^[a-z_]+(?::[a-z_]+)?$")
    for sample in SAMPLES:
        result = detect(sample["text"])
        for trigger in result.triggers:
            assert label.match(trigger), trigger
            for value in sample.get("values", []):
                assert value.lower() not in trigger, trigger
        if sample["reason"] is not None:
            assert result.triggers, sample["text"]


def test_evaluate_counts_and_hides_texts() -> None:
    samples = [
        {"text": "Mitarbeiter bitte", "reason": "request_human"},
        {"text": "Wann hat das Bürgerbüro geöffnet?", "reason": None},
        {"text": "Wann hat das Standesamt geöffnet?", "reason": "complain"},  # a miss
        {"text": f"Meine IBAN ist {VALID_IBAN}", "reason": None},  # a false alarm
    ]
    metrics = evaluate(samples)
    assert metrics["size"] == 4
    assert metrics["per_reason"]["request_human"] == {
        "support": 1,
        "predicted": 1,
        "tp": 1,
        "recall": 1.0,
        "precision": 1.0,
    }
    assert metrics["per_reason"]["complain"]["recall"] == 0.0
    assert metrics["overall"]["recall"] == 0.5
    assert metrics["overall"]["precision"] == 0.5
    assert metrics["confusion"]["complain->None"] == 1
    assert metrics["errors"] == [
        {"index": 2, "gold": "complain", "predicted": None},
        {"index": 3, "gold": None, "predicted": "personal_data"},
    ]
    assert "DE89" not in repr(metrics)
    assert "ANY HANDOFF" in format_report(metrics)


# --- IBAN and Steuer-ID --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"Meine IBAN: {VALID_IBAN}",
        f"bitte auf {VALID_IBAN_COMPACT} überweisen",
        f"iban {VALID_IBAN_COMPACT.lower()}",
        f"{VALID_IBAN} bitte",
        "NL91 ABNA 0417 1643 00",
    ],
)
def test_valid_iban_is_found(text: str) -> None:
    assert kinds(text) == ["iban"]
    assert detect(text).reason == "personal_data"
    assert "iban" in detect(text).triggers


def test_iban_span_stops_at_the_last_valid_character() -> None:
    text = f"Konto {VALID_IBAN} 12 Euro"
    (finding,) = [f for f in find_identifiers(text) if f.kind == "iban"]
    assert text[finding.start : finding.end] == VALID_IBAN


def test_two_ibans_next_to_each_other() -> None:
    other = "DE77100100100123456789"
    text = f"{VALID_IBAN_COMPACT} {other}"
    assert spans(text) == [("iban", VALID_IBAN_COMPACT), ("iban", other)]


def test_iban_with_one_digit_changed_is_not_an_iban() -> None:
    assert "iban" not in kinds(f"Überweisung an {INVALID_IBAN}")
    assert find_identifiers(f"Überweisung an {INVALID_IBAN.replace(' ', '')}") == []
    # named by the citizen, the number is still kept out of messengers (a typo)
    assert kinds(f"meine IBAN ist {INVALID_IBAN}") == ["labelled_number"]


def test_valid_tax_id_is_found() -> None:
    assert kinds(f"Steuer-ID {VALID_TAX_ID}") == ["tax_id"]
    assert kinds(VALID_TAX_ID.replace(" ", "")) == ["tax_id"]
    assert kinds("36574261809") == ["tax_id"]


def test_tax_id_with_wrong_check_digit() -> None:
    assert find_identifiers(f"Die Zahl {INVALID_TAX_ID} ist keine") == []
    assert kinds(f"Meine Steuer-ID ist {INVALID_TAX_ID}") == ["labelled_number"]
    assert find_identifiers("12345678901") == []  # digit-frequency rule


def test_payment_card_needs_luhn() -> None:
    assert kinds("Karte 4111 1111 1111 1111") == ["card_number"]
    assert find_identifiers("Karte 4111 1111 1111 1112") == []


# --- phone numbers and e-mail ----------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+49 211 1234567",
        "+491701234567",
        "0049 170 1234567",
        "+49 (0) 176 12345678",
        "0211 123456",
        "0211/123456",
        "(0211) 123456",
        "0170/1234567",
        "0170 123 45 67",
        "01701234567",
        "0157-12345678",
        "0176 / 12 34 56 78",
        "+43 660 1234567",
        "02101 123456",
    ],
)
def test_phone_formats(number: str) -> None:
    text = f"Sie erreichen mich unter {number}, danke"
    assert spans(text) == [("phone", number)]


def test_phone_named_by_a_keyword_without_area_code() -> None:
    assert spans("Tel. 123 4567") == [("phone", "123 4567")]
    assert spans("meine Handynummer: 98765432") == [("phone", "98765432")]


@pytest.mark.parametrize(
    "number",
    [
        "+49 2101 100-1100",
        "+49 (0) 2101 100-1100",
        "0049 2101 1003400",
        "02101 100-1200",
        "0800 1000 4800",
        "0800 4 5555 00",
        "0180 5 123456",
    ],
)
def test_published_and_service_numbers_are_not_personal(number: str) -> None:
    assert is_public_phone(number)
    assert find_identifiers(f"Ist {number} die richtige Nummer?") == []


@pytest.mark.parametrize(
    "text",
    [
        "Mo-Fr 08:00-12:00 und 14:00-18:00",
        "am 01.02.2025 um 10:30",
        "41000 Musterstadt",
        "01067 Dresden",
        "37,00 EUR",
        "Hausnummer 20 bis 48",
        "Raum 101",
        "Notruf 112",
        "Vorlage 2024/0815",
    ],
)
def test_things_that_are_not_phone_numbers(text: str) -> None:
    assert find_identifiers(text) == []


def test_email() -> None:
    assert spans("Mail: erika_m1980@gmx.net!") == [("email", "erika_m1980@gmx.net")]
    assert spans("an Max.Mustermann@Example.DE bitte") == [("email", "Max.Mustermann@Example.DE")]
    assert spans("m.mueller(at)t-online.de") == [("email", "m.mueller(at)t-online.de")]
    assert find_identifiers("buergerbuero@musterstadt.de") == []  # the city's own
    assert find_identifiers("zulassung@termine.musterstadt.de") == []
    assert kinds("max@musterstadt.de.example.com") == ["email"]
    assert find_identifiers("@musterstadt auf Social Media") == []


# --- licence plates, documents, dates --------------------------------------------------------


@pytest.mark.parametrize("plate", ["D-AB 1234", "M XY 123E", "K-AB-123", "HH-AB 123", "B-MW 4321"])
def test_licence_plates(plate: str) -> None:
    assert spans(f"Mein Wagen {plate} steht da") == [("licence_plate", plate)]
    assert spans(f"{plate} wurde abgeschleppt") == [("licence_plate", plate)]


def test_lower_case_plate_needs_a_vehicle_word() -> None:
    assert spans("kennzeichen b-mw 4321") == [("licence_plate", "b-mw 4321")]
    assert find_identifiers("ab mo 12 uhr") == []


@pytest.mark.parametrize(
    "text",
    ["MO-FR 8-12 UHR", "Mo-Fr 10-18", "die A 3", "B 224 gesperrt", "DIN A4", "Linie S 8", "E-Auto"],
)
def test_things_that_are_not_plates(text: str) -> None:
    assert find_identifiers(text) == []


def test_id_document_numbers() -> None:
    assert spans("Ausweisnummer L01X00T47") == [("id_document", "L01X00T47")]
    assert spans("Passnummer: C01X00T47") == [("id_document", "C01X00T47")]
    assert spans("Personalausweisnummer ist T220001293") == [("id_document", "T220001293")]
    # without a keyword only with a valid MRZ check digit (the 10th character)
    assert spans("T220001293") == [("id_document", "T220001293")]
    assert find_identifiers("T220001294") == []
    assert find_identifiers("L01X00T47") == []


def test_case_numbers_need_a_keyword() -> None:
    assert spans("Aktenzeichen: 32-1/2024-0815, bitte") == [("case_number", "32-1/2024-0815")]
    assert spans("Kassenzeichen 5.200.123.456.") == [("case_number", "5.200.123.456")]
    assert spans("Az. 4711/23") == [("case_number", "4711/23")]
    assert spans("Vorgangsnummer: VG-2024-001234") == [("case_number", "VG-2024-001234")]
    assert spans("Mein Vorgang hat die Nummer 2024-55512") == [("case_number", "2024-55512")]
    assert find_identifiers("Wo finde ich das Kassenzeichen auf dem Bescheid?") == []
    assert find_identifiers("Was bedeutet Az. auf einem Schreiben?") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Max Mustermann, geb. 01.02.1980",
            [("name", "Max Mustermann"), ("birth_date", "01.02.1980")],
        ),
        ("ich bin am 3.4.1975 geboren", [("birth_date", "3.4.1975")]),
        ("Geburtsdatum: 12.11.1962", [("birth_date", "12.11.1962")]),
        ("geb 7.9.92", [("birth_date", "7.9.92")]),
        ("am 15. März 2016 geboren", [("birth_date", "15. März 2016")]),
        ("Jan Kowalski *12.05.1990", [("name", "Jan Kowalski"), ("birth_date", "12.05.1990")]),
    ],
)
def test_birth_dates(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "hat das rathaus am 24.12. auf",
        "Ist das Bürgerbüro am 3. Oktober geschlossen?",
        "Wir wollen am 12.07.2025 heiraten",
        "Ich habe einen Termin am 14.03.2025 um 9 Uhr",
        "Ich brauche eine Geburtsurkunde bis zum 24.12.2024",
        "Erika Mustermann geb. Müller",
    ],
)
def test_dates_that_are_not_birth_dates(text: str) -> None:
    assert find_identifiers(text) == []


def test_findings_are_sorted_disjoint_and_kinds_known() -> None:
    text = (
        f"Max Mustermann, geb. 01.02.1980, IBAN {VALID_IBAN}, Tel. 0211 123456, "
        "max@example.de, Kennzeichen D-AB 1234, Az. 12/345"
    )
    found = find_identifiers(text)
    assert [f.kind for f in found] == [
        "name",
        "birth_date",
        "iban",
        "phone",
        "email",
        "licence_plate",
        "case_number",
    ]
    for before, after in itertools.pairwise(found):
        assert before.end <= after.start
    assert {f.kind for f in found} <= set(IDENTIFIER_KINDS)


# --- reasons, priorities, intent hints --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"Es brennt im Flur! Meine IBAN ist {VALID_IBAN}", "emergency"),
        (f"Meine IBAN ist {VALID_IBAN}, mein Wohngeld wurde gekürzt", "personal_data"),
        ("Mein Wohngeld wurde gekürzt, ich will Widerspruch einlegen", "sensitive_topic"),
        ("Ich will Widerspruch einlegen, Ihr Mitarbeiter war unfreundlich", "case_specific"),
        ("Beschwerde! Ich will sofort einen Mitarbeiter sprechen", "complain"),
        ("Ich möchte mit einem Menschen sprechen", "request_human"),
        ("Wann hat das Bürgerbüro geöffnet?", None),
    ],
)
def test_priorities(text: str, reason: str | None) -> None:
    assert detect(text).reason == reason


def test_triggers_list_every_matching_reason_highest_first() -> None:
    result = detect(f"Meine IBAN ist {VALID_IBAN}, mein Wohngeld wurde gekürzt")
    assert result.triggers[0] == "iban"
    assert "topic:social_benefits" in result.triggers
    assert result.findings[0].kind == "iban"


def test_crisis_sets_both_reason_and_flag() -> None:
    result = detect("Ich will nicht mehr leben")
    assert (result.reason, result.crisis, result.emergency) == ("emergency", True, False)
    assert "crisis" in result.triggers
    result = detect("Gasgeruch im Treppenhaus!")
    assert (result.reason, result.crisis, result.emergency) == ("emergency", False, True)


@pytest.mark.parametrize(
    ("intent", "reason"),
    [
        ("ask_case_status", "case_specific"),
        ("request_human", "request_human"),
        ("complain", "complain"),
        ("greet", None),
        (None, None),
    ],
)
def test_intent_is_a_hint(intent: str | None, reason: str | None) -> None:
    result = detect("ok", intent)
    assert result.reason == reason
    if reason is not None:
        assert f"intent:{intent}" in result.triggers


def test_patterns_with_higher_priority_beat_the_intent() -> None:
    assert detect("Es brennt!", "request_human").reason == "emergency"
    assert detect("Mein Bürgergeld wurde gestrichen", "ask_case_status").reason == "sensitive_topic"
    assert detect("Mitarbeiter bitte", "ask_case_status").reason == "case_specific"


@pytest.mark.parametrize(
    "text",
    [
        "Nicht weiterleiten",
        "Rede ich mit einem Menschen?",
        "Wo stelle ich meinen Rentenantrag?",
        "Wo beschwere ich mich über Lärm vom Nachbarn?",
        "Die Straßenlaterne brennt nicht",
        "Darf ich im Garten ein Feuer machen?",
        "Sie haben mich versetzt",
    ],
)
def test_known_traps_are_routine(text: str) -> None:
    assert detect(text).reason is None


def test_own_ticket_references_are_case_specific_not_identifiers() -> None:
    text = "Vorgangsnummer MS-7K4P-Q2XD, gibt es was Neues?"
    assert find_identifiers(text) == []
    assert detect(text).reason == "case_specific"
    assert "keyword:reference" in detect(text).triggers


def test_rasa_commands_only_count_identifiers_and_intent() -> None:
    assert detect('/resume_case{"reference":"MS-7K4P-Q2XD"}').reason is None
    assert detect("/affirm").reason is None
    assert detect("/request_human", "request_human").reason == "request_human"
    assert detect(f'/inform{{"iban":"{VALID_IBAN}"}}').reason == "personal_data"


def test_typos_are_tolerated() -> None:
    assert detect("kann ich einen sachbearbieter sprechen").reason == "request_human"
    assert detect("ich will mich beschwern").reason == "complain"
    assert detect("was ist mit meinem widerspruh").reason == "case_specific"


def test_detection_is_frozen() -> None:
    result = detect("Mitarbeiter bitte")
    assert isinstance(result, Detection)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.reason = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Finding("iban", 0, 1).start = 2  # type: ignore[misc]


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "🙂🙂🙂",
        "👍",
        "<script>alert('x')</script>",
        "\x00\x01\x02\x1b[31m\x7f",
        "What are your opening hours?",
        bytes(range(256)).decode("latin-1"),
        "\ufeff\u200b\u202e",
        "ä" * 5000,
    ],
)
def test_odd_input_is_routine(text: str) -> None:
    result = detect(text)
    assert result.reason is None
    assert result.findings == ()
    assert find_identifiers(text) == []


def test_100_kb_message_is_classified_correctly() -> None:
    routine = "Wann hat das Bürgerbüro in der Goethestraße 8 am 24.12. geöffnet? "
    filler = routine * (50_000 // len(routine) + 1)
    text = f"{filler}Meine IBAN ist {VALID_IBAN}. {filler}Rückruf unter 0170/1234567"
    assert len(text) > 100_000
    result = detect(text)
    assert result.reason == "personal_data"
    assert [(f.kind, text[f.start : f.end]) for f in result.findings] == [
        ("iban", VALID_IBAN),
        ("phone", "0170/1234567"),
    ]
    assert detect(filler * 2).reason is None


@pytest.mark.parametrize(
    "block",
    ["1", "a", "ä", "0 ", "DE89 ", "x@", "ab12", "bescheid", "+49 ", "mein ", "AB CD 12 ", "geb. "],
)
def test_100_kb_pathological_input_completes(block: str) -> None:
    text = (block * (100_000 // len(block) + 1))[:100_000]
    result = detect(text)
    assert result.reason in {*REASONS, None}
    for finding in result.findings:
        assert 0 <= finding.start < finding.end <= len(text)
