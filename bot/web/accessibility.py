"""The accessibility statement (Erklärung zur Barrierefreiheit) as data the city fills in.

Texts, status and contacts live in ``KNOWLEDGE_DIR/accessibility.yml`` (German and
English blocks); this module only loads and checks them, so that a missing field is
named instead of rendering an incomplete statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

# "unchecked" and method "none": the draft an import writes (the city has not checked yet).
CONFORMANCE = ("full", "partial", "none", "unchecked")
METHODS = ("self_assessment", "external_audit", "none")
TEXT_KEYS = (
    "title",
    "intro",
    "status_heading",
    "status",
    "limitations_heading",
    "limitations",
    "method_heading",
    "method",
    "dates",
    "feedback_heading",
    "feedback",
    "enforcement_heading",
    "enforcement",
    "labels",
    "other_language",
    "date_format",
)
LABEL_KEYS = ("email", "phone", "address", "contact", "website", "why", "alternative")
LIMITATION_KEYS = ("what", "why", "alternative")


class StatementError(ValueError):
    """The statement file is incomplete or malformed; the message names the field."""


@dataclass(frozen=True)
class Statement:
    """One language's statement, ready for the template."""

    lang: str
    texts: dict[str, Any]
    status: str
    method: str
    dates: str
    feedback: str
    contact: dict[str, str]
    enforcement: dict[str, str]


def _require(mapping: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(mapping, dict):
        raise StatementError(f"{where}: expected a mapping")
    missing = [k for k in keys if mapping.get(k) in (None, "", [], {})]
    if missing:
        raise StatementError(f"{where}: missing {', '.join(missing)}")


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as err:
        raise StatementError(f"{where}: not a date (YYYY-MM-DD): {value!r}") from err


def load_statement(path: Path, lang: str) -> Statement:
    """The statement in ``lang`` from ``path``.

    Raises:
        StatementError: a field is missing or has an unknown value, or ``lang`` has no texts.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    _require(data, ("conformance", "prepared", "reviewed", "method", "response_days"), "file")
    _require(data, ("contact", "enforcement", "texts"), "file")
    if data["conformance"] not in CONFORMANCE:
        raise StatementError(f"conformance: one of {', '.join(CONFORMANCE)}")
    if data["method"] not in METHODS:
        raise StatementError(f"method: one of {', '.join(METHODS)}")
    _require(data["contact"], ("name", "email"), "contact")
    _require(data["enforcement"], ("name",), "enforcement")
    texts = data["texts"].get(lang) if isinstance(data["texts"], dict) else None
    if texts is None:
        raise StatementError(f"texts: no block for language {lang!r}")
    where = f"texts.{lang}"
    _require(texts, TEXT_KEYS, where)
    _require(texts["status"], (data["conformance"],), f"{where}.status")
    _require(texts["method"], (data["method"],), f"{where}.method")
    _require(texts["labels"], LABEL_KEYS, f"{where}.labels")
    for i, item in enumerate(texts["limitations"]):
        _require(item, LIMITATION_KEYS, f"{where}.limitations[{i}]")
    fmt = str(texts["date_format"])
    prepared = _date(data["prepared"], "prepared").strftime(fmt)
    reviewed = _date(data["reviewed"], "reviewed").strftime(fmt)
    return Statement(
        lang=lang,
        texts=texts,
        status=str(texts["status"][data["conformance"]]),
        method=str(texts["method"][data["method"]]),
        dates=str(texts["dates"]).format(prepared=prepared, reviewed=reviewed),
        feedback=str(texts["feedback"]).format(days=int(data["response_days"])),
        contact={k: str(v) for k, v in data["contact"].items() if v},
        enforcement={k: str(v) for k, v in data["enforcement"].items() if v},
    )
