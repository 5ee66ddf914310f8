"""Pieces of the JSON schemas that check the city's YAML files (:mod:`bot.city`,
:mod:`bot.knowledge.base`): each kind of value is defined once."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, Any] = {"type": "string"}
ID: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9_]+$"}
EMAIL: dict[str, Any] = {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$"}
URL: dict[str, Any] = {"type": "string", "pattern": "^https?://"}
URL_OR_EMPTY: dict[str, Any] = {"type": "string", "pattern": "^(https?://.*)?$"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
ARTICLE: dict[str, Any] = {"enum": ["der", "die", "das"]}
STATE: dict[str, Any] = {"type": "string", "minLength": 2, "maxLength": 2}  # "NW", "BE"


def text(min_length: int) -> dict[str, Any]:
    """A string of at least ``min_length`` characters."""
    return {"type": "string", "minLength": min_length}


def record(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """An object with these ``properties`` and no others, the ``required`` ones present."""
    out: dict[str, Any] = {"type": "object"}
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    out["properties"] = properties
    return out


def listing(key: str, items: dict[str, Any]) -> dict[str, Any]:
    """A file with an optional (possibly empty) list of ``items`` under ``key``."""
    return {"type": "object", "properties": {key: {"type": ["array", "null"], "items": items}}}
