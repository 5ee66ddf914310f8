"""Import from two CSV files that any city can export from a spreadsheet.

Separator ``;`` or ``,`` (detected), UTF-8 with or without BOM, German headers (case and
surrounding spaces do not matter; unknown columns are ignored). Documented with an
example in ``docs/IMPORT.md``. Lists inside a cell are separated by ``|``.

offices (Standorte): ``ID``, ``Name`` required; ``Straße``, ``Hausnummer``, ``PLZ``,
``Ort``, ``Bezirk``, ``Behörde``, ``Kategorie``, ``Telefon``, ``E-Mail``, ``Webseite``,
``Terminlink``, ``Montag`` … ``Sonntag`` (free text as in DLDB), ``Hinweis``,
``Barrierefreiheit``, ``Zahlung``, ``Suchbegriffe``.

services (Leistungen): ``ID``, ``Name``, ``Standorte`` (office IDs) required; ``Gebühr``,
``Unterlagen``, ``Online``, ``Suchbegriffe``.

Errors name the file, the line and the column; all of them are collected before failing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from bot.importers.dldb import ImportError_
from bot.importers.hours import WEEKDAYS, convert_week
from bot.importers.knowledge_writer import (
    ImportedOffice,
    ImportedService,
    ImportReport,
    ImportResult,
    ImportTarget,
    clean_email,
    clean_url,
    district_from_authority,
    text_or_none,
)

OFFICE_COLUMNS = (
    "ID",
    "Name",
    "Straße",
    "Hausnummer",
    "PLZ",
    "Ort",
    "Bezirk",
    "Behörde",
    "Kategorie",
    "Telefon",
    "E-Mail",
    "Webseite",
    "Terminlink",
    *(german for _, _, german in WEEKDAYS),
    "Hinweis",
    "Barrierefreiheit",
    "Zahlung",
    "Suchbegriffe",
)
SERVICE_COLUMNS = ("ID", "Name", "Standorte", "Gebühr", "Unterlagen", "Online", "Suchbegriffe")
_REQUIRED = {"offices": ("ID", "Name"), "services": ("ID", "Name", "Standorte")}


def _key(header: str) -> str:
    return " ".join(header.strip().lower().split()).replace("strasse", "straße")


def read_rows(path: Path, kind: str, errors: list[str]) -> list[tuple[int, dict[str, str]]]:
    """``(line, {column: value})`` per data row; header problems go to ``errors``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImportError_(f"{path}: file not found") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportError_(f"{path.name}: line {line}: not UTF-8 text") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        errors.append(f"{path.name}: line 1: the file is empty")
        return []
    columns = [_key(h) for h in header]
    for name in _REQUIRED[kind]:
        if _key(name) not in columns:
            errors.append(f"{path.name}: line 1: column {name!r} is missing")
    rows = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            errors.append(
                f"{path.name}: line {line}: {len(row)} cells but {len(columns)} columns "
                f"(separator {delimiter!r}; quote cells that contain it)"
            )
            continue
        rows.append((line, {c: v.strip() for c, v in zip(columns, row, strict=False)}))
    return rows


def _cell(row: Mapping[str, str], column: str) -> str | None:
    return text_or_none(row.get(_key(column)))


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


def _identified(
    row: Mapping[str, str], where: str, seen: set[str], errors: list[str]
) -> tuple[str, str] | None:
    """The row's ID and Name, recorded in ``seen``; None (and an error) when either is
    empty or the ID was used before."""
    row_id, name = _cell(row, "ID"), _cell(row, "Name")
    if not row_id:
        errors.append(f"{where}, column ID: empty")
    elif row_id in seen:
        errors.append(f"{where}, column ID: {row_id!r} is used twice")
    elif not name or len(name) < 2:
        errors.append(f"{where}, column Name: empty")
    else:
        seen.add(row_id)
        return row_id, name
    return None


def import_csv(offices_path: Path, services_path: Path, target: ImportTarget) -> ImportResult:
    """Reads both files.

    Raises:
        ImportError_: listing every problem with file, line and column.
    """
    errors: list[str] = []
    report = ImportReport(source=f"CSV {offices_path.name} + {services_path.name}")
    offices: list[ImportedOffice] = []
    ids: set[str] = set()
    for line, row in read_rows(offices_path, "offices", errors):
        where = f"{offices_path.name}: line {line}"
        named = _identified(row, where, ids, errors)
        if named is None:
            continue
        oid, name = named
        email_raw = _cell(row, "E-Mail")
        email = clean_email(email_raw)
        if email_raw and not email:
            errors.append(f"{where}, column E-Mail: {email_raw!r} is not an e-mail address")
        link_raw = _cell(row, "Terminlink")
        link = clean_url(link_raw, target.appointment_base)
        if link_raw and not link:
            errors.append(f"{where}, column Terminlink: {link_raw!r} is not a web address")
        street = " ".join(x for x in (_cell(row, "Straße"), _cell(row, "Hausnummer")) if x)
        plz = _cell(row, "PLZ")
        town = " ".join(x for x in (plz, _cell(row, "Ort") or target.city) if x)
        authority = _cell(row, "Behörde")
        district = (
            _cell(row, "Bezirk")
            or target.districts.get(plz or "")
            or district_from_authority(authority)
        )
        week = {key: row.get(_key(german), "") for key, _, german in WEEKDAYS}
        week["special"] = row.get(_key("Hinweis"), "")
        offices.append(
            ImportedOffice(
                source_id=oid,
                name=name,
                address=", ".join(x for x in (street, town) if x) or None,
                postal_code=plz,
                authority=authority,
                category=_cell(row, "Kategorie"),
                district=district,
                phone=_cell(row, "Telefon"),
                email=email,
                website=clean_url(_cell(row, "Webseite")),
                appointment_url=link,
                accessibility=_cell(row, "Barrierefreiheit"),
                payment=_cell(row, "Zahlung"),
                aliases=_list(_cell(row, "Suchbegriffe")),
                hours=convert_week(week),
            )
        )
    services: list[ImportedService] = []
    sids: set[str] = set()
    for line, row in read_rows(services_path, "services", errors):
        where = f"{services_path.name}: line {line}"
        named = _identified(row, where, sids, errors)
        if named is None:
            continue
        sid, name = named
        refs = [r.strip() for r in (_cell(row, "Standorte") or "").replace(",", "|").split("|")]
        refs = [r for r in refs if r]
        if not refs:
            errors.append(f"{where}, column Standorte: empty")
        for ref in refs:
            if ref not in ids:
                errors.append(
                    f"{where}, column Standorte: office {ref!r} is not in the offices file"
                )
        online_raw = _cell(row, "Online")
        online = clean_url(online_raw)
        if online_raw and not online:
            errors.append(f"{where}, column Online: {online_raw!r} is not a web address")
        services.append(
            ImportedService(
                source_id=sid,
                name=name,
                offices=[r for r in refs if r in ids],
                fee=_cell(row, "Gebühr"),
                documents=_list(_cell(row, "Unterlagen")),
                online=online,
                synonyms=_list(_cell(row, "Suchbegriffe")),
            )
        )
    if errors:
        raise ImportError_("\n  ".join(["invalid CSV input:", *errors]))
    return offices, services, target.profile(), report, None
