"""A short answer without a topic yet ("Personalausweis", "das Standesamt"): which topic?"""

from __future__ import annotations

from typing import Any

from bot.dialogue import entity_values
from bot.knowledge.base import Knowledge


def topic_of(knowledge: Knowledge, text: str, entities: list[dict[str, Any]]) -> str | None:
    """The topic a bare mention belongs to, or None when nothing is recognised.

    A service ("Personalausweis") asks who is responsible; an office ("Standesamt") asks
    for its opening hours; a street asks for closures.
    """
    if entity_values(entities, "service") or knowledge.find_services(text):
        return "responsibility"
    if entity_values(entities, "office") or knowledge.find_offices(text):
        return "opening_hours"
    if entity_values(entities, "street"):
        return "road_closures"
    return None
