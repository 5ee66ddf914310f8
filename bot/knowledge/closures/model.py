"""The internal model of road closures, and what every feed adapter shares.

:class:`Closure` is independent of the feed format; an adapter (:mod:`.viz`,
:mod:`.datex2`) turns each entry of a document into one or skips it with a reason
(:class:`ParseResult`). Dates are aware datetimes in the city's time zone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse

logger = logging.getLogger("bot.knowledge.closures")  # the name the feed warnings always had

TIMEZONE_NAME = "Europe/Berlin"
SOURCE_VIZ = "viz"
SOURCE_DATEX2 = "datex2"

#: Minimum rapidfuzz score (0-100) for a street mention to count as a match.
STREET_MATCH_THRESHOLD = 85.0
#: Minimum rapidfuzz score (0-100) for a district name with a typo.
DISTRICT_MATCH_THRESHOLD = 85.0


class FeedFormatError(ValueError):
    """The document as a whole is not a closures feed of a known format."""


@dataclass(frozen=True)
class Closure:
    """One construction site or closure, independent of the feed format.

    Attributes:
        id: the feed's identifier of the entry (for DATEX II: the situation id).
        street: street or road, without the district ("Brückenstraße", "L154").
        district: the district from ``"Brückenstraße (Mitte)"``, if the feed names one.
        section: the affected section ("zwischen Marktstraße und Hafenstraße").
        kind: what it is: Baustelle, Sperrung, Bauarbeiten, Gefahr, Störung, Unfall, ...
        severity: Vollsperrung, Fahrtrichtungssperrung, halbseitig, Fahrstreifensperrung,
            Fahrbahnverengung, keine Sperrung, ... or None when the feed does not say.
        direction: affected direction(s) as the feed words it ("Beidseitig", ...).
        valid_from: start, aware (Europe/Berlin); None when unknown.
        valid_to: end, aware (Europe/Berlin); None for "until further notice".
        description: free text: reason, detour.
        source: ``"viz"`` or ``"datex2"``.
    """

    id: str
    street: str
    district: str | None
    section: str | None
    kind: str
    severity: str | None
    direction: str | None
    valid_from: datetime | None
    valid_to: datetime | None
    description: str | None
    source: str


@dataclass
class ParseResult:
    """The closures of one document and the entries that were skipped.

    Attributes:
        closures: the entries that could be read, in document order.
        skipped: ``(id or "#index", reason)`` for every entry that was left out.
    """

    closures: list[Closure] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class _SkipEntry(Exception):
    """Internal: the current entry is malformed and is skipped."""

    def __init__(self, reason: str, ref: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ref = ref


# --------------------------------------------------------------------------- dates


@lru_cache(maxsize=1)
def local_tz() -> ZoneInfo:
    """The city's time zone (Europe/Berlin); loaded on first use, not at import."""
    return ZoneInfo(TIMEZONE_NAME)


_GERMAN_DATE = re.compile(
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"
    r"(?:,?\s*(?P<H>\d{1,2})[:.](?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*Uhr)?)?"
)
_ISO_DATE_ONLY = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})")


def parse_datetime(value: object, *, end_of_day: bool = False) -> datetime | None:
    """Parses a feed date into an aware datetime in Europe/Berlin.

    Accepted: ``"DD.MM.YYYY HH:MM"`` (also without the time, with seconds or "Uhr") and
    ISO 8601 with or without offset (``Z`` included). Times without an offset are taken
    as local time in Europe/Berlin; times with an offset are converted.

    Args:
        value: the raw value from the feed.
        end_of_day: for a date without a time, use 23:59 instead of 00:00 (end dates).

    Returns:
        The datetime, or None for a missing or empty value.

    Raises:
        ValueError: the value is present but not a date.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date string: {value!r}")
    text = value.strip()
    if not text:
        return None
    tz = local_tz()
    match = _GERMAN_DATE.fullmatch(text) or _ISO_DATE_ONLY.fullmatch(text)
    if match:
        groups = match.groupdict()
        if groups.get("H") is not None:
            hour, minute, second = int(groups["H"]), int(groups["M"]), int(groups["S"] or 0)
        elif end_of_day:
            hour, minute, second = 23, 59, 0
        else:
            hour, minute, second = 0, 0, 0
        try:
            return datetime(
                int(groups["y"]),
                int(groups["m"]),
                int(groups["d"]),
                hour,
                minute,
                second,
                tzinfo=tz,
            )
        except ValueError as exc:
            raise ValueError(f"not a valid date: {text!r}") from exc
    try:
        parsed = isoparse(text)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date: {text!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def _require_aware(value: datetime, name: str = "now") -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


# --------------------------------------------------------------------------- text helpers


def _text(value: object) -> str | None:
    """A stripped string for str/int/float values, None for anything else or empty."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


_STREET_DISTRICT = re.compile(r"^(?P<street>.*?\S)\s*\((?P<district>[^()]*)\)\s*$")
_ROAD_NUMBER = re.compile(r"^[ABKLS]\s?\d+[a-z]?$", re.IGNORECASE)


def split_street(raw: str) -> tuple[str, str | None]:
    """Splits ``"Brückenstraße (Mitte)"`` into ``("Brückenstraße", "Mitte")``.

    Only the last parenthesis is the district ("(Obere) Kynaststraße (Rummelsburg)").
    For motorways and numbered roads the parenthesis names the road, not a district
    ("A100 (Stadtring Berlin)"), so the text is kept whole and the district is None.
    """
    text = " ".join(raw.split())
    match = _STREET_DISTRICT.match(text)
    if not match:
        return text, None
    street, district = match.group("street").strip(), match.group("district").strip()
    if not district:
        return street, None
    if _ROAD_NUMBER.match(street):
        return text, None
    return street, district


def _entry_date(value: object, name: str, ref: str, *, end_of_day: bool) -> datetime | None:
    try:
        return parse_datetime(value, end_of_day=end_of_day)
    except ValueError:
        raise _SkipEntry(f"unparseable {name} {value!r}", ref) from None


def _record_skip(result: ParseResult, ref: str, reason: str, source: str) -> None:
    result.skipped.append((ref, reason))
    logger.warning("closures feed (%s): skipped entry %s: %s", source, ref, reason)


# --------------------------------------------------------------------------- severity

_SEVERITY_RANK = {
    "vollsperrung": 3,
    "fahrtrichtungssperrung": 2,
    "halbseitig": 2,
    "halbseitige sperrung": 2,
    "einseitige sperrung": 2,
    "fahrstreifensperrung": 1,
    "fahrbahnverengung": 1,
    "fahrbahneinengung": 1,
}


def severity_rank(severity: str | None) -> int:
    """3 Vollsperrung, 2 Fahrtrichtungssperrung/halbseitig, 1 lanes narrowed, 0 others."""
    if not severity:
        return 0
    return _SEVERITY_RANK.get(" ".join(severity.lower().split()), 0)
