"""Exact, holiday-aware opening hours of the city's offices.

Offices describe their regular hours as OpenStreetMap ``opening_hours`` expressions
(https://wiki.openstreetmap.org/wiki/Key:opening_hours), evaluated with the maintained
parser ``opening_hours`` (PyPI: opening-hours-py). Three things are added on top:

- **Public holidays of the state.** The parser only knows nationwide holidays (with
  ``country="DE"`` it keeps Fronleichnam open in NW). It is therefore always used *without*
  a country, so its ``PH`` selector never matches, and ``PH`` is resolved here: on a state
  holiday the rule's ``PH`` is replaced by that day's date (``PH off`` → ``Jun 04 off``)
  and the expression is evaluated again. Rule order is kept, so the OSM semantics ("later
  rules override earlier ones") still hold, and ``PH 10:00-12:00`` works as well.
  Holidays come from ``holidays.country_holidays("DE", subdiv=state, language="de")``.
- **Ad-hoc exceptions** (:class:`SpecialHours`): closures and extended hours that override
  the regular schedule, with a note for citizens.
- **Local time.** Expressions are wall-clock times in the office's time zone; instants are
  computed with :mod:`zoneinfo`, so answers stay correct across DST switches.

Nothing here reads the clock: every function takes the moment or the date explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import opening_hours

__all__ = [
    "GERMAN_WEEKDAYS",
    "DayHours",
    "OfficeSchedule",
    "SpecialHours",
    "format_intervals",
    "holiday_name",
    "state_holidays",
    "validate_expression",
]

GERMAN_WEEKDAYS = (
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
)

# User-visible reasons (German).
REASON_WEEKEND = "Wochenende"
REASON_NO_HOURS = "keine Sprechzeiten an diesem Tag"
REASON_CLOSING_DAY = "Schließtag"
REASON_SPECIAL_CLOSURE = "Sonderschließung"

# Days that are not public holidays but that expressions often close ("Dec 24,Dec 31 off").
NAMED_DAYS: dict[tuple[int, int], str] = {(12, 24): "Heiligabend", (12, 31): "Silvester"}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_END_OF_DAY = time.max  # an interval that runs until midnight ("…-24:00")
_UTC = timezone.utc

Intervals = tuple[tuple[time, time], ...]


# --- data types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialHours:
    """An ad-hoc change of one office's hours (closure or extension), dates inclusive.

    Attributes:
        office_id: Id of the office in ``offices.yml``.
        start: First day the change applies.
        end: Last day the change applies (inclusive).
        hours: The opening intervals on those days; ``None`` (or empty) = closed all day.
        note: Text for citizens, e.g. "Personalversammlung".
    """

    office_id: str
    start: date
    end: date
    hours: Intervals | None
    note: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"special hours for {self.office_id}: end is before start")
        for a, b in self.hours or ():
            if not a < b:
                raise ValueError(f"special hours for {self.office_id}: empty interval {a}-{b}")

    def applies(self, d: date) -> bool:
        """Whether the change covers day ``d``."""
        return self.start <= d <= self.end


@dataclass(frozen=True)
class DayHours:
    """The hours of one office on one day.

    Attributes:
        day: The date.
        intervals: Opening intervals in local wall time, sorted; empty when closed. An
            interval ending at midnight has the end ``time.max``.
        closed_reason: ``None`` when open, else a German reason such as
            "Feiertag (Fronleichnam)", "Wochenende", "keine Sprechzeiten an diesem Tag",
            "Heiligabend" or "Sonderschließung: Personalversammlung".
        special_note: The note of an applying :class:`SpecialHours` (closure or extension).
    """

    day: date
    intervals: Intervals
    closed_reason: str | None
    special_note: str | None

    @property
    def is_open_day(self) -> bool:
        """Whether the office opens at all on this day."""
        return bool(self.intervals)


# --- holidays -------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def state_holidays(state: str = "NW") -> holidays.HolidayBase:
    """The public holidays of a German state, with German names (years load lazily).

    Raises:
        ValueError: ``state`` is not a German state code.
    """
    try:
        return holidays.country_holidays("DE", subdiv=state, language="de")
    except NotImplementedError as exc:
        raise ValueError(f"unknown German state {state!r}") from exc


def holiday_name(d: date, state: str = "NW") -> str | None:
    """The German name of the public holiday on ``d`` in ``state``, or ``None``."""
    name = state_holidays(state).get(d)
    return str(name) if name else None


# --- expressions ----------------------------------------------------------------------------

_PH_TOKEN = re.compile(r"(?<![A-Za-z])PH(?![A-Za-z])")
_SH_TOKEN = re.compile(r"(?<![A-Za-z])SH(?![A-Za-z])")
_PH_RULE = re.compile(r"^(?P<lead>\s*)PH(?P<rest>(\s.*)?)$", re.DOTALL)
_OFF_RULE = re.compile(r'(^|\s)(off|closed)\s*("[^"]*")?\s*$')
_ERROR_POS = re.compile(r"-->\s*(\d+):(\d+)")
_ERROR_EXPECTED = re.compile(r"^\s*=\s*(.+)$", re.MULTILINE)


def _split_rules(expression: str) -> list[str]:
    """Splits at ``;`` outside of quoted comments (the separators are dropped)."""
    rules: list[str] = []
    current: list[str] = []
    quoted = False
    for char in expression:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            rules.append("".join(current))
            current = []
        else:
            current.append(char)
    rules.append("".join(current))
    return rules


def _unquoted(rule: str) -> str:
    """The rule with quoted comments blanked out (for token searches)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), rule)


def _parser_message(exc: Exception) -> str:
    text = str(exc)
    pos = _ERROR_POS.search(text)
    expected = _ERROR_EXPECTED.search(text)
    where = f" at character {pos.group(2)}" if pos else ""
    what = expected.group(1).strip() if expected else text.splitlines()[0]
    return f"syntax error{where}: {what}"


@dataclass(frozen=True)
class _Compiled:
    """A parsed expression, plus what is needed to resolve ``PH`` and reasons."""

    expression: str
    regular: opening_hours.OpeningHours
    ph_rules: tuple[int, ...]  # indexes of rules whose selector is exactly ``PH``
    rules: tuple[str, ...]
    open_only: opening_hours.OpeningHours | None  # without off/closed rules; None = no hours


def _parse(expression: str) -> opening_hours.OpeningHours:
    # No country and no timezone: PH never matches inside the parser, times are wall times.
    return opening_hours.OpeningHours(expression)


@lru_cache(maxsize=256)
def _compile(expression: str) -> _Compiled:
    """Parses and checks an expression once (cached).

    Raises:
        ValueError: the expression is invalid or uses holiday syntax this module cannot
            evaluate correctly for a state (``SH``, ``PH`` combined with other selectors
            or with offsets).
    """
    if not expression.strip():
        raise ValueError("invalid opening_hours expression: it is empty")
    try:
        regular = _parse(expression)
    except Exception as exc:  # the parser raises its own ParserError
        raise ValueError(
            f"invalid opening_hours expression {expression!r}: {_parser_message(exc)}"
        ) from exc
    rules = _split_rules(expression)
    ph_rules = []
    for i, rule in enumerate(rules):
        plain = _unquoted(rule)
        if _SH_TOKEN.search(plain):
            raise ValueError(
                f"unsupported opening_hours expression {expression!r}: school holidays (SH) "
                "are not supported"
            )
        if not _PH_TOKEN.search(plain):
            continue
        match = _PH_RULE.match(plain)
        rest = match.group("rest").strip() if match else ""
        if match is None or _PH_TOKEN.search(rest) or rest[:1] in ("+", "-", ",") or "||" in rest:
            raise ValueError(
                f"unsupported opening_hours expression {expression!r}: public holidays must "
                f"be a rule of their own, like 'PH off' or 'PH 10:00-12:00' (rule {rule.strip()!r})"
            )
        ph_rules.append(i)
    kept = [
        r
        for i, r in enumerate(rules)
        if i not in ph_rules and not _OFF_RULE.search(_unquoted(r)) and "||" not in r
    ]
    try:
        open_only = _parse(";".join(kept)) if kept else None
    except Exception:  # pragma: no cover - removing whole rules keeps the syntax valid
        open_only = None
    return _Compiled(expression, regular, tuple(ph_rules), tuple(rules), open_only)


@lru_cache(maxsize=1024)
def _holiday_variant(expression: str, month: int, day: int) -> opening_hours.OpeningHours:
    """The expression with each ``PH`` rule applying to exactly this month and day."""
    compiled = _compile(expression)
    selector = f"{_MONTHS[month - 1]} {day:02d}"
    rules = list(compiled.rules)
    for i in compiled.ph_rules:
        rules[i] = _PH_TOKEN.sub(selector, rules[i], count=1)
    return _parse(";".join(rules))


def validate_expression(expression: str) -> str | None:
    """Checks an opening_hours expression (``make validate``).

    Returns:
        ``None`` if the expression can be evaluated, else an English error message.
    """
    try:
        _compile(expression)
    except ValueError as exc:
        return str(exc)
    return None


# --- evaluation of one day --------------------------------------------------------------------


def _evaluate(oh: opening_hours.OpeningHours, d: date) -> tuple[Intervals, str]:
    """Open intervals of day ``d`` and the comment of a closed rule (may be empty)."""
    start = datetime.combine(d, time(0))
    end = start + timedelta(days=1)
    out: list[tuple[time, time]] = []
    comment = ""
    for a, b, state, note in oh.intervals(start, end):
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        if state == opening_hours.State.OPEN:
            t_end = _END_OF_DAY if b >= end else b.time()
            if out and out[-1][1] == a.time():
                out[-1] = (out[-1][0], t_end)
            else:
                out.append((a.time(), t_end))
        elif note and not comment:
            comment = str(note)
    return tuple(out), comment


@lru_cache(maxsize=16384)
def _regular_day(expression: str, state: str, d: date) -> DayHours:
    """The day as the expression and the state's holidays define it (no special hours)."""
    compiled = _compile(expression)
    holiday = holiday_name(d, state)
    if holiday and compiled.ph_rules:
        oh = _holiday_variant(expression, d.month, d.day)
    else:
        oh = compiled.regular
    intervals, comment = _evaluate(oh, d)
    if intervals:
        return DayHours(d, intervals, None, None)
    return DayHours(d, (), _closed_reason(compiled, d, holiday, comment), None)


def _closed_reason(compiled: _Compiled, d: date, holiday: str | None, comment: str) -> str:
    """Why a day without hours is closed; holidays beat everything else."""
    if holiday:
        return f"Feiertag ({holiday})"
    if comment:
        return comment
    by_rule = compiled.open_only is not None and bool(_evaluate(compiled.open_only, d)[0])
    if by_rule and (d.month, d.day) in NAMED_DAYS:
        return NAMED_DAYS[(d.month, d.day)]
    if d.weekday() >= 5:
        return REASON_WEEKEND
    return REASON_CLOSING_DAY if by_rule else REASON_NO_HOURS


# --- public API -----------------------------------------------------------------------------


class OfficeSchedule:
    """The opening hours of one office: expression, state holidays, special hours.

    Args:
        expression: OSM opening_hours expression in local wall time.
        state: German state code for public holidays (``PH``), e.g. "NW".
        tz: IANA time zone of the office.
        special: Ad-hoc changes; on days they cover they replace the regular schedule. If
            several cover the same day, the last one wins.
        office_id: If given, only ``special`` entries of this office are used.

    Raises:
        ValueError: invalid expression, state or time zone.
    """

    def __init__(
        self,
        expression: str,
        *,
        state: str = "NW",
        tz: str = "Europe/Berlin",
        special: Sequence[SpecialHours] = (),
        office_id: str | None = None,
    ) -> None:
        _compile(expression)
        state_holidays(state)
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        self.expression = expression
        self.state = state
        self.special = tuple(s for s in special if office_id is None or s.office_id == office_id)

    def __repr__(self) -> str:
        return f"OfficeSchedule({self.expression!r}, state={self.state!r}, tz={self.tz.key!r})"

    def day(self, d: date) -> DayHours:
        """The hours on day ``d`` with the reason when closed."""
        entry = None
        for s in self.special:
            if s.applies(d):
                entry = s
        if entry is None:
            return _regular_day(self.expression, self.state, d)
        if entry.hours:
            return DayHours(d, tuple(sorted(entry.hours)), None, entry.note)
        reason = entry.note
        if not reason.lower().startswith(REASON_SPECIAL_CLOSURE.lower()):
            reason = f"{REASON_SPECIAL_CLOSURE}: {reason}"
        return DayHours(d, (), reason, entry.note)

    def week(self, start: date, days: int = 7) -> list[DayHours]:
        """``days`` consecutive days from ``start`` (inclusive)."""
        return [self.day(start + timedelta(days=i)) for i in range(days)]

    def is_open(self, at: datetime) -> bool:
        """Whether the office is open at the aware moment ``at``.

        Raises:
            ValueError: ``at`` is naive.
        """
        return self._interval_at(at) is not None

    def open_until(self, at: datetime) -> datetime | None:
        """When the current opening interval ends (aware, office time zone), or ``None``.

        Intervals that run until midnight and continue the next day are joined.

        Raises:
            ValueError: ``at`` is naive.
        """
        found = self._interval_at(at)
        if found is None:
            return None
        d, (_, end) = found
        for _ in range(366):
            if end != _END_OF_DAY:
                return self._instant(d, end)
            d += timedelta(days=1)
            following = self.day(d).intervals
            if not following or following[0][0] != time(0):
                return self._instant(d, time(0))
            end = following[0][1]
        return self._instant(d, time(0))  # pragma: no cover - open all year round

    def next_opening(self, after: datetime, horizon_days: int = 60) -> datetime | None:
        """The start of the next opening interval at or after ``after``.

        An interval already running at ``after`` does not count. Searches the local day of
        ``after`` and the following ``horizon_days`` days.

        Returns:
            The aware moment (office time zone), or ``None`` if there is none in the horizon.

        Raises:
            ValueError: ``after`` is naive.
        """
        local = self._local(after)
        d = local.date()
        previous_until_midnight = bool(self.day(d - timedelta(days=1)).intervals) and (
            self.day(d - timedelta(days=1)).intervals[-1][1] == _END_OF_DAY
        )
        for _ in range(horizon_days + 1):
            intervals = self.day(d).intervals
            for i, (start, _end) in enumerate(intervals):
                continuation = i == 0 and start == time(0) and previous_until_midnight
                if continuation:
                    continue
                moment = self._instant(d, start)
                if moment >= local:
                    return moment
            previous_until_midnight = bool(intervals) and intervals[-1][1] == _END_OF_DAY
            d += timedelta(days=1)
        return None

    # --- helpers --------------------------------------------------------------------------

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("a time zone-aware datetime is required")
        return at.astimezone(self.tz)

    def _instant(self, d: date, t: time) -> datetime:
        """The first moment on day ``d`` at which the wall clock shows ``t`` or later.

        Ambiguous wall times (autumn) give the first occurrence; wall times in the spring
        gap give the end of the gap (03:00 CEST for 02:30).
        """
        if t == _END_OF_DAY:
            return self._instant(d + timedelta(days=1), time(0))
        wall = datetime.combine(d, t)
        for _ in range(24 * 60):
            candidate = wall.replace(tzinfo=self.tz, fold=0)
            normalized = candidate.astimezone(_UTC).astimezone(self.tz)
            if normalized.replace(tzinfo=None) == wall:
                return normalized
            wall = (wall + timedelta(minutes=1)).replace(second=0, microsecond=0)
        raise AssertionError("unreachable: no time zone gap lasts a day")  # pragma: no cover

    def _interval_at(self, at: datetime) -> tuple[date, tuple[time, time]] | None:
        local = self._local(at)
        d = local.date()
        for interval in self.day(d).intervals:
            if self._instant(d, interval[0]) <= local < self._instant(d, interval[1]):
                return d, interval
        return None


def _fmt(t: time) -> str:
    return "24:00" if t == _END_OF_DAY else f"{t:%H:%M}"


def format_intervals(intervals: Iterable[tuple[time, time]]) -> str:
    """German listing of intervals: "08:00–12:00 und 14:00–18:00" (en dash).

    Returns:
        The text; empty for no intervals.
    """
    parts = [f"{_fmt(a)}–{_fmt(b)}" for a, b in intervals]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " und " + parts[-1]
