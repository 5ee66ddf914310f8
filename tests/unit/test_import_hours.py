"""The hours converter over free-text patterns written in the style of DLDB exports.

Every case is either converted exactly (the OSM expression is compared as a whole and
evaluated with the opening_hours parser) or kept as text: never a guess.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.importers.hours import CONVERTED, EMPTY, TEXT, convert_week, parse_day
from bot.knowledge.opening_hours import OfficeSchedule

_DATA = yaml.safe_load(
    (Path(__file__).parent / "data" / "import_hours.yml").read_text(encoding="utf-8")
)
# (weekday field, free text, expected expression)
CONVERTED_CASES: list[tuple[str, str, str]] = [tuple(c) for c in _DATA["converted"]]
# (weekday field, free text): kept as text
TEXT_CASES: list[tuple[str, str]] = [tuple(c) for c in _DATA["text"]]


@pytest.mark.parametrize(("field", "text", "expected"), CONVERTED_CASES)
def test_converted_exactly(field: str, text: str, expected: str) -> None:
    result = convert_week({field: text})
    assert result.status == CONVERTED, result.problems
    assert result.expression == f"{expected}; PH off"
    OfficeSchedule(result.expression, state="BE")  # the parser accepts it


@pytest.mark.parametrize(("field", "text"), TEXT_CASES)
def test_uncertain_is_kept_as_text(field: str, text: str) -> None:
    result = convert_week({field: text, "friday": "08:00-12:00 Uhr"})
    assert result.status == TEXT
    assert result.expression is None
    assert result.verbatim and "Freitag: 08:00-12:00 Uhr" in result.verbatim


@pytest.mark.parametrize(
    "text",
    ["geschlossen", "keine Sprechzeit", "keine Sprechstunde", "keine", "Geschlossen.", "false", ""],
)
def test_closed_day_phrases(text: str) -> None:
    result = convert_week({"monday": "08:00-12:00 Uhr", "wednesday": text})
    assert result.status == CONVERTED
    assert result.expression == "Mo 08:00-12:00; PH off"


def test_a_whole_week_groups_equal_days_into_ranges() -> None:
    week = {
        "monday": "08:00-15:00 Uhr",
        "tuesday": "08:00-15:00 Uhr",
        "wednesday": "08:00-15:00 Uhr",
        "thursday": "11:00-18:00 Uhr",
        "friday": "08:00-15:00 Uhr",
        "saturday": "false",
        "sunday": "false",
        "special": "",
    }
    result = convert_week(week)
    assert result.expression == "Mo-We,Fr 08:00-15:00; Th 11:00-18:00; PH off"
    assert result.note is None
    schedule = OfficeSchedule(result.expression, state="BE")
    assert schedule.day(date(2026, 12, 3)).intervals[0][0].hour == 11  # a Thursday
    assert not schedule.day(date(2026, 12, 5)).intervals  # Saturday closed


def test_appointment_only_everywhere_sets_the_flag_and_note() -> None:
    result = convert_week(
        {"monday": "7.30 - 15.00 nur mit Termin", "tuesday": "08:00-12:00 (nur mit Termin)"}
    )
    assert result.appointment_only is True
    assert result.note == "Vorsprache nur mit Termin."


def test_mixed_appointment_hours_are_named_in_the_note() -> None:
    result = convert_week({"monday": "08:00 - 12:00 Uhr (nur mit Termin) und 13:00 - 18:00 Uhr"})
    assert result.appointment_only is False
    assert result.note == "Nur mit Termin: Montag 08:00–12:00 Uhr."


def test_telephone_hours_do_not_open_the_office() -> None:
    result = convert_week({"monday": "08:00-12:00 Uhr\n13:00-14:00 Uhr (telefonisch)"})
    assert result.expression == "Mo 08:00-12:00; PH off"
    assert result.note == "Telefonisch erreichbar: Montag 13:00–14:00 Uhr."


def test_only_telephone_hours_is_text() -> None:
    result = convert_week({"monday": "13:00-14:00 Uhr (telefonisch)"})
    assert result.status == TEXT
    assert result.verbatim == "Montag: 13:00-14:00 Uhr (telefonisch)"


def test_by_arrangement_days_are_closed_with_that_reason() -> None:
    result = convert_week({"monday": "08:00-12:00 Uhr", "tuesday": "nach Vereinbarung"})
    assert result.expression == 'Mo 08:00-12:00; Tu off "nach Vereinbarung"; PH off'
    day = OfficeSchedule(result.expression, state="BE").day(date(2026, 12, 1))
    assert day.closed_reason == "nach Vereinbarung"


def test_only_by_arrangement_is_text() -> None:
    result = convert_week({"monday": "Nur nach Vereinbarung", "tuesday": "Termine nach Absprache"})
    assert result.status == TEXT
    assert result.verbatim == "Montag: Nur nach Vereinbarung; Dienstag: Termine nach Absprache"


def test_extra_by_arrangement_is_in_the_note() -> None:
    result = convert_week({"thursday": "08:00 - 12:00 Uhr und nach Vereinbarung"})
    assert result.note == "Donnerstag zusätzlich nach Vereinbarung."


def test_special_note_is_kept_short_without_html() -> None:
    special = "Bitte beachten Sie:<br />\n<strong>Kartenzahlung</strong> " + "sehr lang " * 60
    result = convert_week({"monday": "08:00-12:00 Uhr", "special": special})
    assert result.note is not None
    assert result.note.startswith("Hinweis des Amts: Bitte beachten Sie: Kartenzahlung")
    assert "<" not in result.note and len(result.note) < 340


@pytest.mark.parametrize("value", [None, {}, {"monday": "false", "special": ""}, "text", 42, []])
def test_empty_or_malformed_input_is_empty(value: object) -> None:
    assert convert_week(value).status == EMPTY  # type: ignore[arg-type]


def test_unknown_keys_and_non_strings_do_not_crash() -> None:
    result = convert_week({"monday": 8, "holiday": "geschlossen", "tuesday": ["x"]})
    assert result.status == TEXT


def test_huge_input_is_text_without_crash() -> None:
    assert convert_week({"monday": "08:00-12:00 Uhr " + "x" * 100_000}).status == TEXT


def test_script_tags_are_removed_from_verbatim() -> None:
    result = convert_week({"monday": "<script>alert(1)</script>Mo früh"})
    assert result.status == TEXT
    assert result.verbatim is not None and "<script>" not in result.verbatim


def test_parse_day_reports_interval_kinds() -> None:
    day = parse_day("08:00-12:00 Uhr (nur mit Termin)\n14:00-15:00 Uhr (telefonisch)", "Mo")
    assert day.intervals is not None
    assert [i.kind for i in day.intervals] == ["appointment", "telephone"]


def test_at_least_sixty_patterns() -> None:
    assert len(CONVERTED_CASES) + len(TEXT_CASES) >= 60
