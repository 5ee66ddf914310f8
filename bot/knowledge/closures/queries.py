"""Queries on closures: status at a moment, current and upcoming, periods, districts.

Every query takes the current time explicitly, so the caller (and the tests) decide
what "now" is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from rapidfuzz import fuzz

from bot.knowledge.closures.model import (
    DISTRICT_MATCH_THRESHOLD,
    Closure,
    _require_aware,
    severity_rank,
)
from bot.text import fold


def closure_rank(c: Closure) -> int:
    """The severity rank of a closure; a subtype such as "Fahrstreifensperrung" counts."""
    return max(severity_rank(c.severity), severity_rank(c.kind))


def _severity_then_start(c: Closure) -> tuple[int, int, float, str]:
    start = c.valid_from.timestamp() if c.valid_from is not None else 0.0
    return (-closure_rank(c), 0 if c.valid_from is None else 1, start, c.id)


def status(c: Closure, now: datetime) -> str:
    """``"active"``, ``"upcoming"`` or ``"ended"`` at ``now`` (an aware datetime).

    Start and end are inclusive: a closure is active from ``valid_from`` up to and
    including ``valid_to``. Unknown bounds are open.
    """
    _require_aware(now)
    if c.valid_to is not None and now > c.valid_to:
        return "ended"
    if c.valid_from is not None and now < c.valid_from:
        return "upcoming"
    return "active"


def current_and_upcoming(closures: Iterable[Closure], now: datetime) -> list[Closure]:
    """Active and upcoming closures, most severe first, then by start."""
    _require_aware(now)
    return sorted((c for c in closures if status(c, now) != "ended"), key=_severity_then_start)


def in_period(closures: Iterable[Closure], start: datetime, end: datetime) -> list[Closure]:
    """Closures whose validity overlaps ``[start, end)``, most severe first, then by start.

    Raises:
        ValueError: naive datetimes, or ``end`` not after ``start``.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        raise ValueError("end must be after start")
    return sorted(
        (
            c
            for c in closures
            if (c.valid_from is None or c.valid_from < end)
            and (c.valid_to is None or c.valid_to > start)
        ),
        key=_severity_then_start,
    )


COMPASS = {
    "nord": "nord",
    "norden": "nord",
    "noerdlich": "nord",
    "noerdlichen": "nord",
    "sued": "sued",
    "sueden": "sued",
    "suedlich": "sued",
    "suedlichen": "sued",
    "ost": "ost",
    "osten": "ost",
    "oestlich": "ost",
    "oestlichen": "ost",
    "west": "west",
    "westen": "west",
    "westlich": "west",
    "westlichen": "west",
    "nordost": "nordost",
    "nordosten": "nordost",
    "nordwest": "nordwest",
    "nordwesten": "nordwest",
    "suedost": "suedost",
    "suedosten": "suedost",
    "suedwest": "suedwest",
    "suedwesten": "suedwest",
    "mitte": "mitte",
    "zentrum": "mitte",
    "stadtzentrum": "mitte",
    "innenstadt": "mitte",
    "stadtmitte": "mitte",
    "city": "mitte",
}
"""Compass and centre words (folded) → the area they name; the one map of the project."""

COMPASS_NAMES = {
    "nord": "Norden",
    "sued": "Süden",
    "ost": "Osten",
    "west": "Westen",
    "nordost": "Nordosten",
    "nordwest": "Nordwesten",
    "suedost": "Südosten",
    "suedwest": "Südwesten",
    "mitte": "Zentrum",
}
"""The area of :data:`COMPASS` as the assistant names it ("im Norden", "im Zentrum")."""

_DISTRICT_FILLERS = frozenset(
    {
        "im",
        "in",
        "der",
        "die",
        "das",
        "dem",
        "den",
        "am",
        "an",
        "bei",
        "um",
        "rund",
        "von",
        "vom",
        "stadt",
        "stadtteil",
        "stadtbezirk",
        "bezirk",
        "ortsteil",
        "viertel",
        "gegend",
        "stadtgebiet",
        "gebiet",
    }
)
_WORDS = re.compile(r"[a-z0-9]+")


def _district_query(district: str) -> tuple[str, bool]:
    """The folded district to look for and whether it is a compass direction."""
    tokens = [t for t in _WORDS.findall(fold(district)) if t not in _DISTRICT_FILLERS]
    for token in tokens:
        if token in COMPASS:
            return COMPASS[token], True
    return " ".join(tokens), False


def _district_matches(candidate: str, query: str, compass: bool) -> bool:
    tokens = _WORDS.findall(fold(candidate))
    name = " ".join(tokens)
    if not name:
        return False
    if name == query or "".join(tokens) == query.replace(" ", ""):
        return True
    if compass:
        return query in tokens or f"{query}stadt" in tokens
    if " " not in query and len(query) >= 4 and query in tokens:
        return True  # "Hohenschönhausen" → "Alt-Hohenschönhausen"
    return len(query) >= 4 and fuzz.ratio(name, query) >= DISTRICT_MATCH_THRESHOLD


def in_district(closures: Iterable[Closure], district: str) -> list[Closure]:
    """Closures in a district, in the given order.

    The district may come straight from the user: "Mitte", "in Köpenick", "im Norden"
    (compass words map to districts named "Nord", "Nordstadt", ...), "Innenstadt"
    (→ "Mitte"), with umlauts or typos ("Kopenick").
    """
    query, compass = _district_query(district)
    if not query:
        return []
    return [
        c
        for c in closures
        if c.district is not None and _district_matches(c.district, query, compass)
    ]
