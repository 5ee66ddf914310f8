"""German time expressions: table-driven, with fixed clocks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.knowledge.when import PART_OF_DAY_RANGES, When, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # Monday
FRIDAY = datetime(2026, 12, 18, 15, 0, tzinfo=BERLIN)  # Friday before Christmas


def d(text: str) -> date:
    return date.fromisoformat(text)


def span(first: str, days: int) -> tuple[date, ...]:
    return tuple(d(first) + timedelta(days=i) for i in range(days))


CLOCKS = {"monday": MONDAY, "friday": FRIDAY}
DATA = Path(__file__).parent / "data" / "when_cases.yml"


def _case(c: dict) -> tuple[datetime, str, tuple[date, ...], str | None, bool, bool, str]:
    days = tuple(x if isinstance(x, date) else d(x) for x in c["days"])
    now_flag, until = c.get("now_flag", False), c.get("until", False)
    return CLOCKS[c["now"]], c["text"], days, c.get("part"), now_flag, until, c["label"]


# (now, text, days, part_of_day, now flag, until_when, label)
CASES = [_case(c) for c in yaml.safe_load(DATA.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(
    ("now", "text", "days", "part", "is_now", "until", "label"),
    CASES,
    ids=[f"{c[0]:%a}-{c[1]}" for c in CASES],
)
def test_phrasings(now, text, days, part, is_now, until, label):
    assert parse_when(text, now) == When(
        days=days, part_of_day=part, now=is_now, until_when=until, label=label
    )


def test_enough_cases():
    assert len(CASES) >= 50
    assert len(NEGATIVES) >= 10


NEGATIVES = [
    "Wann hat das Bürgerbüro auf?",
    "Ich brauche einen Personalausweis",
    "Hausnummer 20",
    "Ich wohne in der Goethestraße 10, Raum 101",
    "Rathausplatz 1, 41000 Musterstadt",
    "Guten Morgen, ich möchte mich ummelden",
    "Guten Abend",
    "Frohe Weihnachten und einen guten Rutsch!",
    "Schönes Wochenende!",
    "Ist die Montagstraße gesperrt?",
    "Ich wohne seit 2 Wochen hier",
    "Im Mai ziehe ich um",
    "Meine Telefonnummer ist 02101 100-1100",
    "Der Reisepass kostet 37.50 Euro",
    "Ich habe 3 Kinder im Alter von 5 und 12 Jahren",
    "Version 2.5 der App stürzt ab",
    "Öffnungszeiten Standesamt",
    "Was kostet die Hundesteuer für 2 Hunde?",
    "Haben Sie an Feiertagen geöffnet?",
    "Ich brauche eine Genehmigung für die Montage einer Markise",
    "Termin um 10.30",
    "31.02.",
    "Was sind Ihre Sorgen?",
    "N'Abend!",
    "Guten Nachmittag",
    "Morgen zusammen!",
    "Ich warte noch auf meinen Perso",
    "Wie ist das Wetter im Oktober?",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_date_in_unrelated_text(text):
    when = parse_when(text, MONDAY)
    assert when.days == ()
    assert when.label == ""
    assert when.part_of_day is None
    assert not when.now
    assert not when.until_when


def test_year_end_rollover_and_other_years():
    new_years_eve = datetime(2026, 12, 31, 20, 0, tzinfo=BERLIN)  # Thursday
    assert parse_when("morgen", new_years_eve).days == (d("2027-01-01"),)
    assert parse_when("Silvester", new_years_eve).days == (d("2026-12-31"),)
    assert parse_when("nächste Woche", new_years_eve).days == span("2027-01-04", 7)
    later = datetime(2030, 1, 1, 9, 0, tzinfo=BERLIN)
    assert parse_when("Fronleichnam", later).days == (d("2030-06-20"),)
    assert parse_when("am 3. Oktober", later).days == (d("2030-10-03"),)


def test_weekend_asked_on_the_weekend():
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=BERLIN)
    sunday = datetime(2026, 11, 29, 9, 0, tzinfo=BERLIN)
    assert parse_when("am Wochenende", saturday).days == span("2026-11-28", 2)
    assert parse_when("am Wochenende", sunday).days == span("2026-12-05", 2)


def test_weekday_today_counts_but_naechsten_does_not():
    thursday = datetime(2026, 11, 26, 20, 0, tzinfo=BERLIN)
    assert parse_when("am Donnerstag", thursday).days == (d("2026-11-26"),)
    assert parse_when("nächsten Donnerstag", thursday).days == (d("2026-12-03"),)


def test_state_specific_holiday_names():
    # "Reformationstag" is a holiday in Saxony, but resolves to its date everywhere.
    assert parse_when("Reformationstag", MONDAY, state="SN").days == (d("2027-10-31"),)
    assert parse_when("Reformationstag", MONDAY, state="NW").days == (d("2027-10-31"),)
    with pytest.raises(ValueError, match="unknown German state"):
        parse_when("heute", MONDAY, state="XX")


def test_part_of_day_ranges():
    expected = {
        "vormittags": (time(6), time(12)),
        "nachmittags": (time(12), time(18)),
        "abends": (time(18), time(23, 59)),
    }
    assert expected == PART_OF_DAY_RANGES


def test_result_is_deterministic_and_ignores_the_time_of_day():
    early = datetime(2026, 11, 23, 0, 5, tzinfo=BERLIN)
    late = datetime(2026, 11, 23, 23, 55, tzinfo=BERLIN)
    for text in ("heute", "am Montag", "23.11.", "23. November", "diese Woche"):
        assert parse_when(text, early) == parse_when(text, late) == parse_when(text, MONDAY)
