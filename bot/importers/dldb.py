"""Import from a DLDB (Dienstleistungsdatenbank, ZMS) JSON export.

Two files, each ``{"created", "datacount", "locale", "hash", "error", "data": [...]}``
(a bare list or a mapping ``id → entry`` under ``data`` is accepted as well):

- **locations** ("Standorte"): ``id``, ``name``, ``address`` (street, house_number,
  postal_code, city), ``authority`` (id, name), ``category`` (identifier, name),
  ``office`` (type such as ``buergeramt``), ``contact`` (phone, email, webinfo),
  ``opening_times`` (monday … sunday free text, special), ``accessibility`` (access, …),
  ``payment``, ``appointment`` (link, …), ``meta`` (keywords, url), ``services``
  (``[{service, appointment: {allowed, link, …}}]``).
- **services** ("Dienstleistungen"), reduced (``id``, ``name``, ``locations``) or full
  (``fees``, ``requirements``, ``onlineprocessing``, ``meta.keywords``, …).

Every field may be missing, ``null``, ``"false"`` or of an unexpected type: the importer
takes what it can and lists the rest in the report. It never raises for content, only
for files that cannot be read as JSON (with the file name).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.importers.hours import convert_week
from bot.importers.knowledge_writer import (
    ImportedOffice,
    ImportedService,
    ImportError_,
    ImportReport,
    ImportResult,
    ImportTarget,
    clean_email,
    clean_url,
    district_from_authority,
    text_or_none,
)


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of an export file (``data`` list, ``data`` mapping or a bare list)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ImportError_(f"{path}: file not found") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportError_(f"{path}: not a JSON export: {exc}") from exc
    data = raw.get("data") if isinstance(raw, dict) else raw
    if isinstance(data, dict):
        data = list(data.values())
    if not isinstance(data, list):
        raise ImportError_(f"{path}: no list of entries under 'data'")
    return [e for e in data if isinstance(e, dict)]


def _get(entry: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(entry, Mapping):
            return None
        entry = entry.get(key)
    return entry


def _items(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        yield from value
    elif isinstance(value, dict):
        yield from value.values()


def _address(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    addr = entry.get("address")
    if isinstance(addr, str):
        return text_or_none(addr), None
    street = text_or_none(_get(addr, "street"))
    number = text_or_none(_get(addr, "house_number"))
    plz = text_or_none(_get(addr, "postal_code"))
    city = text_or_none(_get(addr, "city"))
    first = " ".join(x for x in (street, number) if x)
    second = " ".join(x for x in (plz, city) if x)
    text = ", ".join(x for x in (first, second) if x)
    return (text or None), plz


def _appointment_url(entry: dict[str, Any], base: str) -> str | None:
    url = clean_url(_get(entry, "appointment", "link"), base)
    if url:
        return url
    for s in _items(entry.get("services")):
        allowed = _get(s, "appointment", "allowed")
        if allowed is True or str(allowed).lower() == "true":
            url = clean_url(_get(s, "appointment", "link"), base)
            if url:
                return url
    return None


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        words = [str(v) for v in value]
    else:
        words = (text_or_none(value) or "").split(",")
    return [w.strip() for w in words if w and len(w.strip()) >= 3 and len(w.strip()) <= 60]


def office_from_location(
    entry: dict[str, Any], districts: Mapping[str, str], appointment_base: str = ""
) -> ImportedOffice | None:
    """One office from a location entry; ``None`` without id or name."""
    source_id = text_or_none(entry.get("id"))
    name = text_or_none(entry.get("name"))
    if not source_id or not name or len(name) < 2:
        return None
    address, plz = _address(entry)
    authority = text_or_none(_get(entry, "authority", "name")) or text_or_none(
        entry.get("authority_name")
    )
    district = (districts.get(plz) if plz else None) or district_from_authority(authority)
    access = text_or_none(_get(entry, "accessibility", "access"))
    return ImportedOffice(
        source_id=source_id,
        name=name[:120],
        address=address,
        postal_code=plz,
        authority=authority,
        category=text_or_none(_get(entry, "category", "name")) or text_or_none(entry.get("office")),
        district=district,
        phone=text_or_none(_get(entry, "contact", "phone")),
        email=clean_email(_get(entry, "contact", "email")),
        website=clean_url(_get(entry, "contact", "webinfo")),
        appointment_url=_appointment_url(entry, appointment_base),
        accessibility=access,
        payment=text_or_none(entry.get("payment")),
        aliases=_keywords(_get(entry, "meta", "keywords")),
        hours=convert_week(entry.get("opening_times")),
    )


def service_from_entry(entry: dict[str, Any]) -> ImportedService | None:
    """One service (reduced or full form); ``None`` without id or name."""
    source_id = text_or_none(entry.get("id"))
    name = text_or_none(entry.get("name"))
    if not source_id or not name or len(name) < 2:
        return None
    offices = []
    for loc in _items(entry.get("locations")):
        ref = loc.get("location") if isinstance(loc, dict) else loc
        ref = text_or_none(ref)
        if ref:
            offices.append(ref)
    documents = []
    for req in _items(entry.get("requirements")):
        doc = text_or_none(req.get("name") if isinstance(req, dict) else req)
        if doc:
            documents.append(doc[:200])
    fee = text_or_none(entry.get("fees"))
    return ImportedService(
        source_id=source_id,
        name=name[:160],
        offices=offices,
        fee=fee[:300] if fee else None,
        documents=documents[:12],
        online=clean_url(_get(entry, "onlineprocessing", "link")),
        synonyms=_keywords(_get(entry, "meta", "keywords"))[:15],
    )


def import_dldb(locations_path: Path, services_path: Path, target: ImportTarget) -> ImportResult:
    """Reads both files; returns offices, services, profile, report and a default office."""
    report = ImportReport(source=f"DLDB export {locations_path.name} + {services_path.name}")
    offices: list[ImportedOffice] = []
    seen: set[str] = set()
    location_services: dict[str, list[str]] = {}
    default_office = None
    for i, entry in enumerate(read_entries(locations_path)):
        office = office_from_location(entry, target.districts, target.appointment_base)
        if office is None:
            report.warnings.append(f"{locations_path.name}: entry {i}: no id or name, skipped")
            continue
        if office.source_id in seen:
            report.warnings.append(
                f"{locations_path.name}: id {office.source_id} twice, kept first"
            )
            continue
        seen.add(office.source_id)
        offices.append(office)
        if default_office is None and text_or_none(entry.get("office")) == "buergeramt":
            default_office = office.source_id
        for s in _items(entry.get("services")):
            ref = text_or_none(s.get("service") if isinstance(s, dict) else s)
            if ref:
                location_services.setdefault(ref, []).append(office.source_id)
    services: list[ImportedService] = []
    seen = set()
    for i, entry in enumerate(read_entries(services_path)):
        service = service_from_entry(entry)
        if service is None:
            report.warnings.append(f"{services_path.name}: entry {i}: no id or name, skipped")
            continue
        if service.source_id in seen:
            continue
        seen.add(service.source_id)
        # Links may be given on either side; both count.
        service.offices = list(
            dict.fromkeys([*service.offices, *location_services.get(service.source_id, [])])
        )
        services.append(service)
    return offices, services, target.profile(), report, default_office
