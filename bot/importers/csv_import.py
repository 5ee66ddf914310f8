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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from bot.importers import knowledge_writer as writer
from bot.importers.hours import WEEKDAYS, convert_week

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
        raise writer.ImportError_(f"{path}: file not found") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise writer.ImportError_(f"{path.name}: line {line}: not UTF-8 text") from exc
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
    return writer.text_or_none(row.get(_key(column)))


def _cleaned(
    row: Mapping[str, str],
    column: str,
    clean: Callable[[str | None], str | None],
    what: str,
    where: str,
    errors: list[str],
) -> str | None:
    """The cell cleaned; an error (``what`` it should be) when the cell has another value."""
    raw = _cell(row, column)
    value = clean(raw)
    if raw and not value:
        errors.append(f"{where}, column {column}: {raw!r} is not {what}")
    return value


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


def _records(
    path: Path, kind: str, seen: set[str], errors: list[str]
) -> Iterator[tuple[dict[str, str], str, str, str]]:
    """``(row, where, ID, Name)`` of each row with a new ID and a name (see
    :func:`_identified`); ``where`` names the file and line for error messages."""
    for line, row in read_rows(path, kind, errors):
        where = f"{path.name}: line {line}"
        named = _identified(row, where, seen, errors)
        if named is not None:
            yield row, where, *named


def import_csv(
    offices_path: Path, services_path: Path, target: writer.ImportTarget
) -> writer.ImportResult:
    """Reads both files.

    Raises:
        writer.ImportError_: listing every problem with file, line and column.
    """
    errors: list[str] = []
    report = writer.ImportReport(source=f"CSV {offices_path.name} + {services_path.name}")
    offices: list[writer.ImportedOffice] = []

    def appointment_url(value: str | None) -> str | None:
        return writer.clean_url(value, target.appointment_base)

    ids: set[str] = set()
    for row, where, oid, name in _records(offices_path, "offices", ids, errors):
        email = _cleaned(row, "E-Mail", writer.clean_email, "an e-mail address", where, errors)
        link = _cleaned(row, "Terminlink", appointment_url, "a web address", where, errors)
        street = " ".join(x for x in (_cell(row, "Straße"), _cell(row, "Hausnummer")) if x)
        plz = _cell(row, "PLZ")
        town = " ".join(x for x in (plz, _cell(row, "Ort") or target.city) if x)
        authority = _cell(row, "Behörde")
        district = (
            _cell(row, "Bezirk")
            or target.districts.get(plz or "")
            or writer.district_from_authority(authority)
        )
        week = {key: row.get(_key(german), "") for key, _, german in WEEKDAYS}
        week["special"] = row.get(_key("Hinweis"), "")
        offices.append(
            writer.ImportedOffice(
                source_id=oid,
                name=name,
                address=", ".join(x for x in (street, town) if x) or None,
                postal_code=plz,
                authority=authority,
                category=_cell(row, "Kategorie"),
                district=district,
                phone=_cell(row, "Telefon"),
                email=email,
                website=writer.clean_url(_cell(row, "Webseite")),
                appointment_url=link,
                accessibility=_cell(row, "Barrierefreiheit"),
                payment=_cell(row, "Zahlung"),
                aliases=_list(_cell(row, "Suchbegriffe")),
                hours=convert_week(week),
            )
        )
    services: list[writer.ImportedService] = []
    sids: set[str] = set()
    for row, where, sid, name in _records(services_path, "services", sids, errors):
        refs = [r.strip() for r in (_cell(row, "Standorte") or "").replace(",", "|").split("|")]
        refs = [r for r in refs if r]
        if not refs:
            errors.append(f"{where}, column Standorte: empty")
        for ref in refs:
            if ref not in ids:
                errors.append(
                    f"{where}, column Standorte: office {ref!r} is not in the offices file"
                )
        online = _cleaned(row, "Online", writer.clean_url, "a web address", where, errors)
        services.append(
            writer.ImportedService(
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
        raise writer.ImportError_("\n  ".join(["invalid CSV input:", *errors]))
    return offices, services, target.profile(), report, None
