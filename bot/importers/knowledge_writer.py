"""Shared by the importers: ids, names, district and contact clean-up, and writing a
complete knowledge directory (offices, services, city profile, report).

The importers (``dldb``, ``csv_import``) turn their input into :class:`ImportedOffice` and
:class:`ImportedService` records; :func:`write_knowledge` validates and writes them in the
schema of ``data/knowledge/`` so that ``KNOWLEDGE_DIR=DIR make run`` needs no other step.
"""

from __future__ import annotations

import json
import re
import shutil
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.importers.hours import CONVERTED, EMPTY, TEXT, HoursResult
from bot.text import UMLAUTS

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "knowledge"
# Project-wide, not city-specific: copied from the demo directory as a starting point.
TEMPLATE_FILES = ("canned_replies.yml",)
STATEMENT_TEMPLATE = DEMO_DIR / "templates" / "accessibility.yml"
ENFORCEMENT_BODIES = DEMO_DIR / "templates" / "enforcement_bodies.yml"
TO_COMPLETE = re.compile(r"\[(?:ZU ERGÄNZEN|TO BE COMPLETED)[^\]]*\]")
"""The marker of a field the city must fill in before it publishes the statement."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_DISTRICT_AUTHORITY = re.compile(
    r"^(?:Bezirksamt|Bezirksverwaltung|Stadtbezirk|Bezirk|Ortsamt|Stadtteilbüro)\s+(?P<name>.+)$"
)


class ImportError_(ValueError):
    """An input file cannot be read; the message names the file."""


@dataclass
class ImportedOffice:
    """One office as read from an export, before ids and names are made unique."""

    source_id: str
    name: str
    address: str | None = None
    postal_code: str | None = None
    authority: str | None = None
    category: str | None = None
    district: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    appointment_url: str | None = None
    accessibility: str | None = None
    payment: str | None = None
    aliases: list[str] = field(default_factory=list)
    hours: HoursResult = field(default_factory=lambda: HoursResult(status=EMPTY))


@dataclass
class ImportedService:
    """One service with the source ids of the offices that offer it."""

    source_id: str
    name: str
    offices: list[str] = field(default_factory=list)
    fee: str | None = None
    documents: list[str] = field(default_factory=list)
    online: str | None = None
    synonyms: list[str] = field(default_factory=list)


@dataclass
class CityProfile:
    """What ``city.yml`` holds (see :mod:`bot.city`)."""

    name: str
    state: str
    timezone: str = "Europe/Berlin"
    contact: dict[str, str] = field(default_factory=dict)
    public_phone_prefixes: list[str] = field(default_factory=list)
    public_email_domains: list[str] = field(default_factory=list)
    case_reference_prefix: str = ""
    appointment_base_url: str = ""
    website_base_url: str = ""

    def as_yaml(self) -> dict[str, Any]:
        """Every field, in the order above (the order of ``city.yml``)."""
        return asdict(self)


@dataclass(frozen=True)
class ImportTarget:
    """The city an import is for, as the command line names it (same for every format)."""

    city: str
    state: str
    districts: Mapping[str, str] = field(default_factory=dict)  # postal code → district
    appointment_base: str = ""
    website_base: str = ""

    def profile(self) -> CityProfile:
        """The ``city.yml`` profile of the target."""
        return CityProfile(
            name=self.city,
            state=self.state.upper(),
            appointment_base_url=self.appointment_base,
            website_base_url=self.website_base,
        )


@dataclass
class ImportReport:
    """Counts and the lists a city's IT needs to review after an import."""

    source: str
    offices: int = 0
    services: int = 0
    links: int = 0
    hours: dict[str, list[str]] = field(
        default_factory=lambda: {CONVERTED: [], TEXT: [], EMPTY: []}
    )
    skipped_services: list[str] = field(default_factory=list)
    unknown_references: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    to_complete: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "offices": self.offices,
            "services": self.services,
            "links": self.links,
            "hours_converted": len(self.hours[CONVERTED]),
            "hours_kept_as_text": len(self.hours[TEXT]),
            "hours_empty": len(self.hours[EMPTY]),
            "offices_hours_kept_as_text": self.hours[TEXT],
            "offices_without_hours": self.hours[EMPTY],
            "services_skipped_without_office": self.skipped_services,
            "unknown_references": self.unknown_references,
            "warnings": self.warnings,
            "to_complete": self.to_complete,
        }

    def summary(self) -> str:
        d = self.as_dict()
        return (
            f"{d['offices']} offices, {d['services']} services, {d['links']} service-office "
            f"links; hours: {d['hours_converted']} converted, {d['hours_kept_as_text']} kept "
            f"as text, {d['hours_empty']} empty; {len(self.skipped_services)} services "
            f"without an office skipped, {len(self.unknown_references)} unknown references"
            + (
                f"; {len(self.to_complete)} fields of the accessibility statement to complete"
                if self.to_complete
                else ""
            )
        )


ImportResult = tuple[
    list[ImportedOffice], list[ImportedService], CityProfile, ImportReport, str | None
]
"""What every importer returns: offices, services, profile, report and a default office."""


def fold(text: str) -> str:
    """Lower case ASCII with umlauts spelled out ("Bürgeramt" → "buergeramt")."""
    s = text.lower().translate(UMLAUTS)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def slug(text: str, limit: int = 40) -> str:
    """An id part: ``[a-z0-9_]``, at most ``limit`` characters."""
    s = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")
    return s[:limit].rstrip("_") or "x"


def text_or_none(value: Any) -> str | None:
    """A stripped string; ``None`` for empty values and the exports' ``"false"``."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    s = " ".join(str(value).split())
    return None if s.lower() in ("", "false", "null", "none", "0", "-") else s


def clean_email(value: Any) -> str | None:
    s = text_or_none(value)
    return s if s and _EMAIL.match(s) else None


def clean_url(value: Any, base: str = "") -> str | None:
    """An absolute http(s) URL: ``//host/...`` gets ``https:``, ``/path`` gets ``base``."""
    s = text_or_none(value)
    if not s:
        return None
    s = s.replace("&amp;", "&")
    if s.startswith("//"):
        s = "https:" + s
    elif s.startswith("/") and base:
        s = base.rstrip("/") + s
    elif re.match(r"^www\.", s):
        s = "https://" + s
    return s if re.match(r"^https?://\S+$", s) else None


def district_from_authority(authority: str | None) -> str | None:
    """ "Bezirksamt Neukölln" → "Neukölln"; "Bezirksamt Treptow - Köpenick" → "Treptow-Köpenick"."""
    if not authority:
        return None
    m = _DISTRICT_AUTHORITY.match(authority.strip())
    if not m:
        return None
    name = re.sub(r"\s*-\s*", "-", m.group("name").strip())
    name = re.sub(r"\s+von\s+\S+$", "", name)  # "… von Berlin"
    return name or None


def read_district_map(path: Path | None) -> dict[str, str]:
    """``postal_code;district`` lines (header optional) → mapping; empty without a file."""
    if path is None:
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = [p.strip() for p in re.split(r"[;,\t]", line)]
        if len(parts) >= 2 and parts[0].isdigit() and parts[1]:
            out[parts[0]] = parts[1]
    return out


def _unique_names(offices: list[ImportedOffice]) -> list[str]:
    """Display names, made unique with district, then street, then the source id."""
    counts = Counter(o.name.lower() for o in offices)
    names = []
    for o in offices:
        name = o.name
        if counts[name.lower()] > 1 and o.district and o.district.lower() not in name.lower():
            name = f"{name} ({o.district})"
        names.append(name)
    counts = Counter(n.lower() for n in names)
    for i, o in enumerate(offices):
        if counts[names[i].lower()] > 1 and o.address:
            names[i] = f"{names[i]}, {o.address.split(',')[0]}"
    counts = Counter(n.lower() for n in names)
    for i, o in enumerate(offices):
        if counts[names[i].lower()] > 1:
            names[i] = f"{names[i]} [{o.source_id}]"
    return names


def build_documents(
    offices: list[ImportedOffice],
    services: list[ImportedService],
    profile: CityProfile,
    report: ImportReport,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``offices.yml`` and ``services.yml`` documents, with the report filled in."""
    seen_ids: set[str] = set()
    by_source: dict[str, str] = {}
    names = _unique_names(offices)
    # An alias naming two offices would make answers depend on file order: dropped.
    alias_count = Counter(a.lower() for o in offices for a in set(o.aliases))
    taken_names = {n.lower() for n in names}
    office_docs = []
    for o, name in zip(offices, names, strict=True):
        oid = f"{slug(o.name)}_{slug(o.source_id, 12)}"
        while oid in seen_ids:
            oid += "_x"
        seen_ids.add(oid)
        by_source[o.source_id] = oid
        doc: dict[str, Any] = {"id": oid, "name": name}
        aliases = [
            a
            for a in dict.fromkeys(o.aliases)
            if alias_count[a.lower()] == 1 and a.lower() not in taken_names and len(a) >= 3
        ]
        if aliases:
            doc["aliases"] = aliases
        doc["address"] = o.address or "keine Adresse hinterlegt"
        for key in ("district", "authority", "category", "phone", "email", "website"):
            value = getattr(o, key)
            if value:
                doc[key] = value
        hours = o.hours
        report.hours[hours.status].append(oid)
        if hours.expression:
            doc["opening_hours"] = hours.expression
        elif hours.status == TEXT and hours.verbatim:
            doc["hours_text"] = hours.verbatim
        if hours.note:
            doc["hours_note"] = hours.note
        if o.appointment_url:
            doc["appointment_url"] = o.appointment_url
        doc["appointment_required"] = bool(hours.appointment_only)
        if o.accessibility:
            doc["accessibility"] = o.accessibility
        if o.payment:
            doc["payment"] = o.payment
        doc["source_id"] = o.source_id
        office_docs.append(doc)
    report.offices = len(office_docs)

    service_docs = []
    seen_ids = set()
    for s in services:
        refs = []
        for src in dict.fromkeys(s.offices):
            if src in by_source:
                refs.append(by_source[src])
            else:
                report.unknown_references.append(f"service {s.source_id}: location {src}")
        if not refs:
            report.skipped_services.append(f"{s.source_id} {s.name}")
            continue
        sid = f"{slug(s.name)}_{slug(s.source_id, 12)}"
        while sid in seen_ids:
            sid += "_x"
        seen_ids.add(sid)
        doc = {"id": sid, "name": s.name, "office": refs[0]}
        if refs[1:]:
            doc["also_at"] = refs[1:]
        if s.fee:
            doc["fee"] = s.fee
        if s.documents:
            doc["documents"] = s.documents
        if s.online:
            doc["online"] = s.online
        synonyms = [x for x in dict.fromkeys(s.synonyms) if x.lower() != s.name.lower()]
        if synonyms:
            doc["synonyms"] = synonyms
        doc["source_id"] = s.source_id
        report.links += len(refs)
        service_docs.append(doc)
    report.services = len(service_docs)
    offices_doc = {
        "city": profile.name,
        "state": profile.state,
        "timezone": profile.timezone,
        "offices": office_docs,
    }
    return offices_doc, {"services": service_docs}


def derive_profile_contacts(profile: CityProfile, offices: Iterable[ImportedOffice]) -> None:
    """Fills the profile's public e-mail domains and phone prefixes from the offices."""
    offices = list(offices)
    if not profile.public_email_domains:
        domains = Counter(o.email.split("@", 1)[1].lower() for o in offices if o.email)
        profile.public_email_domains = [d for d, n in domains.most_common() if n >= 2][:10]
    if not profile.public_phone_prefixes:
        prefixes: Counter[str] = Counter()
        for o in offices:
            digits = re.sub(r"\D", "", (o.phone or "").replace("+49", "0"))
            if len(digits) >= 8:
                prefixes[digits[:6]] += 1
        profile.public_phone_prefixes = [p for p, n in prefixes.most_common() if n >= 3][:10]
    if not profile.contact:
        main = next((o for o in offices if o.phone and o.email), None)
        if main:
            profile.contact = {
                "office": main.name,
                "phone": main.phone or "",
                "email": main.email or "",
            }
            if main.website:
                profile.contact["website"] = main.website
    if not profile.case_reference_prefix:
        letters = re.sub(r"[^A-Z]", "", fold(profile.name).upper())
        profile.case_reference_prefix = letters[:2] or "BS"


def _dump(path: Path, header: str, doc: Any) -> None:
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")


def write_knowledge(
    out: Path,
    offices: list[ImportedOffice],
    services: list[ImportedService],
    profile: CityProfile,
    report: ImportReport,
    default_office: str | None = None,
    today: date | None = None,
) -> list[str]:
    """Writes the knowledge directory; returns the problems ``make validate`` would report.

    ``today`` dates the draft accessibility statement (default: the system date).
    """
    from bot.knowledge.base import validate_knowledge

    derive_profile_contacts(profile, offices)
    offices_doc, services_doc = build_documents(offices, services, profile, report)
    out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# GENERATED by `python -m bot.cli import` from {report.source}.\n"
        "# Re-run the import instead of editing by hand.\n"
    )
    _dump(out / "offices.yml", header, offices_doc)
    _dump(out / "services.yml", header, services_doc)
    _dump(out / "city.yml", header, profile.as_yaml())
    if not (out / "special_hours.yml").exists():
        _dump(
            out / "special_hours.yml",
            "# Ad-hoc closures; edited by staff.\n",
            {"special_hours": []},
        )
    for name in TEMPLATE_FILES:
        if (DEMO_DIR / name).exists() and not (out / name).exists():
            shutil.copyfile(DEMO_DIR / name, out / name)
    _write_handoff(out, offices_doc, default_office)
    _write_statement(out, profile, report, today or date.today())
    problems = validate_knowledge(out)
    report.warnings.extend(problems)
    (out / "import-report.json").write_text(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return problems


def _write_handoff(out: Path, offices_doc: dict[str, Any], default_office: str | None) -> None:
    """handoff.yml from the demo's, with routing to offices of this city only."""
    path = out / "handoff.yml"
    if path.exists():
        return
    demo = yaml.safe_load((DEMO_DIR / "handoff.yml").read_text(encoding="utf-8")) or {}
    ids = {o["source_id"]: o["id"] for o in offices_doc["offices"]}
    chosen = ids.get(default_office or "") or default_office
    demo["default_office"] = chosen if chosen in ids.values() else next(iter(ids.values()))
    demo["routing"] = []
    _dump(
        path,
        "# Handoff policy (copied from the demo city by the import; edit for your city).\n",
        demo,
    )


def _yaml_text(value: str) -> str:
    """``value`` for the inside of a double-quoted YAML string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def statement_fields(profile: CityProfile, today: date) -> dict[str, str]:
    """What the draft statement takes from the city profile; unknown fields are marked.

    The enforcement body comes from ``templates/enforcement_bodies.yml`` by the state;
    nothing is invented: a value the import cannot know is a "[ZU ERGÄNZEN: …]" marker.
    """
    bodies = yaml.safe_load(ENFORCEMENT_BODIES.read_text(encoding="utf-8")) or {}
    body = bodies.get(profile.state.upper()) or {}
    contact = profile.contact
    office = contact.get("office", "")
    return {
        "city": profile.name,
        "prepared": today.isoformat(),
        "contact_name": f"Stadt {profile.name}, {office}"
        if office
        else "[ZU ERGÄNZEN: Ansprechstelle für Barrieren]",
        "contact_email": contact.get("email") or "[ZU ERGÄNZEN: E-Mail-Adresse]",
        "contact_phone": contact.get("phone", ""),
        "contact_address": contact.get("address", ""),
        "enforcement_name": body.get("name")
        or f"[ZU ERGÄNZEN: Durchsetzungs- oder Schlichtungsstelle des Landes {profile.state}]",
        "enforcement_url": body.get("url", ""),
    }


def _write_statement(out: Path, profile: CityProfile, report: ImportReport, today: date) -> None:
    """accessibility.yml: the draft statement (never overwrites the city's own)."""
    path = out / "accessibility.yml"
    if not path.exists():
        fields = {k: _yaml_text(v) for k, v in statement_fields(profile, today).items()}
        template = string.Template(STATEMENT_TEMPLATE.read_text(encoding="utf-8"))
        path.write_text(template.substitute(fields), encoding="utf-8")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    marked = sorted(
        {m.group(0) for m in TO_COMPLETE.finditer(json.dumps(doc, default=str, ensure_ascii=False))}
    )
    if doc.get("conformance") == "unchecked":
        marked.insert(0, "conformance: unchecked")
    report.to_complete.extend(f"accessibility.yml: {m}" for m in marked)
