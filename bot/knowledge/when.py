"""German time expressions in citizens' questions: "am Donnerstag", "morgen nachmittag",
"an Fronleichnam", "24.12.", "nächste Woche", "hat es jetzt noch offen?".

The parser is deliberately conservative: it only recognises what it can locate with a
targeted pattern, so "Hausnummer 20", "Raum 101" or "Rathausplatz 1" never become dates.
``dateparser`` resolves the fragments it handles well (month-name dates such as
"3. Okt.", relative offsets such as "in drei Tagen"). Numeric dates, weekdays, weeks,
holidays and parts of the day are handled here because of dateparser quirks:

- "10.12." (any ``dd.mm.`` with ``dd`` < 24 and ``mm`` < 60) is read as the time 10:12;
- ``PREFER_DATES_FROM="future"`` moves a date equal to today into next year;
- ``search_dates`` finds "5.1" as 1 May, misses "am 24.12.2026", reads "Mai" as 23 May,
  "seit 2 Wochen" as a future date, and does not know "donnerstags" or "Wochenende".

All results are relative to the ``now`` given by the caller (never the system clock).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import dateparser
import holidays
from dateutil.easter import easter
from rapidfuzz.distance import OSA

from bot.knowledge.opening_hours import GERMAN_WEEKDAYS, state_holidays
from bot.text import ascii_umlauts

__all__ = ["DEFAULT_STATE", "PART_OF_DAY_RANGES", "When", "parse_when"]

DEFAULT_STATE = "NW"
"""The reference city's state; callers pass the city's own (``Knowledge.state``)."""

PART_OF_DAY_RANGES: dict[str, tuple[time, time]] = {
    "vormittags": (time(6), time(12)),
    "nachmittags": (time(12), time(18)),
    "abends": (time(18), time(23, 59)),
}


@dataclass(frozen=True)
class When:
    """What a message says about time.

    Attributes:
        days: The concrete day(s) asked for, sorted; empty = not specified.
        part_of_day: "vormittags", "nachmittags", "abends" or ``None``.
        now: The citizen asks about the present ("jetzt", "gerade", "noch offen").
        until_when: The citizen asks how long ("bis wann", "wie lange").
        label: German label for replies: "heute", "morgen", "Donnerstag, 26.11.2026",
            "Fronleichnam (03.06.2027)", "am Wochenende", "nächste Woche"; "" if no days.
    """

    days: tuple[date, ...]
    part_of_day: str | None
    now: bool
    until_when: bool
    label: str


# --- text normalisation ---------------------------------------------------------------------


def _normalize(text: str) -> str:
    """Lower case, umlauts folded (ä → ae), punctuation except dots and colons as spaces."""
    folded = ascii_umlauts(unicodedata.normalize("NFC", text).lower())
    folded = re.sub(r"[^a-z0-9.:]+", " ", folded)
    return " " + " ".join(folded.split()) + " "


# Greetings and wishes that contain time words but ask nothing.
_NOISE = re.compile(
    r"\b(?:guten (?:morgen|tag|abend|nachmittag)|gute nacht|n abend|"
    r"morgen (?:zusammen|allerseits|miteinander)|"
    r"(?:frohe|frohes|froehliche|schoene|schoenes|schoenen|gesegnete|gesegnetes) "
    r"(?:weihnachten|weihnachtsfest|ostern|osterfest|pfingsten|fest|feiertage|wochenende|"
    r"tag|abend|neues jahr|neues)(?: noch)?|frohes neues|guten rutsch)\b"
)

_WEEKDAY_WORDS = (
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
)
_WEEKDAY_INDEX = {w: i for i, w in enumerate(_WEEKDAY_WORDS)} | {"sonnabend": 5}

# Words whose typos are corrected (first letter kept, one edit; two for long words).
_VOCABULARY = frozenset(
    [
        *_WEEKDAY_WORDS,
        *(w + "s" for w in _WEEKDAY_WORDS),
        "heute",
        "morgen",
        "uebermorgen",
        "wochenende",
        "vormittag",
        "vormittags",
        "nachmittag",
        "nachmittags",
        "abends",
        "naechste",
        "naechsten",
        "naechstes",
        "kommenden",
        "heiligabend",
        "silvester",
        "fronleichnam",
        "allerheiligen",
        "karfreitag",
        "ostermontag",
        "pfingstmontag",
        "weihnachten",
        "himmelfahrt",
    ]
)
# Real words one edit away from the vocabulary: never "corrected".
_NOT_TYPOS = frozenset(
    [
        "montage",
        "morgens",
        "abende",
        "heuer",
        "sonntags",
        "nachmittage",
        "vormittage",
        "samstage",
    ]
)


def _correct_typos(text: str) -> str:
    """Replaces near-misses of time words ("morgn", "donerstag") by the word."""

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if len(word) < 5 or word in _VOCABULARY or word in _NOT_TYPOS:
            return word
        limit = 1 if len(word) < 9 else 2
        best = min(
            (
                (OSA.distance(word, v, score_cutoff=limit), v)
                for v in _VOCABULARY
                if v[0] == word[0] and abs(len(v) - len(word)) <= limit
            ),
            default=(limit + 1, word),
        )
        return best[1] if best[0] <= limit else word

    return re.sub(r"[a-z]+", fix, text)


# --- collected facts ------------------------------------------------------------------------


@dataclass
class _Found:
    """Day specifications found in the text, in order of appearance."""

    items: list[tuple[int, tuple[date, ...], str, int]] = field(default_factory=list)
    part_of_day: str | None = None

    def add(self, pos: int, days: Iterable[date], label: str, rank: int) -> None:
        """Records days found at ``pos``; ``rank`` orders labels for the same single day."""
        self.items.append((pos, tuple(days), label, rank))

    def set_part(self, part: str) -> None:
        """Keeps the first part of the day mentioned."""
        if self.part_of_day is None:
            self.part_of_day = part


def _blank(text: str, match: re.Match[str]) -> str:
    """Removes a handled match from the text, keeping positions."""
    start, end = match.span()
    return text[:start] + " " * (end - start) + text[end:]


def _consume(text: str, pattern: re.Pattern[str], handle: Callable[[re.Match[str]], bool]) -> str:
    """Runs ``handle`` on each match; blanks the matches it accepted."""
    for match in list(pattern.finditer(text)):
        if handle(match):
            text = _blank(text, match)
    return text


def _weekday_label(d: date) -> str:
    return f"{GERMAN_WEEKDAYS[d.weekday()]}, {d:%d.%m.%Y}"


def _next_weekday(today: date, weekday: int, *, strictly_after: bool = False) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return today + timedelta(days=ahead)


def _week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _span(first: date, days: int) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range(days))


# --- holidays and named days ----------------------------------------------------------------

# (key, label) of days that are not (all) public holidays in the state, by easter offset or date.
_EASTER_DAYS: dict[str, tuple[str, tuple[int, ...]]] = {
    "ostern": ("Ostern", (-2, -1, 0, 1)),
    "ostersonntag": ("Ostersonntag", (0,)),
    "ostersamstag": ("Karsamstag", (-1,)),
    "karsamstag": ("Karsamstag", (-1,)),
    "gruendonnerstag": ("Gründonnerstag", (-3,)),
    "pfingsten": ("Pfingsten", (49, 50)),
    "pfingstsonntag": ("Pfingstsonntag", (49,)),
    "rosenmontag": ("Rosenmontag", (-48,)),
    "weiberfastnacht": ("Weiberfastnacht", (-52,)),
    "aschermittwoch": ("Aschermittwoch", (-46,)),
}
_FIXED_DAYS: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "heiligabend": ("Heiligabend", ((12, 24),)),
    "heilig abend": ("Heiligabend", ((12, 24),)),
    "heiligen abend": ("Heiligabend", ((12, 24),)),
    "weihnachtsabend": ("Heiligabend", ((12, 24),)),
    "silvester": ("Silvester", ((12, 31),)),
    "silvesterabend": ("Silvester", ((12, 31),)),
    "weihnachten": ("Weihnachten", ((12, 24), (12, 25), (12, 26))),
    "weihnachtsfeiertage": ("Weihnachtsfeiertage", ((12, 25), (12, 26))),
    "zwischen den jahren": ("zwischen den Jahren", tuple((12, d) for d in range(27, 32))),
    "zwischen weihnachten und neujahr": (
        "zwischen den Jahren",
        tuple((12, d) for d in range(27, 32)),
    ),
}
# Colloquial names of public holidays → the name the holidays package uses.
_HOLIDAY_ALIASES = {
    "tag der arbeit": "Erster Mai",
    "maifeiertag": "Erster Mai",
    "himmelfahrt": "Christi Himmelfahrt",
    "vatertag": "Christi Himmelfahrt",
    "neujahrstag": "Neujahr",
    "einheitstag": "Tag der Deutschen Einheit",
    "1. weihnachtstag": "Erster Weihnachtstag",
    "1. weihnachtsfeiertag": "Erster Weihnachtstag",
    "ersten weihnachtstag": "Erster Weihnachtstag",
    "ersten weihnachtsfeiertag": "Erster Weihnachtstag",
    "erster weihnachtsfeiertag": "Erster Weihnachtstag",
    "2. weihnachtstag": "Zweiter Weihnachtstag",
    "2. weihnachtsfeiertag": "Zweiter Weihnachtstag",
    "zweiten weihnachtstag": "Zweiter Weihnachtstag",
    "zweiten weihnachtsfeiertag": "Zweiter Weihnachtstag",
    "zweiter weihnachtsfeiertag": "Zweiter Weihnachtstag",
    "stephanstag": "Zweiter Weihnachtstag",
    "reformationsfest": "Reformationstag",
    "heilige drei koenige": "Heilige Drei Könige",
    "dreikoenigstag": "Heilige Drei Könige",
    "buss und bettag": "Buß- und Bettag",
}


def _key(name: str) -> str:
    return _normalize(name).strip()


@lru_cache(maxsize=64)
def _holidays_of_year(state: str, year: int) -> dict[str, tuple[str, date]]:
    """Folded name → (German name, date) of all German public holidays in ``year``.

    The state's own holidays win; holidays of other states are included (as dates) so
    that "am Buß- und Bettag" still resolves to a day.
    """
    state_holidays(state)  # validates the state code
    german = holidays.list_supported_countries()["DE"]
    subdivisions = [state] + [s for s in german if s != state]
    out: dict[str, tuple[str, date]] = {}
    for subdiv in subdivisions:
        calendar = holidays.country_holidays("DE", subdiv=subdiv, language="de", years=year)
        for d in sorted(calendar):
            for name in str(calendar[d]).split("; "):
                out.setdefault(_key(name), (name, d))
    return out


@lru_cache(maxsize=64)
def _names_pattern(state: str, year: int) -> re.Pattern[str]:
    """One alternation of all known day names, longest first."""
    keys = set(_holidays_of_year(state, year)) | set(_HOLIDAY_ALIASES)
    keys |= set(_EASTER_DAYS) | set(_FIXED_DAYS)
    alternation = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z])")


def _named_days(key: str, state: str, year: int) -> tuple[str, tuple[date, ...]] | None:
    """(label name, days) of a named day in ``year``."""
    if key in _FIXED_DAYS:
        name, month_days = _FIXED_DAYS[key]
        return name, tuple(date(year, m, d) for m, d in month_days)
    if key in _EASTER_DAYS:
        name, offsets = _EASTER_DAYS[key]
        sunday = easter(year)
        return name, tuple(sunday + timedelta(days=o) for o in offsets)
    table = _holidays_of_year(state, year)
    alias = _HOLIDAY_ALIASES.get(key)
    entry = table.get(_key(alias)) if alias else table.get(key)
    if entry is None:
        return None
    return entry[0], (entry[1],)


def _find_named_days(text: str, today: date, state: str, found: _Found) -> str:
    def handle(match: re.Match[str]) -> bool:
        for year in (today.year, today.year + 1):
            named = _named_days(match.group(), state, year)
            if named and named[1][-1] >= today:
                name, days = named
                days = tuple(d for d in days if d >= today)
                found.add(match.start(), days, _named_label(name, days), 2)
                return True
        return False

    return _consume(text, _names_pattern(state, today.year), handle)


def _named_label(name: str, days: tuple[date, ...]) -> str:
    if len(days) == 1:
        return f"{name} ({days[0]:%d.%m.%Y})"
    return f"{name} ({days[0]:%d.%m.}–{days[-1]:%d.%m.%Y})"


# --- dates ----------------------------------------------------------------------------------

_MONTHS = {
    "januar": "januar",
    "jan": "januar",
    "jaenner": "januar",
    "februar": "februar",
    "feb": "februar",
    "maerz": "märz",
    "mrz": "märz",
    "april": "april",
    "apr": "april",
    "mai": "mai",
    "juni": "juni",
    "jun": "juni",
    "juli": "juli",
    "jul": "juli",
    "august": "august",
    "aug": "august",
    "september": "september",
    "sept": "september",
    "sep": "september",
    "oktober": "oktober",
    "okt": "oktober",
    "november": "november",
    "nov": "november",
    "dezember": "dezember",
    "dez": "dezember",
}
_MONTH_DATE = re.compile(
    r"(?<![\d.,:])(?P<d>\d{1,2})\.?\s?(?P<m>"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")(?![a-z])\.?(?:\s?(?P<y>\d{4})(?!\d))?"
)
# "24.12.", "24.12.2026", "24.12.26"; without the final dot only after "am", "vom", …
_NUMERIC_DATE = re.compile(
    r"(?<![\d.,:])(?<!um )(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})?(?![\d])"
    r"|\b(?:am|vom|zum|ab) (?P<d2>\d{1,2})\.(?P<m2>\d{1,2})(?![\d.,:])"
)
_IN_DAYS = re.compile(
    r"\bin (?P<n>\d{1,3}|einem|einer|zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|elf"
    r"|zwoelf|vierzehn) (?P<unit>tag|tagen|woche|wochen)\b"
)


def _dateparser_day(fragment: str, today: date, *, require_day: bool) -> date | None:
    """Resolves a German date fragment with dateparser, relative to ``today``."""
    settings: dict[str, object] = {
        "RELATIVE_BASE": datetime.combine(today, time(0)),
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
    }
    if require_day:
        settings["REQUIRE_PARTS"] = ["day", "month"]
    parsed = dateparser.parse(fragment, languages=["de"], settings=settings)
    return parsed.date() if parsed else None


def _year_less(day: int, month: int, today: date) -> date | None:
    """The next ``day.month.`` on or after ``today`` (this year or the next)."""
    for year in range(today.year, today.year + 9):  # 29.02. may be years ahead
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if d >= today:
            return d
    return None


def _find_dates(text: str, today: date, found: _Found) -> str:
    def numeric(match: re.Match[str]) -> bool:
        day = int(match.group("d") or match.group("d2"))
        month = int(match.group("m") or match.group("m2"))
        year_text = match.group("y")
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            try:
                d: date | None = date(year, month, day)
            except ValueError:
                return False
        else:
            d = _year_less(day, month, today) if 1 <= month <= 12 else None
        if d is None:
            return False
        found.add(match.start(), (d,), _weekday_label(d), 1)
        return True

    def month_name(match: re.Match[str]) -> bool:
        day, year = int(match.group("d")), match.group("y")
        fragment = f"{day}. {_MONTHS[match.group('m')]}" + (f" {year}" if year else "")
        d = _dateparser_day(fragment, today, require_day=True)
        if d is None:
            return False
        if not year:
            # dateparser's "future" moves today itself into next year.
            try:
                this_year = d.replace(year=d.year - 1)
            except ValueError:
                this_year = None
            if this_year is not None and this_year >= today:
                d = this_year
        found.add(match.start(), (d,), _weekday_label(d), 1)
        return True

    def offset(match: re.Match[str]) -> bool:
        number = {"fuenf": "fünf", "zwoelf": "zwölf", "vierzehn": "14"}.get(
            match.group("n"), match.group("n")
        )
        d = _dateparser_day(f"in {number} {match.group('unit')}", today, require_day=False)
        if d is None or d < today:
            return False
        found.add(match.start(), (d,), _weekday_label(d), 1)
        return True

    text = _consume(text, _MONTH_DATE, month_name)
    text = _consume(text, _NUMERIC_DATE, numeric)
    return _consume(text, _IN_DAYS, offset)


# --- relative days, weekdays, weeks ---------------------------------------------------------

# "heute Morgen" = this morning, "morgen früh" = tomorrow morning.
_RELATIVE = re.compile(
    r"\b(?P<word>vorgestern|gestern|heute|heut|uebermorgen|morgen)(?P<early> morgen| frueh)?\b"
)
_RELATIVE_DAYS = {
    "vorgestern": (-2, "vorgestern"),
    "gestern": (-1, "gestern"),
    "heute": (0, "heute"),
    "heut": (0, "heute"),
    "morgen": (1, "morgen"),
    "uebermorgen": (2, "übermorgen"),
}
_MORNING = re.compile(r"\b(?:am|jeden|in der|frueh am|am fruehen) (?:morgen|frueh)\b")
_WEEK = r"(?P<wmod>diese[nrs]?|naechste[nrs]?|kommende[nrs]?|uebernaechste[nrs]?) woche\b"
_WEEKDAY_NAMES = "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag"
_WEEKDAY = re.compile(
    r"\b(?P<between>zwischen )?"
    r"(?:(?P<mod>naechste[nrs]?|kommende[nrs]?|diese[nrs]?|uebernaechste[nrs]?) )?"
    rf"(?:am )?(?P<wd>{_WEEKDAY_NAMES})"
    r"(?P<plural>s)?\b"
    r"(?: (?:bis|und|oder) (?:zum |am )?"
    rf"(?P<wd_to>{_WEEKDAY_NAMES})s?\b)?"
)
# "am ersten Samstag im Monat", "letzten Freitag des Monats"
_NTH_WEEKDAY = re.compile(
    r"\b(?P<n>ersten|1\.|zweiten|2\.|dritten|3\.|vierten|4\.|letzten) "
    rf"(?P<wd>{_WEEKDAY_NAMES})s? (?:im|des|eines|jeden) monats?\b"
)
_NTH = {"ersten": 1, "1.": 1, "zweiten": 2, "2.": 2, "dritten": 3, "3.": 3, "vierten": 4, "4.": 4}
_WEEK_SPAN = re.compile(r"\b(?:in der |in |der |diese |)" + _WEEK)
_WEEKEND = re.compile(
    r"\b(?:(?P<mod>diese[nrs]?|naechste[nrs]?|kommende[nrs]?|uebernaechste[nrs]?) )?"
    r"wochenende\b"
)


def _week_offset(modifier: str) -> int:
    if modifier.startswith("uebernaechst"):
        return 2
    if modifier.startswith(("naechst", "kommend")):
        return 1
    return 0


def _find_relative(text: str, today: date, found: _Found) -> str:
    def handle(match: re.Match[str]) -> bool:
        shift, label = _RELATIVE_DAYS[match.group("word")]
        if match.group("early"):
            found.set_part("vormittags")
        found.add(match.start(), (today + timedelta(days=shift),), label, 3)
        return True

    def morning(_match: re.Match[str]) -> bool:
        found.set_part("vormittags")
        return True

    text = _consume(text, _MORNING, morning)
    return _consume(text, _RELATIVE, handle)


def _nth_weekday(today: date, weekday: int, nth: int | None) -> date:
    """The next n-th (``None``: last) given weekday of a month, on or after ``today``."""
    d = _next_weekday(today, weekday)
    while True:
        if nth is None and (d + timedelta(days=7)).month != d.month:
            return d
        if nth is not None and (d.day - 1) // 7 + 1 == nth:
            return d
        d += timedelta(days=7)


def _find_weeks(text: str, today: date, found: _Found) -> str:
    """Weekdays, optionally inside a named week ("Donnerstag nächste Woche"), and weeks."""

    def nth_weekday(match: re.Match[str]) -> bool:
        d = _nth_weekday(today, _WEEKDAY_INDEX[match.group("wd")], _NTH.get(match.group("n")))
        found.add(match.start(), (d,), _weekday_label(d), 1)
        return True

    text = _consume(text, _NTH_WEEKDAY, nth_weekday)
    week_offset: int | None = None
    week_match = _WEEK_SPAN.search(text)
    if week_match:
        week_offset = _week_offset(week_match.group("wmod"))
    weekday_matches = list(_WEEKDAY.finditer(text))
    for match in weekday_matches:
        first = _WEEKDAY_INDEX[match.group("wd")]
        mod = match.group("mod") or ""
        if week_offset is not None:
            start = _week_start(today) + timedelta(weeks=week_offset, days=first)
        elif mod.startswith(("naechst", "uebernaechst")):
            start = _next_weekday(today, first, strictly_after=True)
            start += timedelta(weeks=1 if mod.startswith("uebernaechst") else 0)
        else:
            start = _next_weekday(today, first)
        days: tuple[date, ...] = (start,)
        label = _weekday_label(start)
        if match.group("wd_to"):
            last = _WEEKDAY_INDEX[match.group("wd_to")]
            connector = match.group().split(" ")
            if "bis" in connector or match.group("between"):
                length = (last - first) % 7 + 1
                days = _span(start, length)
                label = f"{label} bis {_weekday_label(days[-1])}"
            else:
                found.add(match.start(), days, label, 1)
                second = start + timedelta(days=(last - first) % 7)
                days, label = (second,), _weekday_label(second)
        found.add(match.start(), days, label, 1)
        text = _blank(text, match)
    if week_match:
        if not weekday_matches:
            offset = _week_offset(week_match.group("wmod"))
            monday = _week_start(today) + timedelta(weeks=offset)
            label = ("diese Woche", "nächste Woche", "übernächste Woche")[offset]
            found.add(week_match.start(), _span(monday, 7), label, 0)
        text = _blank(text, week_match)
    weekend = _WEEKEND.search(text)
    if weekend:
        offset = _week_offset(weekend.group("mod") or "")
        saturday = _next_weekday(today, 5) + timedelta(weeks=max(offset - 1, 0))
        days = tuple(d for d in _span(saturday, 2) if d >= today)
        label = "übernächstes Wochenende" if offset == 2 else "am Wochenende"
        found.add(weekend.start(), days, label, 0)
        text = _blank(text, weekend)
    return text


# --- flags and parts of the day -------------------------------------------------------------

# Explicit words for the present moment.
_NOW = re.compile(
    r"\b(?:jetzt|gerade|grad|grade|im moment|momentan|aktuell|derzeit|zurzeit|zur zeit|sofort)\b"
)
# "noch offen?": the present, unless the message names another time ("nach Feierabend").
_STILL_OPEN = re.compile(
    r"\bnoch (?:offen|geoeffnet|da|besetzt|erreichbar)\b|\bnoch auf\s*$|\bnoch auf (?:oder|und)\b"
)
_UNTIL = re.compile(
    r"\b(?:bis wann|wie lange|wie lang|bis (?:um )?wie ?viel uhr|wann (?:schliesst|schliessen)|"
    r"wann (?:macht|machen) (?:\w+ ){0,4}zu|wann ist (?:\w+ ){0,4}schluss|"
    r"(?:um )?wie ?viel uhr (?:schliesst|schliessen|macht|machen))\b"
)
_PARTS = (
    (re.compile(r"\b(?:vormittags?|morgens|frueh morgens|vorm)\b"), "vormittags"),
    (re.compile(r"\b(?:nachmittags?|nachm|spaetnachmittags?)\b"), "nachmittags"),
    (re.compile(r"\b(?:abends?|nach feierabend)\b"), "abends"),
)
_CLOCK = re.compile(r"\b(?:um|gegen|ab|nach) (?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))? ?uhr\b")


def _part_for_hour(hour: int) -> str | None:
    for part, (lo, hi) in PART_OF_DAY_RANGES.items():
        if lo.hour <= hour < hi.hour or (part == "abends" and hour == 23):
            return part
    return None


def _find_parts(text: str, found: _Found) -> str:
    first: tuple[int, str] | None = None
    for pattern, part in _PARTS:
        match = pattern.search(text)
        if match and (first is None or match.start() < first[0]):
            first = (match.start(), part)
    clock = _CLOCK.search(text)
    if clock and int(clock.group("h")) <= 24:
        hour_part = _part_for_hour(int(clock.group("h")))
        if hour_part and (first is None or clock.start() < first[0]):
            first = (clock.start(), hour_part)
    if first:
        found.set_part(first[1])
    return text


# --- entry point ----------------------------------------------------------------------------


def parse_when(text: str, now: datetime, state: str = DEFAULT_STATE) -> When:
    """What a citizen's message says about the time of the question.

    Args:
        text: The message as typed.
        now: The current moment in the office's local time (its date is "heute").
        state: German state code for holiday names (e.g. "Fronleichnam" in NW).

    Returns:
        The days asked for (a weekday means the next such day, today included; a date
        without year that has passed means next year; a holiday name its next occurrence),
        part of the day, the "now" and "until when" flags and a German label.
    """
    today = now.date()
    normalized = _NOISE.sub(" ", _normalize(text))
    until_when = bool(_UNTIL.search(normalized))
    rest = _correct_typos(normalized)
    found = _Found()
    rest = _find_named_days(rest, today, state, found)
    rest = _find_dates(rest, today, found)
    rest = _find_relative(rest, today, found)
    rest = _find_weeks(rest, today, found)
    _find_parts(rest, found)
    days, label = _combine(found)
    is_now = bool(_NOW.search(normalized))
    if not is_now and _STILL_OPEN.search(normalized):
        if found.part_of_day and not days:  # "nach Feierabend noch auf?" = today
            days, label = (today,), "heute"
        is_now = found.part_of_day is None and days in ((), (today,))
    return When(
        days=days, part_of_day=found.part_of_day, now=is_now, until_when=until_when, label=label
    )


def _combine(found: _Found) -> tuple[tuple[date, ...], str]:
    """The union of the days found and a label for them."""
    items = sorted((i for i in found.items if i[1]), key=lambda i: i[0])
    if not items:
        return (), ""
    specific = [i for i in items if i[3] > 0]
    chosen = specific or items  # a weekday or date beats "diese Woche" in the same message
    days = tuple(sorted({d for item in chosen for d in item[1]}))
    if len(days) == 1 or len({item[1] for item in chosen}) == 1:
        best = max(chosen, key=lambda i: i[3])
        return days, best[2]
    labels: list[str] = []
    for item in chosen:
        if item[2] not in labels:
            labels.append(item[2])
    return days, " und ".join(labels)
