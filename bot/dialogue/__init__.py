"""Dialogue logic behind the actions: what to answer, computed without Rasa.

Each topic module turns (message text, entities, slots, now, knowledge) into an
:class:`Outcome`: which domain responses to utter with which variables, and which slots
to set. The actions in ``actions/`` only translate an Outcome into rasa-sdk calls, so
everything here is unit-testable with plain Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One domain response to utter, with its template variables and optional buttons."""

    response: str
    variables: dict[str, str] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Outcome:
    """Everything an action does: the replies in order and the slots to set."""

    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    backlog: str | None = None  # a question the assistant could not answer (for trainers)

    def say(
        self, response: str, buttons: list[dict[str, str]] | None = None, **variables: str
    ) -> None:
        """Appends a reply."""
        self.replies.append(Reply(response, dict(variables), list(buttons or [])))


def entity_values(entities: list[dict[str, Any]], name: str) -> list[str]:
    """The values of all entities called ``name`` in a parse result, in order."""
    return [str(e.get("value")) for e in entities if e.get("entity") == name and e.get("value")]


def payload_button(title: str, intent: str, **entities: str) -> dict[str, str]:
    """A button that sends an intent with entities, e.g. ``/inform{"office":"standesamt"}``."""
    body = json.dumps(entities, ensure_ascii=False) if entities else ""
    return {"title": title, "payload": f"/{intent}{body}"}


def office_name(item: Any, language: str) -> str:
    """An office's or service's name as shown in ``language``: German, with a gloss if any.

    "Bürgerbüro Mitte" in German, "Bürgerbüro Mitte (Citizens' Office)" in English when the
    data gives a gloss (``translations: {en: {gloss: ...}}`` in data/knowledge/).
    """
    from bot import texts

    gloss = item.gloss(language) if language != texts.DEFAULT_LANGUAGE else None
    if not gloss:
        return str(item.name)
    return texts.text(language, "names.glossed", name=item.name, gloss=gloss)
