"""Opening hours: every office, every day of 2026/2027, against a hand-written reference.

The reference below is transcribed by hand from data/knowledge/offices.yml and the
official NW holiday calendar; it deliberately shares no code with the implementation.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import opening_hours as oh_lib
import pytest
import yaml

from bot.knowledge.opening_hours import (
    GERMAN_WEEKDAYS,
    DayHours,
    OfficeSchedule,
    SpecialHours,
    format_intervals,
    holiday_name,
    validate_expression,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
OFFICES_YML = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "offices.yml"

# --- independent reference ----------------------------------------------------------------


def t(hhmm: str) -> time:
    return time(int(hhmm[:2]), int(hhmm[3:]))


def iv(*spans: str) -> tuple[tuple[time, time], ...]:
    """iv("08:00-12:00", "14:00-18:00") → intervals."""
    return tuple((t(s[:5]), t(s[6:])) for s in spans)


MO, TU, WE, TH, FR, SA, SU = range(7)

# office id → (weekday → intervals, closed on Dec 24 and Dec 31, first-Saturday hours)
REFERENCE: dict[str, tuple[dict[int, tuple[tuple[time, time], ...]], bool, tuple]] = {
    "buergerbuero_mitte": (
        {
            MO: iv("08:00-16:00"),
            TU: iv("08:00-16:00"),
            WE: iv("08:00-13:00"),
            TH: iv("08:00-18:00"),
            FR: iv("08:00-12:00"),
        },
        True,
        iv("09:00-12:00"),
    ),
    "buergerbuero_nord": (
        {
            MO: iv("08:00-12:00"),
            TU: iv("08:00-12:00"),
            WE: iv("08:00-12:00"),
            TH: iv("08:00-12:00", "14:00-18:00"),
            FR: iv("08:00-12:00"),
        },
        True,
        (),
    ),
    "standesamt": (
        {
            MO: iv("08:30-12:00", "13:30-15:30"),
            TU: iv("08:30-12:00", "13:30-15:30"),
            WE: iv("08:30-12:00", "13:30-15:30"),
            TH: iv("08:30-12:00", "13:30-15:30"),
            FR: iv("08:30-12:00"),
        },
        True,
        (),
    ),
    "ordnungsamt": (
        {
            MO: iv("08:00-12:30"),
            TU: iv("08:00-12:30"),
            WE: iv("08:00-12:30"),
            TH: iv("08:00-12:30", "14:00-17:00"),
            FR: iv("08:00-12:30"),
        },
        False,
        (),
    ),
    "kfz_zulassung": (
        {
            MO: iv("07:30-13:00"),
            TU: iv("07:30-13:00"),
            WE: iv("07:30-12:00", "13:00-17:30"),
            TH: iv("07:30-13:00"),
            FR: iv("07:30-12:00"),
        },
        False,
        (),
    ),
    "auslaenderbehoerde": (
        {MO: iv("08:00-12:00"), TU: iv("08:00-12:00"), TH: iv("08:00-12:00", "14:00-17:00")},
        False,
        (),
    ),
    "sozialamt": (
        {
            MO: iv("08:30-12:00"),
            TU: iv("08:30-12:00", "14:00-16:00"),
            WE: iv("08:30-12:00"),
            TH: iv("08:30-12:00"),
            FR: iv("08:30-12:00"),
        },
        False,
        (),
    ),
    "jugendamt": (
        {
            MO: iv("08:30-12:30"),
            TU: iv("08:30-12:30"),
            WE: iv("08:30-12:30"),
            TH: iv("08:30-12:30", "14:00-17:30"),
            FR: iv("08:30-12:30"),
        },
        False,
        (),
    ),
    "bauordnungsamt": (
        {TU: iv("08:30-12:00"), TH: iv("08:30-12:00", "14:00-16:00")},
        False,
        (),
    ),
    "tiefbauamt": (
        {
            MO: iv("08:00-15:30"),
            TU: iv("08:00-15:30"),
            WE: iv("08:00-15:30"),
            TH: iv("08:00-15:30"),
            FR: iv("08:00-12:00"),
        },
        False,
        (),
    ),
    "steueramt": ({d: iv("08:30-12:00") for d in (MO, TU, WE, TH, FR)}, False, ()),
    "gewerbeamt": (
        {
            MO: iv("08:00-12:00"),
            TU: iv("08:00-12:00"),
            TH: iv("08:00-12:00", "14:00-16:00"),
            FR: iv("08:00-12:00"),
        },
        False,
        (),
    ),
    "fundbuero": (
        {
            MO: iv("09:00-12:00"),
            TU: iv("14:00-17:00"),
            WE: iv("09:00-12:00"),
            FR: iv("09:00-12:00"),
        },
        False,
        (),
    ),
    "stadtbibliothek": (
        {
            TU: iv("10:00-19:00"),
            WE: iv("10:00-19:00"),
            TH: iv("10:00-19:00"),
            FR: iv("10:00-19:00"),
            SA: iv("10:00-14:00"),
        },
        False,
        (),
    ),
    "wertstoffhof": (
        {
            **{d: iv("07:00-18:00") for d in (MO, TU, WE, TH, FR)},
            SA: iv("08:00-14:00"),
        },
        False,
        (),
    ),
}

# Public holidays of Nordrhein-Westfalen, written out (not computed).
NW_HOLIDAYS: dict[date, str] = {
    date(2026, 1, 1): "Neujahr",
    date(2026, 4, 3): "Karfreitag",
    date(2026, 4, 6): "Ostermontag",
    date(2026, 5, 1): "Erster Mai",  # Tag der Arbeit
    date(2026, 5, 14): "Christi Himmelfahrt",
    date(2026, 5, 25): "Pfingstmontag",
    date(2026, 6, 4): "Fronleichnam",
    date(2026, 10, 3): "Tag der Deutschen Einheit",
    date(2026, 11, 1): "Allerheiligen",
    date(2026, 12, 25): "Erster Weihnachtstag",
    date(2026, 12, 26): "Zweiter Weihnachtstag",
    date(2027, 1, 1): "Neujahr",
    date(2027, 3, 26): "Karfreitag",
    date(2027, 3, 29): "Ostermontag",
    date(2027, 5, 1): "Erster Mai",
    date(2027, 5, 6): "Christi Himmelfahrt",
    date(2027, 5, 17): "Pfingstmontag",
    date(2027, 5, 27): "Fronleichnam",
    date(2027, 10, 3): "Tag der Deutschen Einheit",
    date(2027, 11, 1): "Allerheiligen",
    date(2027, 12, 25): "Erster Weihnachtstag",
    date(2027, 12, 26): "Zweiter Weihnachtstag",
}


def reference_day(office_id: str, d: date) -> tuple[tuple[tuple[time, time], ...], str | None]:
    """(intervals, closed reason) computed the simple way."""
    weekly, dec_closed, first_saturday = REFERENCE[office_id]
    hours = weekly.get(d.weekday(), ())
    if d.weekday() == SA and d.day <= 7 and first_saturday:
        hours = first_saturday
    if d in NW_HOLIDAYS:
        return (), f"Feiertag ({NW_HOLIDAYS[d]})"
    if dec_closed and (d.month, d.day) in ((12, 24), (12, 31)) and hours:
        return (), "Heiligabend" if d.day == 24 else "Silvester"
    if hours:
        return hours, None
    return (), "Wochenende" if d.weekday() >= SA else "keine Sprechzeiten an diesem Tag"


def load_offices() -> dict[str, str]:
    data = yaml.safe_load(OFFICES_YML.read_text(encoding="utf-8"))
    assert data["state"] == "NW"
    assert data["timezone"] == "Europe/Berlin"
    return {o["id"]: o["opening_hours"] for o in data["offices"]}


OFFICES = load_offices()
ALL_DAYS = [date(2026, 1, 1) + timedelta(days=i) for i in range(730)]


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def schedule(office_id: str, special: tuple[SpecialHours, ...] = ()) -> OfficeSchedule:
    return OfficeSchedule(OFFICES[office_id], state="NW", tz="Europe/Berlin", special=special)


# --- every office, every day ----------------------------------------------------------------


def test_reference_covers_exactly_the_offices_in_the_yml():
    assert set(REFERENCE) == set(OFFICES)
    assert ALL_DAYS[-1] == date(2027, 12, 31)


def test_reference_holiday_list_matches_holiday_name():
    listed = {d: holiday_name(d) for d in ALL_DAYS if holiday_name(d)}
    assert listed == NW_HOLIDAYS


@pytest.mark.parametrize("office_id", sorted(REFERENCE))
def test_every_day_of_2026_and_2027(office_id: str):
    sched = schedule(office_id)
    mismatches = []
    for d in ALL_DAYS:
        got = sched.day(d)
        want = reference_day(office_id, d)
        if (got.intervals, got.closed_reason) != want or got.day != d or got.special_note:
            mismatches.append((d, got, want))
    assert mismatches == []


@pytest.mark.parametrize("office_id", sorted(REFERENCE))
def test_is_open_at_interval_edges_every_day(office_id: str):
    sched = schedule(office_id)
    wrong = []
    for d in ALL_DAYS:
        intervals, _ = reference_day(office_id, d)
        for start, end in intervals:
            s = datetime.combine(d, start, tzinfo=BERLIN)
            e = datetime.combine(d, end, tzinfo=BERLIN)
            checks = {
                s - timedelta(minutes=1): False,
                s: True,
                e - timedelta(minutes=1): True,
                e: False,
            }
            for moment, expected in checks.items():
                if sched.is_open(moment) != expected:
                    wrong.append((moment, expected))
            if sched.open_until(s) != e:
                wrong.append(("open_until", s))
        if not intervals and sched.is_open(datetime.combine(d, time(10), tzinfo=BERLIN)):
            wrong.append((d, "open on a closed day"))
    assert wrong == []


@pytest.mark.parametrize("office_id", sorted(REFERENCE))
def test_next_opening_matches_reference_from_every_evening(office_id: str):
    sched = schedule(office_id)
    starts = [
        datetime.combine(d, s, tzinfo=BERLIN)
        for d in ALL_DAYS
        for s, _ in reference_day(office_id, d)[0]
    ]
    wrong = []
    for d in ALL_DAYS[:-20]:
        evening = datetime.combine(d, time(19, 30), tzinfo=BERLIN)
        expected = next(s for s in starts if s >= evening)
        if sched.next_opening(evening) != expected:
            wrong.append((evening, sched.next_opening(evening), expected))
    assert wrong == []


# --- holidays -------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "name"), sorted(NW_HOLIDAYS.items()))
def test_every_nw_holiday_closes_every_office_with_its_name(day: date, name: str):
    for office_id in OFFICES:
        got = schedule(office_id).day(day)
        assert got == DayHours(day, (), f"Feiertag ({name})", None), office_id
        assert not schedule(office_id).is_open(datetime.combine(day, time(10), tzinfo=BERLIN))


def test_holiday_beats_weekend_reason():
    # Allerheiligen 2026 is a Sunday, Tag der Deutschen Einheit 2026 the first Saturday.
    assert schedule("steueramt").day(date(2026, 11, 1)).closed_reason == "Feiertag (Allerheiligen)"
    mitte = schedule("buergerbuero_mitte").day(date(2026, 10, 3))
    assert mitte.closed_reason == "Feiertag (Tag der Deutschen Einheit)"
    assert mitte.intervals == ()


@pytest.mark.parametrize(
    ("day", "other_state", "name"),
    [
        (date(2026, 11, 18), "SN", "Buß- und Bettag"),
        (date(2027, 11, 17), "SN", "Buß- und Bettag"),
        (date(2026, 1, 6), "BY", "Heilige Drei Könige"),
        (date(2027, 3, 8), "BE", "Internationaler Frauentag"),
    ],
)
def test_holidays_of_other_states_are_working_days_in_nw(day, other_state, name):
    assert holiday_name(day, "NW") is None
    assert holiday_name(day, other_state) == name
    nw = OfficeSchedule(OFFICES["steueramt"], state="NW")
    assert nw.day(day).intervals == iv("08:30-12:00")
    assert nw.is_open(datetime.combine(day, time(9), tzinfo=BERLIN))
    elsewhere = OfficeSchedule(OFFICES["steueramt"], state=other_state)
    assert elsewhere.day(day).closed_reason == f"Feiertag ({name})"


def test_buss_und_bettag_open_in_buergerbuero():
    sched = schedule("buergerbuero_mitte")
    assert sched.day(date(2026, 11, 18)) == DayHours(
        date(2026, 11, 18), iv("08:00-13:00"), None, None
    )
    assert sched.is_open(at(2026, 11, 18, 10))


def test_library_alone_would_get_nw_wrong():
    """Documents why PH is resolved here: the parser knows only nationwide holidays."""
    expr = "Mo-Fr 08:00-12:00; PH off"
    with_country = oh_lib.OpeningHours(expr, country="DE")
    assert with_country.is_open(datetime(2026, 6, 4, 10))  # Fronleichnam: wrongly open
    assert not with_country.is_open(datetime(2026, 4, 6, 10))  # Ostermontag: closed
    without_country = oh_lib.OpeningHours(expr)
    assert without_country.is_open(datetime(2026, 4, 6, 10))  # PH never matches
    assert not schedule("steueramt").is_open(at(2026, 6, 4, 10))


def test_ph_rule_order_is_kept():
    # A later rule overrides PH off, as in the OSM semantics.
    sched = OfficeSchedule("Mo-Fr 08:00-12:00; PH off; Jan 01 10:00-12:00")
    assert sched.day(date(2027, 1, 1)).intervals == iv("10:00-12:00")
    assert sched.day(date(2026, 12, 25)).closed_reason == "Feiertag (Erster Weihnachtstag)"


def test_ph_with_hours():
    sched = OfficeSchedule("Mo-Fr 08:00-12:00; PH 10:00-11:00")
    assert sched.day(date(2026, 6, 4)).intervals == iv("10:00-11:00")  # Fronleichnam
    assert sched.day(date(2026, 11, 1)).intervals == iv("10:00-11:00")  # Sunday holiday
    assert sched.day(date(2026, 6, 5)).intervals == iv("08:00-12:00")


def test_expression_without_ph_stays_open_on_holidays():
    sched = OfficeSchedule("Mo-Fr 08:00-12:00")
    assert sched.day(date(2026, 6, 4)).intervals == iv("08:00-12:00")
    assert sched.day(date(2026, 11, 1)).closed_reason == "Feiertag (Allerheiligen)"


# --- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sunday", "monday_offset_hours", "monday"),
    [
        (date(2026, 3, 29), 2, date(2026, 3, 30)),
        (date(2026, 10, 25), 1, date(2026, 10, 26)),
        (date(2027, 3, 28), 2, date(2027, 3, 30)),  # Easter Sunday: Monday is a holiday
        (date(2027, 10, 31), 1, date(2027, 11, 2)),  # Allerheiligen on Monday
    ],
)
def test_dst_switch_days(sunday: date, monday_offset_hours: int, monday: date):
    sched = schedule("wertstoffhof")
    saturday = sunday - timedelta(days=1)
    # Saturday before the switch: open 08:00-14:00 with the old offset.
    old_offset = 1 if monday_offset_hours == 2 else 2
    sat_10 = datetime(saturday.year, saturday.month, saturday.day, 10, tzinfo=BERLIN)
    assert sat_10.utcoffset() == timedelta(hours=old_offset)
    assert sched.is_open(sat_10)
    assert sched.open_until(sat_10) == datetime.combine(saturday, time(14), tzinfo=BERLIN)
    # Around the switch itself (01:00 UTC) the office is closed.
    switch = datetime(sunday.year, sunday.month, sunday.day, 1, tzinfo=UTC)
    for minutes in (-61, -1, 0, 1, 61):
        assert not sched.is_open(switch + timedelta(minutes=minutes))
    expected = datetime(
        monday.year, monday.month, monday.day, 7 - monday_offset_hours, tzinfo=UTC
    )  # 07:00 local
    for start in (
        sat_10.replace(hour=14),
        switch - timedelta(minutes=30),
        switch + timedelta(minutes=30),
    ):
        nxt = sched.next_opening(start)
        assert nxt == expected
        assert nxt is not None and nxt.astimezone(BERLIN).hour == 7
        assert nxt.utcoffset() == timedelta(hours=monday_offset_hours)


def test_dst_spring_night_interval_lasts_two_real_hours():
    sched = OfficeSchedule("Su 01:00-04:00")
    assert sched.is_open(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 01:30 CET
    assert sched.is_open(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST
    assert not sched.is_open(datetime(2026, 3, 29, 2, 0, tzinfo=UTC))  # 04:00 CEST
    until = sched.open_until(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert until == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


def test_dst_autumn_night_interval_lasts_four_real_hours():
    sched = OfficeSchedule("Su 01:00-04:00")
    assert sched.next_opening(at(2026, 10, 24, 12)) == datetime(2026, 10, 24, 23, tzinfo=UTC)
    for utc_hour in (0, 1, 2):  # 02:00 CEST, 02:00 CET, 03:00 CET
        assert sched.is_open(datetime(2026, 10, 25, utc_hour, 30, tzinfo=UTC))
    assert not sched.is_open(datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    until = sched.open_until(datetime(2026, 10, 24, 23, 30, tzinfo=UTC))
    assert until == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)


def test_opening_in_the_spring_gap_starts_when_the_gap_ends():
    sched = OfficeSchedule("Su 02:30-05:00")
    nxt = sched.next_opening(at(2026, 3, 28, 12))
    assert nxt == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert sched.is_open(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))


def test_naive_datetimes_are_rejected():
    sched = schedule("steueramt")
    with pytest.raises(ValueError, match="aware"):
        sched.is_open(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="aware"):
        sched.next_opening(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="aware"):
        sched.open_until(datetime(2026, 11, 23, 10))


def test_other_time_zones_are_converted():
    sched = schedule("steueramt")
    assert sched.is_open(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))  # 08:30 CET
    assert not sched.is_open(datetime(2026, 11, 23, 7, 29, tzinfo=UTC))
    nxt = sched.next_opening(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    assert nxt == at(2026, 11, 23, 8, 30)
    assert nxt is not None and nxt.tzinfo == BERLIN


# --- split hours, Sa[1], Dec 24/31 ----------------------------------------------------------


def test_split_hours_thursday():
    sched = schedule("buergerbuero_nord")
    thu = (2026, 11, 26)
    assert sched.day(date(*thu)).intervals == iv("08:00-12:00", "14:00-18:00")
    assert sched.is_open(at(*thu, 11, 59))
    assert not sched.is_open(at(*thu, 12, 0))
    assert not sched.is_open(at(*thu, 13, 0))
    assert sched.is_open(at(*thu, 14, 0))
    assert sched.open_until(at(*thu, 11, 0)) == at(*thu, 12, 0)
    assert sched.open_until(at(*thu, 15, 0)) == at(*thu, 18, 0)
    assert sched.open_until(at(*thu, 12, 30)) is None
    assert sched.next_opening(at(*thu, 12, 0)) == at(*thu, 14, 0)
    assert sched.next_opening(at(*thu, 11, 0)) == at(*thu, 14, 0)  # running interval skipped
    assert sched.next_opening(at(*thu, 18, 0)) == at(2026, 11, 27, 8, 0)
    assert sched.next_opening(at(*thu, 14, 0)) == at(*thu, 14, 0)


@pytest.mark.parametrize(
    ("day", "intervals", "reason"),
    [
        (date(2026, 11, 7), iv("09:00-12:00"), None),
        (date(2026, 12, 5), iv("09:00-12:00"), None),
        (date(2027, 1, 2), iv("09:00-12:00"), None),
        (date(2026, 11, 14), (), "Wochenende"),
        (date(2026, 11, 28), (), "Wochenende"),
        (date(2026, 12, 12), (), "Wochenende"),
        (date(2026, 10, 3), (), "Feiertag (Tag der Deutschen Einheit)"),
        (date(2027, 5, 1), (), "Feiertag (Erster Mai)"),
        (date(2026, 11, 8), (), "Wochenende"),
    ],
)
def test_first_saturday(day: date, intervals, reason):
    assert schedule("buergerbuero_mitte").day(day) == DayHours(day, intervals, reason, None)


@pytest.mark.parametrize(
    ("office_id", "day", "intervals", "reason"),
    [
        ("buergerbuero_mitte", date(2026, 12, 24), (), "Heiligabend"),
        ("buergerbuero_mitte", date(2026, 12, 31), (), "Silvester"),
        ("buergerbuero_nord", date(2027, 12, 24), (), "Heiligabend"),
        ("standesamt", date(2027, 12, 31), (), "Silvester"),
        ("ordnungsamt", date(2026, 12, 24), iv("08:00-12:30", "14:00-17:00"), None),
        ("steueramt", date(2027, 12, 31), iv("08:30-12:00"), None),
        ("buergerbuero_mitte", date(2026, 12, 23), iv("08:00-13:00"), None),
    ],
)
def test_dec_24_and_31(office_id, day, intervals, reason):
    assert schedule(office_id).day(day) == DayHours(day, intervals, reason, None)


def test_rule_comment_becomes_the_reason():
    sched = OfficeSchedule('Mo-Fr 08:00-12:00; Aug 01-14 off "Betriebsferien"; Sep off')
    assert sched.day(date(2026, 8, 3)).closed_reason == "Betriebsferien"
    assert sched.day(date(2026, 9, 1)).closed_reason == "Schließtag"
    assert sched.day(date(2026, 9, 5)).closed_reason == "Wochenende"
    assert sched.day(date(2026, 8, 17)).intervals == iv("08:00-12:00")


# --- next opening across holidays -----------------------------------------------------------


@pytest.mark.parametrize(
    ("office_id", "after", "expected"),
    [
        # Thursday evening before Karfreitag + Ostermontag 2026
        ("buergerbuero_nord", at(2026, 4, 2, 18, 30), at(2026, 4, 7, 8)),
        # ... but the first Saturday of April is open in the Bürgerbüro Mitte
        ("buergerbuero_mitte", at(2026, 4, 2, 18, 30), at(2026, 4, 4, 9)),
        ("buergerbuero_mitte", at(2026, 4, 4, 12), at(2026, 4, 7, 8)),
        # Friday evening before Pfingstmontag 2026 and 2027
        ("steueramt", at(2026, 5, 22, 18), at(2026, 5, 26, 8, 30)),
        ("steueramt", at(2027, 5, 14, 18), at(2027, 5, 18, 8, 30)),
        # Friday before Ostermontag 2027 is Karfreitag; from Thursday evening
        ("wertstoffhof", at(2027, 3, 25, 19), at(2027, 3, 27, 8)),
        ("bauordnungsamt", at(2027, 3, 25, 19), at(2027, 3, 30, 8, 30)),
        # Christmas: Dec 24 closed, 25/26 holidays; Dec 31 closed, Jan 1 holiday
        ("buergerbuero_mitte", at(2026, 12, 23, 14), at(2026, 12, 28, 8)),
        ("buergerbuero_mitte", at(2026, 12, 30, 14), at(2027, 1, 2, 9)),
        ("buergerbuero_nord", at(2026, 12, 30, 14), at(2027, 1, 4, 8)),
    ],
)
def test_next_opening_skips_holidays(office_id, after, expected):
    nxt = schedule(office_id).next_opening(after)
    assert nxt == expected
    assert nxt is not None and nxt.tzinfo == BERLIN


def test_next_opening_horizon():
    sched = OfficeSchedule("Jan 05 08:00-09:00")
    assert sched.next_opening(at(2026, 11, 23), horizon_days=30) is None
    assert sched.next_opening(at(2026, 11, 23), horizon_days=60) == at(2027, 1, 5, 8)


def test_overnight_and_until_midnight():
    sched = OfficeSchedule("Fr 20:00-24:00; Sa 00:00-02:00")
    fri = sched.day(date(2026, 11, 27))
    assert fri.intervals == ((time(20), time.max),)
    assert format_intervals(fri.intervals) == "20:00–24:00"
    assert sched.open_until(at(2026, 11, 27, 23)) == at(2026, 11, 28, 2)
    assert sched.is_open(at(2026, 11, 28, 1, 59))
    # The Saturday part continues Friday's interval: not a new opening.
    assert sched.next_opening(at(2026, 11, 27, 21)) == at(2026, 12, 4, 20)


# --- special hours --------------------------------------------------------------------------

CLOSURE = SpecialHours(
    "standesamt", date(2026, 12, 9), date(2026, 12, 9), None, "Personalversammlung"
)
EXTENSION = SpecialHours(
    "buergerbuero_mitte",
    date(2027, 3, 8),
    date(2027, 3, 12),
    iv("08:00-18:00"),
    "verlängerte Öffnungszeiten vor der Kommunalwahl",
)


def test_special_closure():
    sched = schedule("standesamt", (CLOSURE,))
    day = sched.day(date(2026, 12, 9))
    assert day == DayHours(
        date(2026, 12, 9), (), "Sonderschließung: Personalversammlung", "Personalversammlung"
    )
    assert not sched.is_open(at(2026, 12, 9, 10))
    assert sched.next_opening(at(2026, 12, 9, 7)) == at(2026, 12, 10, 8, 30)
    assert sched.day(date(2026, 12, 8)).intervals == iv("08:30-12:00", "13:30-15:30")
    assert sched.day(date(2026, 12, 10)).special_note is None


def test_special_closure_note_already_saying_so_is_not_doubled():
    closure = SpecialHours("x", date(2026, 12, 9), date(2026, 12, 10), None, "Sonderschließung IT")
    sched = OfficeSchedule(OFFICES["steueramt"], special=[closure])
    assert sched.day(date(2026, 12, 10)).closed_reason == "Sonderschließung IT"


def test_special_extension():
    sched = schedule("buergerbuero_mitte", (EXTENSION,))
    for offset in range(5):
        d = date(2027, 3, 8) + timedelta(days=offset)
        assert sched.day(d) == DayHours(d, iv("08:00-18:00"), None, EXTENSION.note)
    assert sched.is_open(at(2027, 3, 12, 17, 59))  # a Friday, normally closed at 12:00
    assert sched.open_until(at(2027, 3, 12, 11)) == at(2027, 3, 12, 18)
    assert sched.day(date(2027, 3, 13)).closed_reason == "Wochenende"
    assert sched.day(date(2027, 3, 15)).intervals == iv("08:00-16:00")


def test_special_hours_override_holidays_and_last_entry_wins():
    election = SpecialHours("x", date(2026, 5, 25), date(2026, 5, 25), iv("10:00-12:00"), "Wahl")
    later = SpecialHours("x", date(2026, 5, 25), date(2026, 5, 25), iv("09:00-13:00"), "Wahl 2")
    sched = OfficeSchedule(OFFICES["steueramt"], special=[election, later])
    assert sched.day(date(2026, 5, 25)) == DayHours(
        date(2026, 5, 25), iv("09:00-13:00"), None, "Wahl 2"
    )


def test_special_hours_filtered_by_office_id():
    sched = OfficeSchedule(
        OFFICES["standesamt"], special=[CLOSURE, EXTENSION], office_id="standesamt"
    )
    assert sched.day(date(2027, 3, 12)).special_note is None
    assert sched.day(date(2026, 12, 9)).closed_reason == "Sonderschließung: Personalversammlung"


def test_special_hours_validation():
    with pytest.raises(ValueError, match="end is before start"):
        SpecialHours("x", date(2026, 12, 9), date(2026, 12, 8), None, "x")
    with pytest.raises(ValueError, match="empty interval"):
        SpecialHours("x", date(2026, 12, 9), date(2026, 12, 9), iv("12:00-08:00"), "x")


def test_week():
    sched = schedule("standesamt", (CLOSURE,))
    week = sched.week(date(2026, 12, 7))
    assert [d.day for d in week] == [date(2026, 12, 7) + timedelta(days=i) for i in range(7)]
    assert [bool(d.intervals) for d in week] == [True, True, False, True, True, False, False]
    assert [d.closed_reason for d in week[2::2]] == [
        "Sonderschließung: Personalversammlung",
        None,
        "Wochenende",
    ]
    assert len(sched.week(date(2026, 12, 7), days=3)) == 3


# --- validation, formatting, caching --------------------------------------------------------


@pytest.mark.parametrize("office_id", sorted(REFERENCE))
def test_shipped_expressions_are_valid(office_id):
    assert validate_expression(OFFICES[office_id]) is None


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("Mo 8-12", "syntax error at character 4"),
        ("Mo-Fr 25:00-26:00", "syntax error"),
        ("Mo-Fr 08:00-12:00;", "syntax error"),
        ("Öffnungszeiten nach Vereinbarung", "invalid opening_hours expression"),
        ("", "empty"),
        ("   ", "empty"),
        ("Mo-Fr 08:00-12:00; SH off", "school holidays (SH) are not supported"),
        ("Sa,PH 10:00-12:00", "public holidays must be a rule of their own"),
        ("Mo-Fr 08:00-12:00; PH -1 day off", "public holidays must be a rule of their own"),
        ("Mo-Fr 08:00-12:00, PH off", "public holidays must be a rule of their own"),
    ],
)
def test_invalid_expressions(expression, fragment):
    message = validate_expression(expression)
    assert message is not None and fragment in message
    assert "\n" not in message
    with pytest.raises(ValueError, match="opening_hours expression"):
        OfficeSchedule(expression)


def test_ph_inside_a_comment_is_not_a_holiday_rule():
    assert validate_expression('Mo-Fr 08:00-12:00 "PH sind geschlossen"; PH off') is None


def test_invalid_state_and_time_zone():
    with pytest.raises(ValueError, match="unknown German state"):
        OfficeSchedule("Mo-Fr 08:00-12:00", state="XX")
    with pytest.raises(ValueError, match="unknown time zone"):
        OfficeSchedule("Mo-Fr 08:00-12:00", tz="Europe/Musterstadt")
    with pytest.raises(ValueError, match="unknown German state"):
        holiday_name(date(2026, 1, 1), "XX")


def test_expressions_are_parsed_once(monkeypatch):
    calls: list[str] = []
    real = oh_lib.OpeningHours

    def counting(expression, *args, **kwargs):
        calls.append(expression)
        return real(expression, *args, **kwargs)

    monkeypatch.setattr(oh_lib, "OpeningHours", counting)
    expression = "Mo-Th 07:45-11:45; PH off"  # used by no other test
    for _ in range(3):
        sched = OfficeSchedule(expression)
        for d in ALL_DAYS[:60]:
            sched.day(d)
            sched.is_open(datetime.combine(d, time(9), tzinfo=BERLIN))
    assert calls.count(expression) == 1
    assert len(calls) <= 3  # + the expression without its off rules + one holiday variant


@pytest.mark.parametrize(
    ("intervals", "text"),
    [
        ((), ""),
        (iv("08:00-12:00"), "08:00–12:00"),
        (iv("08:00-12:00", "14:00-18:00"), "08:00–12:00 und 14:00–18:00"),
        (
            iv("08:00-10:00", "11:00-12:00", "14:00-18:00"),
            "08:00–10:00, 11:00–12:00 und 14:00–18:00",
        ),
        (((time(8, 5), time(9, 30)),), "08:05–09:30"),
    ],
)
def test_format_intervals(intervals, text):
    assert format_intervals(intervals) == text


def test_german_weekdays():
    week = "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag"
    assert isinstance(GERMAN_WEEKDAYS, tuple) and " ".join(GERMAN_WEEKDAYS) == week
    assert GERMAN_WEEKDAYS[date(2026, 11, 26).weekday()] == "Donnerstag"
