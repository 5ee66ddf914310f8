"""Feed adapter: DATEX II ``SituationPublication`` (one closure per situation).

DATEX II v2 (``http://datex2.eu/schema/2/2_0``) as published by MobiData BW; DATEX II v3
documents with the same element names are read too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.knowledge.closures.model import (
    SOURCE_DATEX2,
    Closure,
    FeedFormatError,
    ParseResult,
    _record_skip,
    _SkipEntry,
    _text,
    parse_datetime,
    severity_rank,
)

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
