"""German free-text weekday hours (as in DLDB exports) → OSM ``opening_hours`` plus a note.

Service directories keep hours as text per weekday: "7.30 - 15.00 nur mit Termin",
"08:00 - 12:00 Uhr (nur mit Termin) und 13:00 - 18:00 Uhr", "jeden 2. und 4. Samstag
09:00 - 13:00", "keine Sprechzeit", "nach Vereinbarung", HTML line breaks. This module
converts what it understands *with certainty* and refuses everything else:

- A day is understood when, after removing HTML and normalising dashes and time
  separators, every part is an interval (``H[:.]MM - H[:.]MM [Uhr]``) with an optional
  qualifier from a closed list (appointment only, walk-in, telephone), a closed-day phrase
  ("geschlossen", "keine Sprechzeit"), "nach Vereinbarung", or a monthly weekday
  ("jeden 2. und 4. Samstag 09:00 - 13:00").
- An office's hours are converted only when *every* day is understood; otherwise none of
  them is, and the whole text is kept verbatim for the answer "laut Angabe des Amts: …".
  A partly converted week would tell citizens that a day is closed when the data only
  says something the converter did not understand.

Telephone hours do not open the office: they go into the note. The output expression is
checked with the ``opening_hours`` parser (opening-hours-py) before it is returned.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.knowledge.opening_hours import GERMAN_WEEKDAYS, validate_expression

# DLDB field names, OSM abbreviations, German names (for notes and verbatim text).
WEEKDAYS: tuple[tuple[str, str, str], ...] = tuple(
    zip(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"),
        GERMAN_WEEKDAYS,
        strict=True,
    )
)
_GERMAN_DAY = {german.lower(): osm for _, osm, german in WEEKDAYS}

CONVERTED = "converted"
TEXT = "text"
EMPTY = "empty"

# Values that mean "nothing entered" in exports.
_EMPTY_VALUES = frozenset({"", "false", "null", "none", "-", "–", "—"})
_CLOSED = re.compile(
    r"^(geschlossen|keine( (sprechzeit(en)?|sprechstunde(n)?|öffnungszeit(en)?|"
    r"publikumsverkehr|besuchszeit(en)?))?|kein publikumsverkehr|nicht besetzt)\.?$"
)
_BY_ARRANGEMENT = re.compile(
    r"^(und |sowie |oder )?(nur |termine )?(nach|auf) (telefonischer |vorheriger )?"
    r"(vereinbarung|absprache|terminvereinbarung)\.?$"
)
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_INTERVAL = re.compile(rf"^(?:von\s+)?{_TIME}\s*(?:uhr)?\s*-\s*{_TIME}\s*(?:uhr)?\s*(?P<rest>.*)$")
_NTH = re.compile(
    r"^(?:jeden|jeder|am)\s+(?P<nths>[1-5]\.(?:\+[1-5]\.)*)\s+"
    r"(?P<day>[a-zäöü]+)(?:\s+im\s+monat)?\s*:?\s*(?P<rest>.+)$"
)

# Qualifiers after an interval, normalised (lower case, no brackets, no leading dash).
APPOINTMENT_ONLY = frozenset(
    {
        "nur mit termin",
        "nur nach termin",
        "nur mit terminvereinbarung",
        "nur nach terminvereinbarung",
        "nur nach vorheriger terminvereinbarung",
        "nur mit vorheriger terminvereinbarung",
        "nur nach vorheriger vereinbarung",
        "nur für terminkunden",
        "für terminkunden",
        "nur terminkunden",
        "terminkunden",
        "mit termin",
        "kunden mit vereinbartem termin",
        "nur kunden mit termin",
        "terminsprechstunde",
        "nur mit online-termin",
    }
)
WALK_IN = frozenset(
    {
        "",
        "ohne termin",
        "mit_und_ohne termin",
        "kunden ohne termin",
        "offene sprechstunde",
        "auch ohne termin",
        "sprechstunde",
        "sprechzeit",
        "öffnungszeit",
    }
)
TELEPHONE = frozenset(
    {
        "telefonisch",
        "telefonische sprechzeit",
        "telefonische sprechzeiten",
        "telefonische erreichbarkeit",
        "telefonsprechzeit",
        "telefonsprechstunde",
        "nur telefonisch",
        "telefonische beratung",
    }
)
_JOINERS = re.compile(r"\s*(?:\n|;|,|\s+und\s+|\s+sowie\s+|\s+u\.\s+)\s*")


@dataclass(frozen=True)
class Interval:
    """One opening interval of a day, in minutes since midnight, with its kind."""

    start: int
    end: int
    kind: str  # "open" | "appointment" | "telephone"
    nth: tuple[int, ...] = ()  # monthly weekday (Sa[2,4]); empty: every week

    def osm(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"

    def german(self) -> str:
        return f"{_hhmm(self.start)}–{_hhmm(self.end)} Uhr"


@dataclass(frozen=True)
class DayText:
    """What one weekday's text says, or ``None`` in ``intervals`` when not understood."""

    intervals: tuple[Interval, ...] | None
    by_arrangement: bool = False
    closed: bool = False  # an explicit closed-day phrase ("keine Sprechzeit")


@dataclass(frozen=True)
class HoursResult:
    """The conversion of one office's week.

    Attributes:
        status: ``converted`` (``expression`` set), ``text`` (``verbatim`` set: shown as
            "laut Angabe des Amts: …") or ``empty`` (no hours in the data).
        expression: OSM opening_hours, validated with the parser; ``None`` unless converted.
        note: German note for citizens (appointment only, telephone hours, by arrangement).
        verbatim: The original text, cleaned of HTML, one line per weekday.
        appointment_only: Every opening interval requires an appointment.
    """

    status: str
    expression: str | None = None
    note: str | None = None
    verbatim: str | None = None
    appointment_only: bool = False
    problems: tuple[str, ...] = field(default=())


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clean(text: str | None) -> str:
    """The text without HTML tags and entities, line breaks kept, spaces collapsed."""
    if text is None:
        return ""
    s = str(text)
    s = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", s)
    s = re.sub(r"<[^>]+>", "", s)
    s = html.unescape(s).replace("\r", "\n").replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in s.split("\n")]
    return "\n".join(line for line in lines if line)


def _normalise(text: str) -> str:
    s = clean(text).lower()
    s = re.sub(r"[–—‒−]", "-", s)  # en dash, em dash, minus
    s = re.sub(r"(\d)\s*uhr\s*bis\s*(\d)", r"\1 - \2", s)
    s = re.sub(r"(\d)\s+bis\s+(\d)", r"\1 - \2", s)
    s = re.sub(r"(\d|uhr)\s*-\s*(\d)", r"\1 - \2", s)
    s = s.replace("mit und ohne termin", "mit_und_ohne termin")
    # "jeden 2. und 4. samstag": keep the ordinals together before parts are split.
    s = re.sub(r"(\d)\.\s*(?:und|u\.|,)\s*(?=\d\.)", r"\1.+", s)
    return s.strip()


def _qualifier(rest: str) -> str | None:
    """The interval kind for the text after it, or ``None`` when not understood."""
    q = rest.strip()
    q = re.sub(r"^[-:]\s*", "", q)
    if q.startswith("(") and q.endswith(")"):
        q = q[1:-1].strip()
    q = q.rstrip(".").strip()
    if q in WALK_IN:
        return "open"
    if q in APPOINTMENT_ONLY:
        return "appointment"
    if q in TELEPHONE:
        return "telephone"
    return None


def _minutes(h: str, m: str | None) -> int | None:
    hours, minutes = int(h), int(m or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _interval(part: str, osm_day: str, nth: tuple[int, ...] = ()) -> Interval | None:
    nth_match = _NTH.match(part)
    if nth_match and not nth:
        if _GERMAN_DAY.get(nth_match.group("day")) != osm_day:
            return None  # "jeden 2. Samstag" in the Monday field: not certain
        numbers = tuple(sorted({int(n) for n in re.findall(r"[1-5]", nth_match.group("nths"))}))
        return _interval(nth_match.group("rest"), osm_day, numbers)
    m = _INTERVAL.match(part)
    if not m:
        return None
    a, b = _minutes(m.group(1), m.group(2)), _minutes(m.group(3), m.group(4))
    # "9 - 12" without "Uhr" and without minutes is a range of numbers, not of times.
    if a is None or b is None or a >= b:
        return None
    if m.group(2) is None and m.group(4) is None and "uhr" not in part:
        return None
    kind = _qualifier(m.group("rest"))
    if kind is None:
        return None
    return Interval(a, b, kind, nth)


def parse_day(text: str | None, osm_day: str = "Mo") -> DayText:
    """Reads one weekday's text; ``intervals is None`` when any part is not understood."""
    s = _normalise(text or "")
    if s in _EMPTY_VALUES:
        return DayText(intervals=())
    if _CLOSED.match(s):
        return DayText(intervals=(), closed=True)
    # A qualifier that applies to the whole line after several intervals:
    # "08:00 - 12:00 und 13:00 - 15:00 uhr (nur mit termin)" stays per part below.
    parts = [p for p in _JOINERS.split(s) if p]
    intervals: list[Interval] = []
    by_arrangement = False
    for part in parts:
        if _BY_ARRANGEMENT.match(part):
            by_arrangement = True
            continue
        iv = _interval(part, osm_day)
        if iv is None:
            return DayText(intervals=None)
        intervals.append(iv)
    visiting = sorted((i for i in intervals if i.kind != "telephone"), key=lambda i: i.start)
    for x, y in itertools.pairwise(visiting):
        if y.start < x.end or x.nth != y.nth:
            return DayText(intervals=None)  # overlapping, or mixed weekly/monthly
    return DayText(intervals=tuple(intervals), by_arrangement=by_arrangement)


def verbatim_text(opening_times: Mapping[str, object]) -> str:
    """The export's text, one line per weekday with a value, plus the special note."""
    lines = []
    for key, _osm, german in WEEKDAYS:
        value = clean(str(opening_times.get(key) or ""))
        if value.lower() not in _EMPTY_VALUES:
            lines.append(f"{german}: {value.replace(chr(10), ', ')}")
    return "; ".join(lines)


def _day_list(days: list[str]) -> str:
    names = {osm: german for _, osm, german in WEEKDAYS}
    german = [names[d] for d in days]
    return german[0] if len(german) == 1 else ", ".join(german[:-1]) + " und " + german[-1]


def _selector(days: list[str]) -> str:
    """ "Mo,Tu,We,Fr" → "Mo-We,Fr" (consecutive runs of three or more become ranges)."""
    order = [osm for _, osm, _ in WEEKDAYS]
    idx = sorted(order.index(d) for d in days)
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    out = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{order[run[0]]}-{order[run[-1]]}")
        else:
            out.extend(order[i] for i in run)
    return ",".join(out)


def convert_week(
    opening_times: Mapping[str, object] | None, *, closed_on_holidays: bool = True
) -> HoursResult:
    """Converts a DLDB ``opening_times`` object (monday … sunday, special).

    Args:
        opening_times: The export's object; missing or unknown keys are allowed.
        closed_on_holidays: Append ``PH off`` (public offices close on public holidays).

    Returns:
        The :class:`HoursResult`; never raises for bad input.
    """
    if not isinstance(opening_times, Mapping):
        return HoursResult(status=EMPTY)
    special = clean(str(opening_times.get("special") or ""))
    if special.lower() in _EMPTY_VALUES:
        special = ""
    verbatim = verbatim_text(opening_times)
    days: dict[str, DayText] = {}
    problems = []
    for key, osm, german in WEEKDAYS:
        day = parse_day(str(opening_times.get(key) or ""), osm)
        days[osm] = day
        if day.intervals is None:
            problems.append(f"{german}: {clean(str(opening_times.get(key)))!r}")
    if problems:
        return HoursResult(
            status=TEXT,
            verbatim=verbatim,
            note=_short(special) or None,
            problems=tuple(problems),
        )
    visiting = {
        osm: tuple(i for i in (d.intervals or ()) if i.kind != "telephone")
        for osm, d in days.items()
    }
    if not any(visiting.values()):
        if verbatim:  # only telephone hours or "nach Vereinbarung": nothing to open
            return HoursResult(status=TEXT, verbatim=verbatim, note=_short(special) or None)
        return HoursResult(status=EMPTY, note=_short(special) or None)

    # Rules: days with the same weekly intervals share one rule; monthly days get their own.
    groups: dict[str, list[str]] = {}
    monthly: list[str] = []
    for osm, ivs in visiting.items():
        if not ivs:
            continue
        if ivs[0].nth:
            nth = ",".join(str(n) for n in ivs[0].nth)
            monthly.append(f"{osm}[{nth}] " + ",".join(i.osm() for i in ivs))
        else:
            groups.setdefault(",".join(i.osm() for i in ivs), []).append(osm)
    rules = [f"{_selector(ds)} {times}" for times, ds in groups.items()]
    rules += monthly
    for osm, d in days.items():
        if not visiting[osm] and d.by_arrangement:
            rules.append(f'{osm} off "nach Vereinbarung"')
    if closed_on_holidays:
        rules.append("PH off")
    expression = "; ".join(rules)
    problem = validate_expression(expression)
    if problem:  # pragma: no cover - the rules above are built to be valid
        return HoursResult(status=TEXT, verbatim=verbatim, problems=(problem,))

    all_open = [i for ivs in visiting.values() for i in ivs]
    appointment_only = all(i.kind == "appointment" for i in all_open)
    return HoursResult(
        status=CONVERTED,
        expression=expression,
        note=_note(days, visiting, appointment_only, special),
        verbatim=verbatim,
        appointment_only=appointment_only,
    )


def _note(
    days: dict[str, DayText],
    visiting: dict[str, tuple[Interval, ...]],
    appointment_only: bool,
    special: str,
) -> str | None:
    sentences = []
    if appointment_only:
        sentences.append("Vorsprache nur mit Termin.")
    else:
        by_day: dict[str, list[str]] = {}
        for osm, ivs in visiting.items():
            for i in ivs:
                if i.kind == "appointment":
                    by_day.setdefault(osm, []).append(i.german())
        if by_day:
            parts = [f"{_day_list([d])} {' und '.join(t)}" for d, t in by_day.items()]
            sentences.append("Nur mit Termin: " + "; ".join(parts) + ".")
    phone: dict[str, list[str]] = {}
    for osm, d in days.items():
        for i in d.intervals or ():
            if i.kind == "telephone":
                phone.setdefault(osm, []).append(i.german())
    if phone:
        parts = [f"{_day_list([d])} {' und '.join(t)}" for d, t in phone.items()]
        sentences.append("Telefonisch erreichbar: " + "; ".join(parts) + ".")
    extra = [osm for osm, d in days.items() if d.by_arrangement and visiting[osm]]
    if extra:
        sentences.append(f"{_day_list(extra)} zusätzlich nach Vereinbarung.")
    if special:
        sentences.append(f"Hinweis des Amts: {_short(special)}")
    return " ".join(sentences) or None


def _short(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"
