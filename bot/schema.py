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


def text(min_length: int) -> dict[str, Any]:
    """A string of at least ``min_length`` characters."""
    return {"type": "string", "minLength": min_length}
