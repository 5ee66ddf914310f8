"""Road closures and construction sites: one internal model, feed adapters, queries.

Two feed formats are understood:

* the GeoJSON of the Berlin traffic information centre (VIZ) – one feature per
  construction site or closure, German dates ``"DD.MM.YYYY HH:MM"``, the street as
  ``"Brückenstraße (Mitte)"``;
* DATEX II v2 ``SituationPublication`` (``http://datex2.eu/schema/2/2_0``), as published
  by MobiData BW; DATEX II v3 documents with the same element names are read too.

Every entry becomes a :class:`Closure` or is skipped with a reason (logged and returned
in :class:`ParseResult`); nothing is invented for missing data. A document that is not
of the expected shape raises :class:`FeedFormatError`.

The queries take the current time explicitly, so the caller (and the tests) decide
what "now" is.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

logger = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------- VIZ GeoJSON

_DELETED_STATES = frozenset({"deleted", "removed", "cancelled", "canceled", "archived"})


def _load_json(raw: bytes | str | dict[str, Any]) -> Any:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FeedFormatError(f"not valid JSON: {exc}") from exc
    if isinstance(raw, str):
        try:
            return json.loads(raw.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise FeedFormatError(f"not valid JSON: {exc}") from exc
    raise FeedFormatError(f"unsupported input type {type(raw).__name__}")


def parse_viz_geojson(raw: bytes | str | dict[str, Any]) -> ParseResult:
    """Reads a VIZ-style GeoJSON FeatureCollection of construction sites and closures.

    Args:
        raw: the document as bytes, text or already decoded JSON.

    Returns:
        The closures and the skipped features with their reasons.

    Raises:
        FeedFormatError: not JSON, or not a FeatureCollection with a ``features`` list.
    """
    doc = _load_json(raw)
    if not isinstance(doc, dict):
        raise FeedFormatError("GeoJSON document is not an object")
    if doc.get("type", "FeatureCollection") != "FeatureCollection":
        raise FeedFormatError(f"GeoJSON type is {doc.get('type')!r}, not FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise FeedFormatError("GeoJSON document has no 'features' list")
    result = ParseResult()
    seen: set[str] = set()
    for index, feature in enumerate(features):
        ref = f"#{index}"
        try:
            closure = _viz_feature(feature)
            ref = closure.id
            if closure.id in seen:
                raise _SkipEntry("duplicate id")
            seen.add(closure.id)
        except _SkipEntry as skip:
            _record_skip(result, skip.ref or ref, skip.reason, SOURCE_VIZ)
            continue
        result.closures.append(closure)
    return result


def _viz_feature(feature: object) -> Closure:
    if not isinstance(feature, dict):
        raise _SkipEntry("feature is not an object")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise _SkipEntry("feature has no properties object")
    cid = _text(props.get("id"))
    if cid is None:
        raise _SkipEntry("missing id")
    state = (_text(props.get("objectState")) or "").lower()
    if state in _DELETED_STATES:
        raise _SkipEntry(f"objectState is {state!r}", cid)
    street_raw = _text(props.get("street"))
    if street_raw is None:
        raise _SkipEntry("missing street", cid)
    street, district = split_street(street_raw)
    validity = props.get("validity")
    if validity is None:
        validity = {}
    if not isinstance(validity, dict):
        raise _SkipEntry("validity is not an object", cid)
    valid_from = _entry_date(validity.get("from"), "validity.from", cid, end_of_day=False)
    valid_to = _entry_date(validity.get("to"), "validity.to", cid, end_of_day=True)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise _SkipEntry("validity.to is before validity.from", cid)
    return Closure(
        id=cid,
        street=street,
        district=district,
        section=_text(props.get("section")),
        kind=_text(props.get("subtype")) or "Sonstiges",
        severity=_text(props.get("severity")),
        direction=_text(props.get("direction")),
        valid_from=valid_from,
        valid_to=valid_to,
        description=_text(props.get("content")),
        source=SOURCE_VIZ,
    )


def _entry_date(value: object, name: str, ref: str, *, end_of_day: bool) -> datetime | None:
    try:
        return parse_datetime(value, end_of_day=end_of_day)
    except ValueError:
        raise _SkipEntry(f"unparseable {name} {value!r}", ref) from None


def _record_skip(result: ParseResult, ref: str, reason: str, source: str) -> None:
    result.skipped.append((ref, reason))
    logger.warning("closures feed (%s): skipped entry %s: %s", source, ref, reason)


# --------------------------------------------------------------------------- DATEX II

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_DATEX_NS_PREFIX = "http://datex2.eu/schema/"
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)

_WORKS_TYPES = frozenset({"MaintenanceWorks", "ConstructionWorks", "Roadworks"})
_MANAGEMENT_TYPES = frozenset(
    {
        "RoadOrCarriagewayOrLaneManagement",
        "RoadManagement",
        "NetworkManagement",
        "GeneralNetworkManagement",
        "ReroutingManagement",
        "SpeedManagement",
        "WinterDrivingManagement",
        "GeneralInstructionOrMessageToRoadUsers",
    }
)
_KIND_BY_TYPE = {
    "Accident": "Unfall",
    "AbnormalTraffic": "Störung",
    "VehicleObstruction": "Gefahr",
    "GeneralObstruction": "Gefahr",
    "AnimalPresenceObstruction": "Gefahr",
    "EnvironmentalObstruction": "Gefahr",
    "InfrastructureDamageObstruction": "Gefahr",
    "PoorEnvironmentConditions": "Gefahr",
    "WeatherRelatedRoadConditions": "Gefahr",
    "NonWeatherRelatedRoadConditions": "Gefahr",
    "PublicEvent": "Veranstaltung",
    "DisturbanceActivity": "Störung",
    "EquipmentOrSystemFault": "Störung",
    "TransitInformation": "Störung",
}
_SEVERITY_BY_MANAGEMENT = {
    "roadClosed": "Vollsperrung",
    "carriagewayClosures": "Vollsperrung",
    "closedPermanentlyForTheWinter": "Vollsperrung",
    "laneClosures": "Fahrstreifensperrung",
    "narrowLanes": "Fahrbahnverengung",
    "singleAlternateLineTraffic": "halbseitig",
    "contraflow": "halbseitig",
}
_GENERIC_WORKS_TYPES = frozenset({"sonstiges", "sonstige", "other", "unbekannt"})
_DIRECTION_TAGS = frozenset(
    {
        "directionRelativeOnLinearSection",
        "alertCDirectionCoded",
        "tpegDirection",
        "tpegDirectionRoad",
        "directionOnLinearSection",
    }
)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xsi_type(element: ET.Element) -> str:
    return (element.get(_XSI_TYPE) or "").rsplit(":", 1)[-1]


def _child_text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    return _text(found.text) if found is not None else None


def _multilingual(element: ET.Element) -> str | None:
    """The German (else the first) ``values/value`` text below ``element``."""
    values = [v for v in element.iter() if _local(v.tag) == "value"]
    for value in values:
        if (value.get("lang") or "").lower().startswith("de") and _text(value.text):
            return _text(value.text)
    for value in values:
        if _text(value.text):
            return _text(value.text)
    return None


def _load_xml(raw: bytes | str) -> ET.Element:
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if _DTD.search(data):
        # No DTDs at all: no entity expansion, no external entities.
        raise FeedFormatError("XML with a DTD or entity declarations is not accepted")
    try:
        # Safe here: DTDs are rejected above, so nothing can be expanded or fetched.
        return ET.fromstring(raw)  # noqa: S314
    except ET.ParseError as exc:
        raise FeedFormatError(f"not well-formed XML: {exc}") from exc


def parse_datex2(raw: bytes | str) -> ParseResult:
    """Reads a DATEX II SituationPublication: one closure per situation.

    A situation's records (e.g. the roadworks per direction plus their
    ``roadClosed`` management records) are merged into one :class:`Closure`:

    * street: the road number (``L154``) or, without one, the road name;
    * section: the road name(s) of the linear element when a road number is the street;
    * direction: "beide Richtungen" when the records cover both directions
      (``both``, or linear elements named ``A-B`` and ``B-A``);
    * severity: the most severe of the records (``roadClosed`` or
      ``capacityRemaining`` 0 with ``allLanesCompleteCarriageway`` → Vollsperrung,
      lane closures → Fahrstreifensperrung, reduced capacity → Fahrbahnverengung);
    * validity: the publisher's overall situation (MobiData BW extension) when present,
      else the earliest start and latest end of the records;
    * description: the roadworks name, other comments and "Umleitung: ..." from the
      route recommendations (``generalPublicComment``).

    Args:
        raw: the XML document.

    Returns:
        The closures and the skipped situations with their reasons.

    Raises:
        FeedFormatError: not XML, not DATEX II, or no SituationPublication.
    """
    root = _load_xml(raw)
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if not namespace.startswith(_DATEX_NS_PREFIX):
        raise FeedFormatError(f"not a DATEX II document (root namespace {namespace!r})")
    publications = [
        el
        for el in root.iter()
        if _local(el.tag) in {"payloadPublication", "payload"} or el is root
        if _xsi_type(el).endswith("SituationPublication")
    ]
    if not publications:
        raise FeedFormatError("DATEX II document without a SituationPublication")
    result = ParseResult()
    seen: set[str] = set()
    index = 0
    for publication in publications:
        for situation in publication.iter():
            if _local(situation.tag) != "situation":
                continue
            ref = situation.get("id") or f"#{index}"
            index += 1
            try:
                if ref in seen:
                    raise _SkipEntry("duplicate id")
                closure = _datex_situation(situation, ref)
            except _SkipEntry as skip:
                _record_skip(result, ref, skip.reason, SOURCE_DATEX2)
                continue
            seen.add(ref)
            result.closures.append(closure)
    return result


@dataclass
class _Record:
    rid: str
    type: str
    start: datetime | None
    end: datetime | None
    severity: str | None
    road_numbers: list[str]
    road_names: list[str]
    directions: list[str]
    comments: list[tuple[str, str]]


def _validity(element: ET.Element, rid: str) -> tuple[str | None, datetime | None, datetime | None]:
    validity = element.find("{*}validity")
    if validity is None:
        return None, None, None
    status = _child_text(validity, "{*}validityStatus")
    spec = validity.find("{*}validityTimeSpecification")
    start_raw = _child_text(spec, "{*}overallStartTime")
    end_raw = _child_text(spec, "{*}overallEndTime")
    try:
        start = parse_datetime(start_raw)
    except ValueError:
        raise _SkipEntry(f"record {rid}: unparseable overallStartTime {start_raw!r}") from None
    try:
        end = parse_datetime(end_raw, end_of_day=True)
    except ValueError:
        raise _SkipEntry(f"record {rid}: unparseable overallEndTime {end_raw!r}") from None
    return status, start, end


def _comments(element: ET.Element) -> list[tuple[str, str]]:
    comments: list[tuple[str, str]] = []
    for gpc in element.findall("{*}generalPublicComment"):
        comment = gpc.find("{*}comment")
        text = _multilingual(comment) if comment is not None else None
        if not text:
            continue
        ctype = ""
        for el in gpc.iter():
            if _local(el.tag) in {"commentType2", "commentType"} and _text(el.text):
                ctype = _text(el.text) or ""
                break
        comments.append((ctype, text))
    return comments


def _record_severity(record: ET.Element) -> str | None:
    candidates: list[str] = []
    management = _child_text(record, ".//{*}roadOrCarriagewayOrLaneManagementType")
    if management in _SEVERITY_BY_MANAGEMENT:
        candidates.append(_SEVERITY_BY_MANAGEMENT[management])
    impact = record.find("{*}impact")
    if impact is not None:
        capacity = _float(_child_text(impact, "{*}capacityRemaining"))
        restricted = _float(_child_text(impact, "{*}numberOfLanesRestricted"))
        original = _float(_child_text(impact, "{*}originalNumberOfLanes"))
        lanes = {
            _text(el.text) or ""
            for el in impact.iter()
            if _local(el.tag) == "lane" and _text(el.text)
        }
        all_lanes = "allLanesCompleteCarriageway" in lanes or (
            restricted is not None and original is not None and restricted >= original > 0
        )
        if capacity == 0 and (all_lanes or not lanes):
            candidates.append("Vollsperrung")
        elif lanes or (restricted is not None and restricted > 0):
            candidates.append("Vollsperrung" if all_lanes else "Fahrstreifensperrung")
        elif capacity is not None and capacity < 100:
            candidates.append("Fahrbahnverengung")
    if not candidates:
        return None
    return max(candidates, key=severity_rank)


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _location(record: ET.Element) -> tuple[list[str], list[str], list[str]]:
    numbers: list[str] = []
    names: list[str] = []
    directions: list[str] = []
    for location in record:
        if _local(location.tag) not in {"groupOfLocations", "locationReference"}:
            continue
        for el in location.iter():
            tag = _local(el.tag)
            if tag == "roadNumber":
                number = _text(el.text)
                if number and all(_compact(number) != _compact(n) for n in numbers):
                    numbers.append(number)
            elif tag == "roadName":
                name = _multilingual(el)
                if name and name not in names:
                    names.append(name)
            elif tag in _DIRECTION_TAGS:
                direction = _text(el.text)
                if direction and direction not in directions:
                    directions.append(direction)
    return numbers, names, directions


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def _datex_record(record: ET.Element, index: int) -> tuple[str | None, _Record]:
    rid = record.get("id") or f"#{index}"
    status, start, end = _validity(record, rid)
    numbers, names, directions = _location(record)
    return status, _Record(
        rid=rid,
        type=_xsi_type(record),
        start=start,
        end=end,
        severity=_record_severity(record),
        road_numbers=numbers,
        road_names=names,
        directions=directions,
        comments=_comments(record),
    )


def _reversed_names(first: str, second: str) -> bool:
    """True for "Albbruck-St. Blasien" / "St. Blasien-Albbruck"."""
    for pos, char in enumerate(first):
        if char == "-":
            head, tail = first[:pos].strip(), first[pos + 1 :].strip()
            if head and tail and _compact(f"{tail}-{head}") == _compact(second):
                return True
    return False


def _datex_situation(situation: ET.Element, sid: str) -> Closure:
    records: list[_Record] = []
    for index, element in enumerate(situation.findall("{*}situationRecord")):
        status, record = _datex_record(element, index)
        if status == "suspended":
            continue
        records.append(record)
    if not records:
        if situation.find("{*}situationRecord") is not None:
            raise _SkipEntry("all situation records are suspended")
        raise _SkipEntry("situation without situationRecord")

    numbers: list[str] = []
    names: list[str] = []
    directions: list[str] = []
    for record in records:
        numbers += [
            n for n in record.road_numbers if all(_compact(n) != _compact(x) for x in numbers)
        ]
        names += [n for n in record.road_names if n not in names]
        directions += [d for d in record.directions if d not in directions]
    if numbers:
        street = " / ".join(numbers)
    elif names:
        street = names[0] if len(names) == 1 else " / ".join(names)
    else:
        raise _SkipEntry("no road number or road name in the location")

    both = any(d.lower() in {"both", "bothways"} for d in directions) or any(
        _reversed_names(a, b) for a in names for b in names if a != b
    )
    section: str | None = None
    if numbers and names:
        if both and len(names) == 2 and _reversed_names(names[0], names[1]):
            section = names[0]
        else:
            section = " / ".join(names)
    direction = "beide Richtungen" if both else None

    overall = situation.find(".//{*}overallSituation")
    start: datetime | None
    end: datetime | None
    overall_times: tuple[datetime | None, datetime | None] = (None, None)
    if overall is not None:
        _status, overall_start, overall_end = _validity(overall, overall.get("id") or sid)
        overall_times = (overall_start, overall_end)
    if overall_times != (None, None):
        start, end = overall_times
    else:
        starts = [r.start for r in records if r.start is not None]
        start = min(starts) if starts else None
        ends = [r.end for r in records]
        end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    if start is not None and end is not None and end < start:
        raise _SkipEntry("overallEndTime is before overallStartTime")

    severities = [r.severity for r in records if r.severity]
    severity = max(severities, key=severity_rank) if severities else None

    return Closure(
        id=sid,
        street=street,
        district=None,
        section=section,
        kind=_datex_kind(records),
        severity=severity,
        direction=direction,
        valid_from=start,
        valid_to=end,
        description=_datex_description(records, overall),
        source=SOURCE_DATEX2,
    )


def _datex_kind(records: Sequence[_Record]) -> str:
    types = [r.type for r in records]
    if any(t in _WORKS_TYPES for t in types):
        return "Baustelle"
    for record_type in types:
        if record_type in _KIND_BY_TYPE:
            return _KIND_BY_TYPE[record_type]
    if any(t in _MANAGEMENT_TYPES for t in types):
        return "Sperrung"
    return "Störung"


def _datex_description(records: Sequence[_Record], overall: ET.Element | None) -> str | None:
    overall_comments = _comments(overall) if overall is not None else []
    name = next((t for c, t in overall_comments if c == "roadworksName"), None)
    record_names: list[str] = []
    works_types: list[str] = []
    plain: list[str] = []
    detours: list[str] = []
    for ctype, text in [c for r in records for c in r.comments] + overall_comments:
        if ctype == "routeRecommendation":
            target = detours
        elif ctype == "roadworksName":
            target = record_names
        elif ctype == "roadworksType":
            if text.lower() in _GENERIC_WORKS_TYPES:
                continue
            target = works_types
        else:
            target = plain
        if text not in target:
            target.append(text)
    parts: list[str] = []
    if name:
        parts.append(name)
    elif record_names:
        parts.append(record_names[0])
    parts += [t for t in works_types + plain if t not in parts]
    if detours:
        parts.append("Umleitung: " + "; ".join(detours))
    cleaned = [p.rstrip(". ") for p in parts if p.rstrip(". ")]
    return ". ".join(cleaned) if cleaned else None


# --------------------------------------------------------------------------- sniffing


def parse_feed(raw: bytes, content_type: str | None = None) -> ParseResult:
    """Parses a closures document, recognising VIZ GeoJSON or DATEX II XML by content.

    Args:
        raw: the document.
        content_type: the HTTP Content-Type, used only when the content is ambiguous.

    Raises:
        FeedFormatError: neither format, or the document is malformed.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return parse_viz_geojson(data)
    if head == b"<":
        return parse_datex2(body.lstrip())  # tolerate whitespace before the declaration
    ctype = (content_type or "").lower()
    if not body.strip():
        raise FeedFormatError("empty document")
    if "json" in ctype:
        return parse_viz_geojson(data)
    if "xml" in ctype:
        return parse_datex2(data)
    raise FeedFormatError("document is neither JSON nor XML")


# --------------------------------------------------------------------------- queries

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


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case, umlauts transliterated, accents removed: "Brücke" → "bruecke"."""
    text = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_COMPASS = {
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
        if token in _COMPASS:
            return _COMPASS[token], True
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


# --------------------------------------------------------------------------- streets

_PARENTHESIS = re.compile(r"\([^()]*\)")
_STREET_WORD = re.compile(r"stras+e\b|str\.|str\b")
_ALTERNATIVES = re.compile(r"\s*/\s*|\s+-\s+")
_MAX_NGRAM = 6
# Street-type endings (after normalisation). Two names ending in different types are
# different streets ("Spandauer Damm" is not "Spandauer Straße"), and with the same type
# the distinctive part alone must be similar enough ("Fürstendamm" is not "Kurfürstendamm").
_STREET_TYPES = (
    "chaussee",
    "allee",
    "bruecke",
    "damm",
    "gasse",
    "graben",
    "markt",
    "pfad",
    "platz",
    "ring",
    "steig",
    "str",
    "ufer",
    "weg",
)


def normalize_street(text: str) -> list[str]:
    """The tokens of a street name or message, normalised for matching.

    Case and umlauts folded, "Straße"/"Strasse"/"Str."/"Str" → "str", hyphens and
    punctuation removed, parentheses (district) dropped:
    "Goethe-Straße (Mitte)" → ``["goethe", "str"]``.
    """
    text = _PARENTHESIS.sub(" ", fold(text))
    text = _STREET_WORD.sub("str ", text)
    return [_misspelt_street_word(token) for token in _WORDS.findall(text)]


def _misspelt_street_word(token: str) -> str:
    """One typo in "strasse" fixed: "brueckenstase", "goethestarsse" → "brueckenstr", ...."""
    if token.endswith("str") or not token.endswith("e") or len(token) < 6:
        return token
    best: tuple[int, int] | None = None
    for length in (6, 7, 8):
        prefix, tail = token[:-length], token[-length:]
        if len(token) < length or 0 < len(prefix) < 3:
            continue
        distance = OSA.distance(tail, "strasse")
        if distance <= 1 and (best is None or distance < best[0]):
            best = (distance, length)
    return token if best is None else token[: -best[1]] + "str"


def _split_type(compact: str) -> tuple[str, str]:
    """``"kurfuerstendamm"`` → ``("kurfuersten", "damm")``; no known ending → ``(compact, "")``."""
    for ending in _STREET_TYPES:
        if compact.endswith(ending) and len(compact) > len(ending):
            return compact[: -len(ending)], ending
    return compact, ""


@dataclass(frozen=True)
class _Alias:
    compact: str
    exact_only: bool
    tokens: int
    core: str
    ending: str


@lru_cache(maxsize=4096)
def _street_aliases(street: str) -> tuple[_Alias, ...]:
    """The forms under which a street of the feed can be mentioned."""
    names: list[str] = []
    base = " ".join(_PARENTHESIS.sub(" ", street).split())
    names.append(base)
    parts = [p for p in _ALTERNATIVES.split(base) if p.strip()]
    if len(parts) > 1:
        names += parts  # "Stralauer Straße/Holzmarktstraße"
    if _ROAD_NUMBER.match(base):
        names += [m.strip() for m in re.findall(r"\(([^()]*)\)", street)]  # "A100 (Stadtring)"
    aliases: list[_Alias] = []
    for name in names:
        tokens = normalize_street(name)
        compact = "".join(tokens)
        if len(compact) < 3:
            continue
        exact_only = bool(_ROAD_NUMBER.match(name.strip())) or len(compact) < 6
        core, ending = _split_type(compact)
        aliases.append(_Alias(compact, exact_only, len(tokens), core, ending))
    return tuple(aliases)


def _fuzzy_score(gram: str, alias: _Alias, score: float) -> float:
    """The ratio ``score`` of an n-gram and an alias, checked against the street type.

    With a known ending on both sides, the endings must agree and the distinctive parts
    alone must reach the threshold too ("Spandauer Damm" is not "Spandauer Straße").
    """
    if not alias.ending:
        return score
    core, ending = _split_type(gram)
    if not ending:
        return score
    if ending != alias.ending or len(alias.core) < 4:
        return 0.0
    return min(score, float(fuzz.ratio(core, alias.core)))


def match_street(query: str, streets: Iterable[str], limit: int = 3) -> list[tuple[str, float]]:
    """Finds the streets of the feed mentioned in ``query``.

    ``query`` can be a bare street ("goethestr.") or a whole message ("Ist die
    Goethestrasse gesperrt?"). Every word n-gram of the message is compared with every
    street (and with each part of "A-Straße/B-Straße") using rapidfuzz's ratio on the
    normalised, space-free form; the best n-gram counts. Names with the same ending
    (…straße, …damm) must also be similar without it, so "Fürstendamm" is not taken for
    "Kurfürstendamm"; road numbers and very short names must match exactly. Where a
    street matched better on the same words, weaker matches on those words are dropped.

    Args:
        query: the user's words.
        streets: street names as in the feed (duplicates and districts allowed).
        limit: at most this many results.

    Returns:
        ``(street as in the feed, score 0-100)``, best first, only scores >=
        :data:`STREET_MATCH_THRESHOLD`; empty when no street is mentioned. A score
        below 100 is a fuzzy match (typo); the bot should name the street it found.
    """
    tokens = normalize_street(query)
    if not tokens or limit <= 0:
        return []
    candidates: dict[str, tuple[_Alias, ...]] = {}
    for street in streets:
        if street and street not in candidates:
            candidates[street] = _street_aliases(street)
    if not candidates:
        return []
    longest = max((a.tokens for aliases in candidates.values() for a in aliases), default=1)
    max_n = min(_MAX_NGRAM, longest + 1)
    grams: dict[str, tuple[int, int]] = {}
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n + 1):
            grams.setdefault("".join(tokens[i : i + n]), (i, i + n))

    best: dict[str, tuple[float, tuple[int, int]]] = {}
    fuzzy: list[tuple[str, _Alias]] = []
    for street, aliases in candidates.items():
        for alias in aliases:
            if alias.compact in grams:
                best[street] = (100.0, grams[alias.compact])
            elif not alias.exact_only:
                fuzzy.append((street, alias))
    choices = [alias.compact for _street, alias in fuzzy]
    for gram, span in grams.items():
        for _choice, ratio, index in process.extract(
            gram, choices, scorer=fuzz.ratio, score_cutoff=STREET_MATCH_THRESHOLD, limit=None
        ):
            street, alias = fuzzy[index]
            score = _fuzzy_score(gram, alias, float(ratio))
            if score >= STREET_MATCH_THRESHOLD and score > best.get(street, (0.0, span))[0]:
                best[street] = (score, span)
    scored = [(round(score, 1), street, span) for street, (score, span) in best.items()]
    scored.sort(key=lambda item: (-item[0], item[1]))
    accepted: list[tuple[float, str, tuple[int, int]]] = []
    for score, street, span in scored:
        if any(
            other > score and span[0] < other_span[1] and other_span[0] < span[1]
            for other, _street, other_span in accepted
        ):
            continue  # the same words name a better-matching street
        accepted.append((score, street, span))
    return [(street, score) for score, street, _span in accepted[:limit]]


def on_street(closures: Iterable[Closure], query: str, limit: int = 3) -> list[Closure]:
    """The closures on the street(s) that ``query`` mentions (see :func:`match_street`)."""
    items = list(closures)
    matched = {street for street, _ in match_street(query, (c.street for c in items), limit)}
    return [c for c in items if c.street in matched]


# --------------------------------------------------------------------------- wording


def _format_moment(moment: datetime, *, is_end: bool) -> str:
    local = moment.astimezone(local_tz())
    if (not is_end and (local.hour, local.minute) == (0, 0)) or (
        is_end and (local.hour, local.minute) == (23, 59)
    ):
        return local.strftime("%d.%m.%Y")
    return local.strftime("%d.%m.%Y, %H:%M Uhr")


def format_period(c: Closure, now: datetime | None = None) -> str:
    """The validity in German for the citizen.

    With ``now``, a closure that has begun reads "seit …", an upcoming one "ab …", an
    ended one "vom … bis …"; without ``now`` the start reads "vom …" (or "ab …" for an
    open end). A start at
    00:00 and an end at 23:59 are shown as a date only.

    Examples:
        "seit 01.09.2026, 06:00 Uhr bis 31.12.2027, 18:00 Uhr",
        "ab 05.01.2027 bis 28.02.2027, 17:00 Uhr", "seit 31.07.2020, 11:00 Uhr bis auf
        Weiteres", "bis 31.01.2027", "bis auf Weiteres".
    """
    if now is not None:
        _require_aware(now)
    end = (
        f"bis {_format_moment(c.valid_to, is_end=True)}"
        if c.valid_to is not None
        else "bis auf Weiteres"
    )
    if c.valid_from is None:
        return end
    start = _format_moment(c.valid_from, is_end=False)
    if now is None or (c.valid_to is not None and now > c.valid_to):
        word = "vom" if c.valid_to is not None else "ab"
    else:
        word = "ab" if now < c.valid_from else "seit"
    return f"{word} {start} {end}"
