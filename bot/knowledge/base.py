"""The city's content from `data/knowledge/`: offices, services, special opening hours.

Loaded and validated against a JSON schema on load (and by ``make validate``), so a
trainer's typo is reported with the file and the entry instead of a crash mid-chat.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot import schema
from bot.knowledge.matching import (
    Match,
    TermIndex,
    city_noise,
    closest,
    rank,
    rank_questions,
    words,
)
from bot.knowledge.opening_hours import SpecialHours
from bot.texts import DEFAULT_LANGUAGE

_STR_LIST = {"type": "array", "items": schema.text(1)}
# Per language other than German: a short gloss shown after the German name
# ("Bürgerbüro Mitte (Citizens' Office)") and the words citizens use in that language
# (matched like aliases/synonyms/phrases). Example: translations: {en: {gloss: ..., aliases: [...]}}
_BASE_TRANSLATION = {
    "gloss": schema.text(2),
    "aliases": _STR_LIST,
    "synonyms": _STR_LIST,
    "phrases": _STR_LIST,
}


def _translations(**details: Any) -> dict[str, Any]:
    """The ``translations`` schema, with the details an entry may carry per language."""
    return {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z]{2}$"},
        "additionalProperties": schema.record([], {**_BASE_TRANSLATION, **details}),
    }


_TRANSLATIONS = _translations()
# A service's fee, documents and deadline, and a FAQ answer, in that language. Where an
# entry has none, an answer in that language gives the German text with the catalogue's
# marker (data.in_german): a translation is the city's, never invented by code.
_SERVICE_TRANSLATIONS = _translations(
    fee=schema.text(1), documents=_STR_LIST, deadline=schema.text(1)
)
_FAQ_TRANSLATIONS = _translations(answer={"type": "string", "minLength": 10, "maxLength": 1200})

OFFICES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["city", "state", "timezone", "offices"],
    "properties": {
        "city": schema.TEXT,
        "state": schema.STATE,
        "timezone": schema.TEXT,
        "offices": {
            "type": "array",
            "minItems": 1,
            "items": schema.record(
                # opening_hours: exact hours. An import writes hours_text (the office's own
                # words) instead when it could not convert them with certainty, and
                # neither when the export has no hours (bot.importers.hours).
                ["id", "name", "address"],
                {
                    "id": schema.ID,
                    "name": schema.text(2),
                    "article": schema.ARTICLE,
                    "aliases": _STR_LIST,
                    "address": schema.TEXT,
                    "phone": schema.TEXT,
                    "email": schema.EMAIL,
                    "opening_hours": schema.text(3),
                    "hours_text": schema.text(2),
                    "hours_note": schema.text(2),
                    "appointment_url": schema.URL,
                    "appointment_required": schema.BOOLEAN,
                    "main": schema.BOOLEAN,
                    "district": schema.text(2),
                    "authority": schema.TEXT,
                    "category": schema.TEXT,
                    "website": schema.URL,
                    "accessibility": schema.TEXT,
                    "payment": schema.TEXT,
                    "source_id": schema.TEXT,
                    "translations": _TRANSLATIONS,
                },
            ),
        },
        "external_authorities": {
            "type": "array",
            "items": schema.record(
                ["id", "name", "note"],
                {
                    "id": schema.ID,
                    "name": schema.TEXT,
                    "article": schema.ARTICLE,
                    "note": schema.TEXT,
                    "address": schema.TEXT,
                    "phone": schema.TEXT,
                    "aliases": _STR_LIST,
                    "translations": _TRANSLATIONS,
                },
            ),
        },
    },
}

# What a report of a reportable service can carry (bot.dialogue.report); "what" and
# "where" are always asked.
REPORT_FIELDS = ("what", "where", "when", "photo", "contact")

SERVICES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "minItems": 1,
            "items": schema.record(
                ["id", "name", "office"],
                {
                    "id": schema.ID,
                    "name": schema.text(2),
                    "office": schema.TEXT,
                    "also_at": _STR_LIST,
                    "fee": schema.TEXT,
                    "documents": _STR_LIST,
                    "online": schema.URL,
                    "deadline": schema.TEXT,
                    "case_specific": schema.BOOLEAN,
                    "synonyms": _STR_LIST,
                    "phrases": _STR_LIST,
                    "report": schema.BOOLEAN,
                    "report_fields": {
                        "type": "array",
                        "uniqueItems": True,
                        "items": {"enum": list(REPORT_FIELDS)},
                    },
                    "report_due_days": {"type": "integer", "minimum": 1, "maximum": 30},
                    "source_id": schema.TEXT,
                    "translations": _SERVICE_TRANSLATIONS,
                },
            ),
        }
    },
}

SPECIAL_HOURS_SCHEMA: dict[str, Any] = schema.listing(
    "special_hours",
    schema.record(
        ["office", "from", "note"],
        {
            "office": schema.TEXT,
            "from": schema.DATE,
            "to": schema.DATE,
            "closed": schema.BOOLEAN,
            "hours": {
                "type": "string",
                "pattern": "^\\d\\d:\\d\\d-\\d\\d:\\d\\d(,\\d\\d:\\d\\d-\\d\\d:\\d\\d)*$",
            },
            "note": schema.text(3),
        },
    ),
)


FAQ_SCHEMA: dict[str, Any] = schema.listing(
    "faq",
    schema.record(
        ["id", "questions", "answer", "source", "updated"],
        {
            "id": schema.ID,
            "questions": {**_STR_LIST, "minItems": 3},
            "answer": {"type": "string", "minLength": 10, "maxLength": 1200},
            "source": schema.text(3),
            "updated": schema.DATE,
            "office": schema.TEXT,
            "translations": _FAQ_TRANSLATIONS,
        },
    ),
)


class KnowledgeError(ValueError):
    """The knowledge files are invalid; the message names the file and the problem."""


@dataclass(frozen=True)
class Office:
    """An office of the city, or an external authority (``external=True``)."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    opening_hours: str | None = None
    appointment_url: str | None = None
    appointment_required: bool = False
    external: bool = False
    note: str | None = None
    hours_text: str | None = None  # the office's own words when not convertible
    hours_note: str | None = None  # appointment only, telephone hours, …
    district: str | None = None
    authority: str | None = None
    category: str | None = None
    website: str | None = None
    accessibility: str | None = None
    payment: str | None = None
    article: str | None = None  # der | die | das; guessed from the name when missing
    # language → {"gloss": str, "aliases": [...]}: see _TRANSLATIONS
    translations: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def gloss(self, language: str) -> str | None:
        """The short explanation of the name in ``language`` ("Citizens' Office"), if any."""
        return (self.translations.get(language) or {}).get("gloss")

    def the(self, case: str = "nom") -> str:
        """The name with its article: "das Steueramt" (``case``: nom, acc, dat)."""
        from bot.knowledge.grammar import with_article

        return with_article(self.name, self.article, case)

    def at(self) -> str:
        """ "beim Steueramt", "bei der Ausländerbehörde"."""
        from bot.knowledge.grammar import at_office

        return at_office(self.name, self.article)


@dataclass(frozen=True)
class Service:
    """A Verwaltungsleistung and who is responsible for it."""

    id: str
    name: str
    office: str
    also_at: tuple[str, ...] = ()
    fee: str | None = None
    documents: tuple[str, ...] = ()
    online: str | None = None
    deadline: str | None = None
    case_specific: bool = False
    synonyms: tuple[str, ...] = ()
    # How citizens describe the concern ("altes Sofa"): training examples, lookup, matching.
    phrases: tuple[str, ...] = ()
    # Citizens can report it in the conversation (bot.dialogue.report), with these fields;
    # due in this many working days (None: the default of reports.yml).
    report: bool = False
    report_fields: tuple[str, ...] = ()
    report_due_days: int | None = None
    # language → {"gloss": str, "synonyms": [...], "phrases": [...]}: see _TRANSLATIONS
    translations: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def gloss(self, language: str) -> str | None:
        """The short explanation of the name in ``language`` ("ID card"), if any."""
        return (self.translations.get(language) or {}).get("gloss")

    def detail_in(self, detail: str, language: str) -> str | None:
        """``fee``, ``documents`` (joined) or ``deadline`` as the data gives them in
        ``language`` (German: the entry's own fields), or None where it has no such text.
        """
        if language == DEFAULT_LANGUAGE:
            value: Any = getattr(self, detail)
        else:
            value = (self.translations.get(language) or {}).get(detail)
        if isinstance(value, list | tuple):
            return ", ".join(value) or None
        return value or None


@dataclass(frozen=True)
class FaqEntry:
    """A general question with a fixed answer, from `faq.yml`."""

    id: str
    questions: tuple[str, ...]
    answer: str
    source: str
    updated: date
    office: str | None = None
    # language → {"answer": str}: the answer in that language, where the city wrote one
    translations: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def answer_in(self, language: str) -> str | None:
        """The answer in ``language`` (German: :attr:`answer`), or None without one."""
        if language == DEFAULT_LANGUAGE:
            return self.answer
        text = (self.translations.get(language) or {}).get("answer")
        return " ".join(str(text).split()) if text else None


@dataclass
class Knowledge:
    """All content of one city, with lookups by id and by citizen wording."""

    city: str
    state: str
    timezone: str
    offices: dict[str, Office]
    services: dict[str, Service]
    special: list[SpecialHours] = field(default_factory=list)
    faq: dict[str, FaqEntry] = field(default_factory=dict)
    _indexes: dict[str, TermIndex] = field(default_factory=dict, repr=False, compare=False)

    # Catalogues with more terms than this are matched through a word index (imported
    # cities); smaller ones (the demo city) are scanned as before.
    INDEX_FROM_TERMS = 600

    # --- lookups -------------------------------------------------------------------------
    def office(self, office_id: str) -> Office | None:
        """The office (or external authority) with this id."""
        return self.offices.get(office_id)

    def city_offices(self) -> list[Office]:
        """Offices of the city administration, in file order."""
        return [o for o in self.offices.values() if not o.external]

    def office_terms(self) -> Iterator[tuple[str, str]]:
        """``(office_id, term)`` for every name and alias of the offices and authorities."""
        for o in self.offices.values():
            yield o.id, o.name
            for alias in o.aliases:
                yield o.id, alias
            for extra in o.translations.values():
                for alias in extra.get("aliases") or ():
                    yield o.id, alias

    def service_terms(self) -> Iterator[tuple[str, str]]:
        """``(service_id, term)`` for every service name, synonym and phrase."""
        for s in self.services.values():
            yield s.id, s.name
            for syn in s.synonyms:
                yield s.id, syn
            for phrase in s.phrases:
                yield s.id, phrase
            for extra in s.translations.values():
                for term in (*(extra.get("synonyms") or ()), *(extra.get("phrases") or ())):
                    yield s.id, term

    def find_offices(self, text: str, threshold: float = 85.0) -> list[Match]:
        """Offices mentioned in ``text`` (fuzzy), best first."""
        if text in self.offices:
            return [Match(text, 100.0, text)]
        return self._rank("offices", text, threshold)

    def closest_offices(self, text: str, limit: int = 3) -> list[Office]:
        """The city's offices whose names come closest to ``text`` ("meinten Sie …")."""
        city = [(k, t) for k, t in self.office_terms() if not self.offices[k].external]
        return [self.offices[m.key] for m in closest(text, city, limit)]

    def find_services(self, text: str, threshold: float = 85.0) -> list[Match]:
        """Services a citizen's concern refers to (fuzzy), best first."""
        if text in self.services:
            return [Match(text, 100.0, text)]
        return self._rank("services", text, threshold)

    def _rank(self, kind: str, text: str, threshold: float) -> list[Match]:
        index = self._indexes.get(kind)
        if index is None:
            terms = self.office_terms() if kind == "offices" else self.service_terms()
            index = self._indexes[kind] = TermIndex(terms)
        if len(index.terms) < self.INDEX_FROM_TERMS:
            return rank(text, index.terms, threshold=threshold, noise=self.noise)
        return index.rank(text, threshold=threshold, noise=self.noise)

    def find_faq(self, text: str) -> list[Match]:
        """FAQ entries whose questions come close to ``text``, best first."""
        if text in self.faq:
            return [Match(text, 100.0, text)]
        questions = ((e.id, q) for e in self.faq.values() for q in e.questions)
        return rank_questions(text, questions, noise=self.noise)

    @property
    def noise(self) -> frozenset[str]:
        """Words never matched on their own: the city's name (:func:`city_noise`)."""
        return city_noise(self.city)

    def special_for(self, office_id: str) -> list[SpecialHours]:
        """Ad-hoc changes of one office."""
        return [e for e in self.special if e.office_id == office_id]


# --- loading --------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file missing") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def _check(data: Any, schema: dict[str, Any], path: Path) -> list[str]:
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(top level)"
        errors.append(f"{path.name}: {where}: {err.message}")
    return errors


def _parse_hours(spec: str) -> tuple[tuple[time, time], ...]:
    out = []
    for part in spec.split(","):
        a, b = part.split("-")
        out.append((time.fromisoformat(a), time.fromisoformat(b)))
    return tuple(out)


def load_knowledge(directory: Path) -> Knowledge:
    """Loads and validates `offices.yml`, `services.yml`, `special_hours.yml` and `faq.yml`.

    Raises:
        KnowledgeError: listing every problem found, with file and entry.
    """
    raw, errors = _load_raw(directory)
    if errors:
        raise KnowledgeError("invalid knowledge data:\n  " + "\n  ".join(errors))
    knowledge = _build(*raw)
    from bot.city import CityError, load_city

    # The profile names the city (matching ignores that name); validation keeps
    # offices.yml's copy equal to it. An invalid profile is reported by
    # validate_knowledge; offices.yml's name stays.
    with contextlib.suppress(CityError):
        knowledge.city = load_city(directory).name
    return knowledge


def _load_raw(directory: Path) -> tuple[tuple[Any, Any, Any, Any], list[str]]:
    offices_path = directory / "offices.yml"
    services_path = directory / "services.yml"
    special_path = directory / "special_hours.yml"
    faq_path = directory / "faq.yml"
    offices_raw = _read_yaml(offices_path)
    services_raw = _read_yaml(services_path)
    special_raw = _read_yaml(special_path) if special_path.exists() else {"special_hours": []}
    faq_raw = (_read_yaml(faq_path) if faq_path.exists() else None) or {"faq": []}
    for entry in (faq_raw.get("faq") or []) if isinstance(faq_raw, dict) else []:
        if isinstance(entry, dict) and isinstance(entry.get("updated"), date):
            entry["updated"] = entry["updated"].isoformat()  # YAML reads 2026-10-01 as a date
    raw = (offices_raw, services_raw, special_raw, faq_raw)
    errors = (
        _check(offices_raw, OFFICES_SCHEMA, offices_path)
        + _check(services_raw, SERVICES_SCHEMA, services_path)
        + _check(special_raw or {}, SPECIAL_HOURS_SCHEMA, special_path)
        + _check(faq_raw, FAQ_SCHEMA, faq_path)
    )
    if errors:
        return raw, errors
    errors += _check_references(offices_raw, services_raw, special_raw or {})
    errors += _check_faq(faq_raw, offices_raw)
    return raw, errors


def _check_faq(faq_raw: Any, offices_raw: Any) -> list[str]:
    errors: list[str] = []
    office_ids = {o["id"] for o in offices_raw["offices"]} | {
        o["id"] for o in offices_raw.get("external_authorities") or []
    }
    entries = faq_raw.get("faq") or []
    ids = [e["id"] for e in entries]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        errors.append(f"faq.yml: id {dup!r} is used twice")
    seen: dict[str, str] = {}
    for e in entries:
        if e.get("office") and e["office"] not in office_ids:
            errors.append(f"faq.yml: {e['id']}: office {e['office']!r} does not exist")
        for q in e["questions"]:
            key = " ".join(words(q))
            if key in seen:
                errors.append(f"faq.yml: question {q!r} appears twice ({seen[key]}, {e['id']})")
            seen[key] = e["id"]
    return errors


def _check_references(offices_raw: Any, services_raw: Any, special_raw: Any) -> list[str]:
    errors: list[str] = []
    city_ids = [o["id"] for o in offices_raw["offices"]]
    ext_ids = [o["id"] for o in offices_raw.get("external_authorities") or []]
    all_ids = city_ids + ext_ids
    for dup in sorted({i for i in all_ids if all_ids.count(i) > 1}):
        errors.append(f"offices.yml: id {dup!r} is used twice")
    service_ids = [s["id"] for s in services_raw["services"]]
    for dup in sorted({i for i in service_ids if service_ids.count(i) > 1}):
        errors.append(f"services.yml: id {dup!r} is used twice")
    for s in services_raw["services"]:
        for ref in [s["office"], *s.get("also_at", [])]:
            if ref not in all_ids:
                errors.append(f"services.yml: {s['id']}: office {ref!r} does not exist")
    for i, e in enumerate(special_raw.get("special_hours") or []):
        if e["office"] not in city_ids:
            errors.append(f"special_hours.yml: entry {i}: office {e['office']!r} does not exist")
        if e.get("closed") is None and not e.get("hours"):
            errors.append(f"special_hours.yml: entry {i}: needs `closed: true` or `hours`")
        if e.get("to") and e["to"] < e["from"]:
            errors.append(f"special_hours.yml: entry {i}: `to` is before `from`")
        if isinstance(e.get("hours"), str) and any(
            not a < b for a, _, b in (part.partition("-") for part in e["hours"].split(","))
        ):
            errors.append(f"special_hours.yml: entry {i}: an interval of `hours` is empty")
    # The same alias for two offices makes answers depend on file order.
    seen: dict[str, str] = {}
    for o in offices_raw["offices"]:
        for term in [o["name"], *o.get("aliases", [])]:
            key = term.lower()
            if key in seen and seen[key] != o["id"]:
                errors.append(f"offices.yml: {term!r} names both {seen[key]} and {o['id']}")
            seen[key] = o["id"]
    return errors


def _office(o: dict[str, Any], **fields: Any) -> Office:
    """An office or external authority: what both have, and ``fields``."""
    return Office(
        id=o["id"],
        name=o["name"],
        aliases=tuple(o.get("aliases", ())),
        address=o.get("address"),
        phone=o.get("phone"),
        article=o.get("article"),
        translations=dict(o.get("translations") or {}),
        **fields,
    )


def _build(offices_raw: Any, services_raw: Any, special_raw: Any, faq_raw: Any) -> Knowledge:
    offices: dict[str, Office] = {}
    for o in offices_raw["offices"]:
        offices[o["id"]] = _office(
            o,
            email=o.get("email"),
            opening_hours=o.get("opening_hours"),
            appointment_url=o.get("appointment_url"),
            appointment_required=bool(o.get("appointment_required", False)),
            hours_text=o.get("hours_text"),
            hours_note=o.get("hours_note"),
            district=o.get("district"),
            authority=o.get("authority"),
            category=o.get("category"),
            website=o.get("website"),
            accessibility=o.get("accessibility"),
            payment=o.get("payment"),
        )
    for o in offices_raw.get("external_authorities") or []:
        offices[o["id"]] = _office(o, external=True, note=o["note"])
    services = {
        s["id"]: Service(
            id=s["id"],
            name=s["name"],
            office=s["office"],
            also_at=tuple(s.get("also_at", ())),
            fee=s.get("fee"),
            documents=tuple(s.get("documents", ())),
            online=s.get("online"),
            deadline=s.get("deadline"),
            case_specific=bool(s.get("case_specific", False)),
            synonyms=tuple(s.get("synonyms", ())),
            phrases=tuple(s.get("phrases", ())),
            report=bool(s.get("report", False)),
            report_fields=tuple(dict.fromkeys(["what", "where", *(s.get("report_fields") or ())]))
            if s.get("report")
            else (),
            report_due_days=s.get("report_due_days"),
            translations=dict(s.get("translations") or {}),
        )
        for s in services_raw["services"]
    }
    special = [
        SpecialHours(
            office_id=e["office"],
            start=date.fromisoformat(e["from"]),
            end=date.fromisoformat(e.get("to") or e["from"]),
            hours=None if e.get("closed") else _parse_hours(e["hours"]),
            note=e["note"],
        )
        for e in (special_raw or {}).get("special_hours") or []
    ]
    faq = {
        e["id"]: FaqEntry(
            id=e["id"],
            questions=tuple(e["questions"]),
            answer=" ".join(e["answer"].split()),
            source=e["source"],
            updated=date.fromisoformat(str(e["updated"])),
            office=e.get("office"),
            translations=dict(e.get("translations") or {}),
        )
        for e in faq_raw.get("faq") or []
    }
    return Knowledge(
        city=offices_raw["city"],
        state=offices_raw["state"],
        timezone=offices_raw["timezone"],
        offices=offices,
        services=services,
        special=special,
        faq=faq,
    )


def validate_knowledge(directory: Path) -> list[str]:
    """Every problem in the knowledge files (empty list when valid), for ``make validate``."""
    try:
        raw, errors = _load_raw(directory)
    except KnowledgeError as exc:
        return [str(exc)]
    if errors:
        return errors
    from bot.city import load_city, validate_city
    from bot.knowledge import reports
    from bot.knowledge.opening_hours import validate_expression

    errors += validate_city(directory)
    errors += reports.validate(directory)
    if not errors and (directory / "city.yml").exists():
        city = load_city(directory)
        for key, value in (("city", city.name), ("state", city.state)):
            if raw[0].get(key) != value:
                errors.append(f"city.yml: {key} {value!r} differs from offices.yml")

    for o in raw[0]["offices"]:
        if "opening_hours" not in o:
            continue
        problem = validate_expression(o["opening_hours"])
        if problem:
            errors.append(f"offices.yml: {o['id']}: opening_hours: {problem}")
    return errors


class KnowledgeCache:
    """Loads the knowledge once and re-reads it when a file changes (no restart needed).

    Staff can add a special closure to `special_hours.yml` while the assistant runs.
    """

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._lock = threading.Lock()
        self._stamp: tuple[float, ...] = ()
        self._knowledge: Knowledge | None = None

    def _mtimes(self) -> tuple[float, ...]:
        names = ("offices.yml", "services.yml", "special_hours.yml", "faq.yml")
        return tuple(
            (self._dir / n).stat().st_mtime if (self._dir / n).exists() else 0.0 for n in names
        )

    def get(self) -> Knowledge:
        """The current knowledge; reloads when a file changed, keeps the old on errors."""
        stamp = self._mtimes()
        with self._lock:
            if self._knowledge is None or stamp != self._stamp:
                try:
                    self._knowledge = load_knowledge(self._dir)
                except KnowledgeError:
                    if self._knowledge is None:
                        raise
                self._stamp = stamp
            return self._knowledge
