"""Reports of what is broken: the kinds' settings (`reports.yml`) and where a report is.

A report names a place: a street of the city with a house number ("Lindenallee 12"), a
street alone, or a landmark ("Spielplatz am Stadtpark"). The streets are those of
`streets.yml` and, when ``streets_from_feed`` is set, those of the closures feed. They are
matched with :func:`bot.knowledge.closures.streets.match_street` (its measured threshold,
:data:`~bot.knowledge.closures.model.STREET_MATCH_THRESHOLD`), so "Lindenalle 12" is the
Lindenallee; a street-like word that matches none ("Blumenstraße") is *unknown* and gets
the closest names as suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from rapidfuzz import fuzz, process

from bot.knowledge.base import KnowledgeError
from bot.knowledge.closures.model import split_street
from bot.knowledge.closures.streets import match_street

REPORTS_FILE = "reports.yml"
STREETS_FILE = "streets.yml"
# Suggestions ("Meinten Sie …?") below the match threshold, at least this similar.
SUGGEST_CUTOFF = 60.0
MAX_SUGGESTIONS = 3

REPORTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "due_days": {"type": "integer", "minimum": 1, "maximum": 30},
        "duplicates": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "window_days": {"type": "integer", "minimum": 0},
                "house_numbers": {"type": "integer", "minimum": 0},
            },
        },
        "photo": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                # below the web app's REQUEST_MAX_SIZE (1 MB) with room for the form
                "max_bytes": {"type": "integer", "minimum": 1000, "maximum": 950_000},
                "max_pixels": {"type": "integer", "minimum": 10000},
                "types": {"type": "array", "items": {"enum": ["image/jpeg", "image/png"]}},
            },
        },
        "streets_from_feed": {"type": "boolean"},
        "status_url": {"type": "string", "pattern": "^https?://.*\\{token\\}"},
    },
}
STREETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["streets"],
    "additionalProperties": False,
    "properties": {
        "streets": {"type": "array", "items": {"type": "string", "minLength": 2}},
        "landmarks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "street"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "street": {"type": "string"}},
            },
        },
    },
}

# A word that looks like a street ("Blumenstraße", "Am Weiher", "Mühlweg").
_STREET_LIKE = re.compile(
    r"\b(?:(?:am|an der|auf dem|im)\s+[A-ZÄÖÜ][\wäöüß-]+"
    r"|[\wäöüß-]+(?:straße|strasse|str\.|weg|allee|platz|ring|gasse|damm|ufer|chaussee))",
    re.IGNORECASE,
)
_TYPE_ENDING = re.compile(r"^(am|an der|auf dem|im)\s+|(straße|strasse|str\.?|weg|allee|platz)$")
# A house number: 1-4 digits, optionally a letter ("12a"), not a duration or a time.
_NUMBER = re.compile(
    r"\b(\d{1,4}\s?[a-h]?)\b(?!\s*(?:uhr|tage|tagen|wochen|monate|monaten|jahre|jahren|"
    r"minuten|stunden|min|h\b|:|\.\d))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReportSettings:
    """The settings of reports (`reports.yml`; defaults where a key is missing)."""

    due_days: int = 3
    window_days: int = 14
    house_numbers: int = 4
    photo_max_bytes: int = 950_000
    photo_max_pixels: int = 24_000_000
    photo_types: tuple[str, ...] = ("image/jpeg", "image/png")
    streets_from_feed: bool = True
    # the page where a website citizen sees the state of their report (the web app's
    # /meldung/<token>, at its public address)
    status_url: str = "http://127.0.0.1:8080/meldung/{token}"


@dataclass(frozen=True)
class StreetList:
    """The city's streets and landmarks (landmark → its street)."""

    streets: tuple[str, ...] = ()
    landmarks: dict[str, str] = field(default_factory=dict)

    def with_feed(self, feed_streets: Iterable[str]) -> StreetList:
        """This list plus the closures feed's streets ("Hauptstraße (Mitte)" → "Hauptstraße")."""
        names = dict.fromkeys(self.streets)
        for raw in feed_streets:
            street, _district = split_street(raw)
            if street:
                names.setdefault(street, None)
        return StreetList(tuple(names), dict(self.landmarks))


@dataclass(frozen=True)
class Place:
    """Where a report is: a street of the list, optionally a house number."""

    street: str
    number: str = ""
    landmark: str = ""

    def words(self) -> str:
        """ "Lindenallee 12", "Am Stadtpark (Spielplatz am Stadtpark)"."""
        text = f"{self.street} {self.number}".strip()
        return f"{text} ({self.landmark})" if self.landmark else text


@dataclass(frozen=True)
class PlaceResult:
    """What a message says about the place: a known place, an unknown street, or nothing."""

    place: Place | None = None
    unknown: str = ""  # a street-like word that is not in the list
    suggestions: tuple[str, ...] = ()


def _load(path: Path, schema: dict[str, Any]) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise KnowledgeError(f"{path.name}: {where}: {exc.message}") from exc
    return dict(doc)


def load_settings(directory: Path) -> ReportSettings:
    """`reports.yml` of ``directory`` (a city without one gets the defaults)."""
    path = directory / REPORTS_FILE
    if not path.exists():
        return ReportSettings()
    doc = _load(path, REPORTS_SCHEMA)
    dup = doc.get("duplicates") or {}
    photo = doc.get("photo") or {}
    default = ReportSettings()
    return ReportSettings(
        due_days=int(doc.get("due_days", default.due_days)),
        window_days=int(dup.get("window_days", default.window_days)),
        house_numbers=int(dup.get("house_numbers", default.house_numbers)),
        photo_max_bytes=int(photo.get("max_bytes", default.photo_max_bytes)),
        photo_max_pixels=int(photo.get("max_pixels", default.photo_max_pixels)),
        photo_types=tuple(photo.get("types") or default.photo_types),
        streets_from_feed=bool(doc.get("streets_from_feed", default.streets_from_feed)),
        status_url=str(doc.get("status_url") or default.status_url),
    )


def load_streets(directory: Path) -> StreetList:
    """`streets.yml` of ``directory`` (none: an empty list, only the feed's streets count)."""
    path = directory / STREETS_FILE
    if not path.exists():
        return StreetList()
    doc = _load(path, STREETS_SCHEMA)
    landmarks = {str(m["name"]): str(m["street"]) for m in doc.get("landmarks") or []}
    return StreetList(tuple(str(s) for s in doc["streets"]), landmarks)


def validate(directory: Path) -> list[str]:
    """Problems of `reports.yml` and `streets.yml` (for ``make validate``)."""
    errors = []
    try:
        load_settings(directory)
        streets = load_streets(directory)
    except (KnowledgeError, yaml.YAMLError) as exc:
        return [str(exc)]
    for name, street in streets.landmarks.items():
        if street not in streets.streets:
            errors.append(f"{STREETS_FILE}: landmark {name!r}: street {street!r} not listed")
    return errors


def _number_after(text: str, street: str) -> str:
    """The house number written after the street's mention (else the first one)."""
    start = max(0, text.lower().find(street.lower()[:5]))
    m = _NUMBER.search(text, start) or _NUMBER.search(text)
    return re.sub(r"\s+", "", m.group(1)).lower() if m else ""


def _core(name: str) -> str:
    """The distinctive part of a street name ("Blumenstraße" → "blumen"): suggestions are
    ranked by it, not by the common ending."""
    return _TYPE_ENDING.sub("", " ".join(name.lower().split()))


def find_place(text: str, streets: StreetList) -> PlaceResult:
    """The place a message names (see the module docstring)."""
    if not text.strip():
        return PlaceResult()
    names = [*streets.streets, *streets.landmarks]
    found = match_street(text, names, limit=1)
    if found:
        name = found[0][0]
        if name in streets.landmarks:
            street = streets.landmarks[name]
            return PlaceResult(Place(street, _number_after(text, street), landmark=name))
        return PlaceResult(Place(name, _number_after(text, name)))
    like = _STREET_LIKE.search(text)
    if like is None:
        return PlaceResult()
    word = like.group(0).strip()
    suggestions = tuple(
        choice
        for choice, _score, _i in process.extract(
            word,
            list(streets.streets),
            scorer=fuzz.ratio,
            processor=_core,
            score_cutoff=SUGGEST_CUTOFF,
            limit=MAX_SUGGESTIONS,
        )
    )
    return PlaceResult(unknown=word, suggestions=suggestions)


def house_number_value(number: str) -> int | None:
    """The numeric part of a house number ("12a" → 12), None without one."""
    m = re.match(r"\d+", number or "")
    return int(m.group(0)) if m else None
