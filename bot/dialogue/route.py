"""A short follow-up ("Personalausweis", "das Standesamt", "und am Samstag?"): which topic?

One rule sends every ``inform`` here. A mention of a service, an office or a street
decides the topic; a bare time ("und morgen?") continues the current topic, and after a
responsibility answer it asks for the opening hours of the office just named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.dialogue import entity_values
from bot.knowledge.base import Knowledge
from bot.knowledge.when import parse_when

TOPICS = ("opening_hours", "responsibility", "road_closures")


def topic_of(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    current: str | None,
    now: datetime,
) -> str | None:
    """The topic a follow-up belongs to, or None when nothing is recognised."""
    if entity_values(entities, "street"):
        return "road_closures"
    if entity_values(entities, "service") or knowledge.find_services(text):
        return "responsibility"
    if entity_values(entities, "office") or knowledge.find_offices(text):
        return "opening_hours"
    if current == "road_closures":
        return current  # "und die Hauptstraße?", "und morgen?": streets come from the feed
    if (
        current in ("opening_hours", "responsibility")
        and parse_when(text, now, state=knowledge.state).days
    ):
        return "opening_hours"
    return current if current in TOPICS else None
