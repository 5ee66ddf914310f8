"""German time expressions: table-driven, with fixed clocks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.knowledge.when import PART_OF_DAY_RANGES, When, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # Monday
FRIDAY = datetime(2026, 12, 18, 15, 0, tzinfo=BERLIN)  # Friday before Christmas


def d(text: str) -> date:
    return date.fromisoformat(text)


def span(first: str, days: int) -> tuple[date, ...]:
    return tuple(d(first) + timedelta(days=i) for i in range(days))


# (now, text, days, part_of_day, now flag, until_when, label)
# fmt: off
CASES: list[tuple[datetime, str, tuple[date, ...], str | None, bool, bool, str]] = [
    # --- weekdays (Monday 2026-11-23) ---------------------------------------------------
    (MONDAY, "am Donnerstag", (d("2026-11-26"),), None, False, False, "Donnerstag, 26.11.2026"),
    (MONDAY, "donnerstags", (d("2026-11-26"),), None, False, False, "Donnerstag, 26.11.2026"),
    (MONDAY, "donnerstag", (d("2026-11-26"),), None, False, False, "Donnerstag, 26.11.2026"),
    (MONDAY, "samstags", (d("2026-11-28"),), None, False, False, "Samstag, 28.11.2026"),
    (MONDAY, "Hat das Bürgerbüro am Samstag auf?", (d("2026-11-28"),), None, False, False,
     "Samstag, 28.11.2026"),
    (MONDAY, "Montag", (d("2026-11-23"),), None, False, False, "Montag, 23.11.2026"),
    (MONDAY, "montags", (d("2026-11-23"),), None, False, False, "Montag, 23.11.2026"),
    (MONDAY, "nächsten Montag", (d("2026-11-30"),), None, False, False, "Montag, 30.11.2026"),
    (MONDAY, "naechsten Montag", (d("2026-11-30"),), None, False, False, "Montag, 30.11.2026"),
    (MONDAY, "kommenden Freitag", (d("2026-11-27"),), None, False, False, "Freitag, 27.11.2026"),
    (MONDAY, "übernächsten Montag", (d("2026-12-07"),), None, False, False, "Montag, 07.12.2026"),
    (MONDAY, "am Sonnabend", (d("2026-11-28"),), None, False, False, "Samstag, 28.11.2026"),
    (MONDAY, "Donnerstag nächste Woche", (d("2026-12-03"),), None, False, False,
     "Donnerstag, 03.12.2026"),
    (MONDAY, "nächste Woche am Dienstag", (d("2026-12-01"),), None, False, False,
     "Dienstag, 01.12.2026"),
    (MONDAY, "Montag oder Dienstag", (d("2026-11-23"), d("2026-11-24")), None, False, False,
     "Montag, 23.11.2026 und Dienstag, 24.11.2026"),
    (MONDAY, "Montag bis Freitag", span("2026-11-23", 5), None, False, False,
     "Montag, 23.11.2026 bis Freitag, 27.11.2026"),
    (MONDAY, "Ist die Wilhelmstraße zwischen Montag und Freitag gesperrt?",
     span("2026-11-23", 5), None, False, False, "Montag, 23.11.2026 bis Freitag, 27.11.2026"),
    (MONDAY, "Freitag bis Montag", span("2026-11-27", 4), None, False, False,
     "Freitag, 27.11.2026 bis Montag, 30.11.2026"),
    (MONDAY, "am ersten Samstag im Monat", (d("2026-12-05"),), None, False, False,
     "Samstag, 05.12.2026"),
    (MONDAY, "am letzten Freitag des Monats", (d("2026-11-27"),), None, False, False,
     "Freitag, 27.11.2026"),
    # typos
    (MONDAY, "donerstag", (d("2026-11-26"),), None, False, False, "Donnerstag, 26.11.2026"),
    (MONDAY, "am Mitwoch", (d("2026-11-25"),), None, False, False, "Mittwoch, 25.11.2026"),
    (MONDAY, "morgn", (d("2026-11-24"),), None, False, False, "morgen"),
    (MONDAY, "Sylvester", (d("2026-12-31"),), None, False, False, "Silvester (31.12.2026)"),
    (MONDAY, "Fronleichnahm", (d("2027-05-27"),), None, False, False,
     "Fronleichnam (27.05.2027)"),
    # --- relative days ----------------------------------------------------------------------
    (MONDAY, "heute", (d("2026-11-23"),), None, False, False, "heute"),
    (MONDAY, "Heute", (d("2026-11-23"),), None, False, False, "heute"),
    (MONDAY, "morgen", (d("2026-11-24"),), None, False, False, "morgen"),
    (MONDAY, "übermorgen", (d("2026-11-25"),), None, False, False, "übermorgen"),
    (MONDAY, "uebermorgen", (d("2026-11-25"),), None, False, False, "übermorgen"),
    (MONDAY, "Ab morgen geöffnet?", (d("2026-11-24"),), None, False, False, "morgen"),
    (MONDAY, "heute und morgen", (d("2026-11-23"), d("2026-11-24")), None, False, False,
     "heute und morgen"),
    (MONDAY, "heute, Montag", (d("2026-11-23"),), None, False, False, "heute"),
    (MONDAY, "in drei Tagen", (d("2026-11-26"),), None, False, False, "Donnerstag, 26.11.2026"),
    (MONDAY, "in einer Woche", (d("2026-11-30"),), None, False, False, "Montag, 30.11.2026"),
    (MONDAY, "in 14 Tagen", (d("2026-12-07"),), None, False, False, "Montag, 07.12.2026"),
    # --- parts of the day -------------------------------------------------------------------
    (MONDAY, "nachmittags", (), "nachmittags", False, False, ""),
    (MONDAY, "vormittags", (), "vormittags", False, False, ""),
    (MONDAY, "abends", (), "abends", False, False, ""),
    (MONDAY, "morgens", (), "vormittags", False, False, ""),
    (MONDAY, "am Morgen", (), "vormittags", False, False, ""),
    (MONDAY, "Hat das Bürgerbüro morgen Nachmittag auf?", (d("2026-11-24"),), "nachmittags",
     False, False, "morgen"),
    (MONDAY, "heute Morgen", (d("2026-11-23"),), "vormittags", False, False, "heute"),
    (MONDAY, "morgen früh", (d("2026-11-24"),), "vormittags", False, False, "morgen"),
    (MONDAY, "heute abend", (d("2026-11-23"),), "abends", False, False, "heute"),
    (MONDAY, "Ist das Standesamt übermorgen vormittags offen?", (d("2026-11-25"),), "vormittags",
     False, False, "übermorgen"),
    (MONDAY, "donnerstags nachmittags", (d("2026-11-26"),), "nachmittags", False, False,
     "Donnerstag, 26.11.2026"),
    (MONDAY, "um 15 Uhr", (), "nachmittags", False, False, ""),
    (MONDAY, "morgen gegen 9:30 Uhr", (d("2026-11-24"),), "vormittags", False, False, "morgen"),
    # --- now / until when -------------------------------------------------------------------
    (MONDAY, "jetzt", (), None, True, False, ""),
    (MONDAY, "gerade", (), None, True, False, ""),
    (MONDAY, "Hat das Bürgerbüro im Moment auf?", (), None, True, False, ""),
    (MONDAY, "Ist das Bürgerbüro noch offen?", (), None, True, False, ""),
    (MONDAY, "bis wann heute", (d("2026-11-23"),), None, False, True, "heute"),
    (MONDAY, "wie lange noch", (), None, False, True, ""),
    (MONDAY, "Wie lange hat das Standesamt heute noch auf?", (d("2026-11-23"),), None, True, True,
     "heute"),
    (MONDAY, "Bis wieviel Uhr ist offen?", (), None, False, True, ""),
    # --- weeks and weekends -----------------------------------------------------------------
    (MONDAY, "diese Woche", span("2026-11-23", 7), None, False, False, "diese Woche"),
    (MONDAY, "nächste Woche", span("2026-11-30", 7), None, False, False, "nächste Woche"),
    (MONDAY, "in der kommenden Woche", span("2026-11-30", 7), None, False, False,
     "nächste Woche"),
    (MONDAY, "übernächste Woche", span("2026-12-07", 7), None, False, False,
     "übernächste Woche"),
    (MONDAY, "am Wochenende", span("2026-11-28", 2), None, False, False, "am Wochenende"),
    (MONDAY, "Ist die Zulassungsstelle am Wochenende offen?", span("2026-11-28", 2), None,
     False, False, "am Wochenende"),
    (MONDAY, "nächstes Wochenende", span("2026-11-28", 2), None, False, False,
     "am Wochenende"),
    (MONDAY, "am Wochenende, also Samstag", (d("2026-11-28"),), None, False, False,
     "Samstag, 28.11.2026"),
    # --- dates ------------------------------------------------------------------------------
    (MONDAY, "am 3. Oktober", (d("2027-10-03"),), None, False, False, "Sonntag, 03.10.2027"),
    (MONDAY, "Am 3. Okt. 2027", (d("2027-10-03"),), None, False, False, "Sonntag, 03.10.2027"),
    (MONDAY, "24.12.", (d("2026-12-24"),), None, False, False, "Donnerstag, 24.12.2026"),
    (MONDAY, "am 24.12.2026", (d("2026-12-24"),), None, False, False, "Donnerstag, 24.12.2026"),
    (MONDAY, "am 24.12.26", (d("2026-12-24"),), None, False, False, "Donnerstag, 24.12.2026"),
    (MONDAY, "am 1.12", (d("2026-12-01"),), None, False, False, "Dienstag, 01.12.2026"),
    (MONDAY, "10.12.", (d("2026-12-10"),), None, False, False, "Donnerstag, 10.12.2026"),
    (MONDAY, "23.11.", (d("2026-11-23"),), None, False, False, "Montag, 23.11.2026"),
    (MONDAY, "22.11.", (d("2027-11-22"),), None, False, False, "Montag, 22.11.2027"),
    (MONDAY, "23. November", (d("2026-11-23"),), None, False, False, "Montag, 23.11.2026"),
    (MONDAY, "am 5. Januar", (d("2027-01-05"),), None, False, False, "Dienstag, 05.01.2027"),
    (MONDAY, "3. März", (d("2027-03-03"),), None, False, False, "Mittwoch, 03.03.2027"),
    (MONDAY, "3. Maerz", (d("2027-03-03"),), None, False, False, "Mittwoch, 03.03.2027"),
    (MONDAY, "29.2.", (d("2028-02-29"),), None, False, False, "Dienstag, 29.02.2028"),
    # --- holidays and named days ------------------------------------------------------------
    (MONDAY, "an Fronleichnam", (d("2027-05-27"),), None, False, False,
     "Fronleichnam (27.05.2027)"),
    (MONDAY, "Heiligabend", (d("2026-12-24"),), None, False, False, "Heiligabend (24.12.2026)"),
    (MONDAY, "Haben Sie an Heiligabend geöffnet?", (d("2026-12-24"),), None, False, False,
     "Heiligabend (24.12.2026)"),
    (MONDAY, "Silvester", (d("2026-12-31"),), None, False, False, "Silvester (31.12.2026)"),
    (MONDAY, "Ostermontag", (d("2027-03-29"),), None, False, False, "Ostermontag (29.03.2027)"),
    (MONDAY, "Allerheiligen", (d("2027-11-01"),), None, False, False,
     "Allerheiligen (01.11.2027)"),
    (MONDAY, "am Buß- und Bettag", (d("2027-11-17"),), None, False, False,
     "Buß- und Bettag (17.11.2027)"),
    (MONDAY, "Tag der Arbeit", (d("2027-05-01"),), None, False, False, "Erster Mai (01.05.2027)"),
    (MONDAY, "Himmelfahrt", (d("2027-05-06"),), None, False, False,
     "Christi Himmelfahrt (06.05.2027)"),
    (MONDAY, "an Weihnachten", span("2026-12-24", 3), None, False, False,
     "Weihnachten (24.12.–26.12.2026)"),
    (MONDAY, "Ostern", span("2027-03-26", 4), None, False, False, "Ostern (26.03.–29.03.2027)"),
    (MONDAY, "am 1. Weihnachtstag", (d("2026-12-25"),), None, False, False,
     "Erster Weihnachtstag (25.12.2026)"),
    (MONDAY, "Rosenmontag", (d("2027-02-08"),), None, False, False, "Rosenmontag (08.02.2027)"),
    # --- Friday 2026-12-18 ------------------------------------------------------------------
    (FRIDAY, "heute", (d("2026-12-18"),), None, False, False, "heute"),
    (FRIDAY, "morgen", (d("2026-12-19"),), None, False, False, "morgen"),
    (FRIDAY, "übermorgen", (d("2026-12-20"),), None, False, False, "übermorgen"),
    (FRIDAY, "Freitag", (d("2026-12-18"),), None, False, False, "Freitag, 18.12.2026"),
    (FRIDAY, "nächsten Freitag", (d("2026-12-25"),), None, False, False, "Freitag, 25.12.2026"),
    (FRIDAY, "am Montag", (d("2026-12-21"),), None, False, False, "Montag, 21.12.2026"),
    (FRIDAY, "am Wochenende", span("2026-12-19", 2), None, False, False, "am Wochenende"),
    (FRIDAY, "diese Woche", span("2026-12-14", 7), None, False, False, "diese Woche"),
    (FRIDAY, "nächste Woche", span("2026-12-21", 7), None, False, False, "nächste Woche"),
    (FRIDAY, "am 18.12.", (d("2026-12-18"),), None, False, False, "Freitag, 18.12.2026"),
    (FRIDAY, "17.12.", (d("2027-12-17"),), None, False, False, "Freitag, 17.12.2027"),
    (FRIDAY, "am 3. Oktober", (d("2027-10-03"),), None, False, False, "Sonntag, 03.10.2027"),
    (FRIDAY, "Heiligabend", (d("2026-12-24"),), None, False, False, "Heiligabend (24.12.2026)"),
    (FRIDAY, "Silvester", (d("2026-12-31"),), None, False, False, "Silvester (31.12.2026)"),
    (FRIDAY, "Neujahr", (d("2027-01-01"),), None, False, False, "Neujahr (01.01.2027)"),
    (FRIDAY, "2. Weihnachtstag", (d("2026-12-26"),), None, False, False,
     "Zweiter Weihnachtstag (26.12.2026)"),
    (FRIDAY, "zwischen den Jahren", span("2026-12-27", 5), None, False, False,
     "zwischen den Jahren (27.12.–31.12.2026)"),
    (FRIDAY, "Haben Sie zwischen Weihnachten und Neujahr geöffnet?", span("2026-12-27", 5), None,
     False, False, "zwischen den Jahren (27.12.–31.12.2026)"),
    (FRIDAY, "Fronleichnam", (d("2027-05-27"),), None, False, False, "Fronleichnam (27.05.2027)"),
    (FRIDAY, "Karfreitag", (d("2027-03-26"),), None, False, False, "Karfreitag (26.03.2027)"),
    (FRIDAY, "Heilige Drei Könige", (d("2027-01-06"),), None, False, False,
     "Heilige Drei Könige (06.01.2027)"),
    (FRIDAY, "Tag der Deutschen Einheit", (d("2027-10-03"),), None, False, False,
     "Tag der Deutschen Einheit (03.10.2027)"),
    (FRIDAY, "heute abend noch offen?", (d("2026-12-18"),), "abends", False, False, "heute"),
    (FRIDAY, "noch offen?", (), None, True, False, ""),
    (FRIDAY, "Hat das Bürgeramt heut noch auf", (d("2026-12-18"),), None, True, False, "heute"),
    (FRIDAY, "Hat der Wertstoffhof nach Feierabend noch auf?", (d("2026-12-18"),), "abends",
     False, False, "heute"),
    (FRIDAY, "Hat das Bürgerbüro nach 16 Uhr noch offen?", (d("2026-12-18"),), "nachmittags",
     False, False, "heute"),
    (FRIDAY, "Wann macht das Bürgerbüro heute zu?", (d("2026-12-18"),), None, False, True,
     "heute"),
    (FRIDAY, "Um wie viel Uhr schließt das Standesamt montags?", (d("2026-12-21"),), None,
     False, True, "Montag, 21.12.2026"),
    (FRIDAY, "morgen vormittag", (d("2026-12-19"),), "vormittags", False, False, "morgen"),
    (FRIDAY, "Hat das Bürgerbüro gerade auf?", (), None, True, False, ""),
]
# fmt: on


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
