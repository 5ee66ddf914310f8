"""Feed adapter: the GeoJSON of the Berlin traffic information centre (VIZ).

One feature per construction site or closure, German dates ``"DD.MM.YYYY HH:MM"``, the
street as ``"Brückenstraße (Mitte)"``.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from bot.knowledge.closures.model import (
    SOURCE_VIZ,
    Closure,
    FeedFormatError,
    ParseResult,
    _entry_date,
    _record_skip,
    _SkipEntry,
    _text,
    split_street,
)

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
