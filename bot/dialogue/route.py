"""A short follow-up ("Personalausweis", "das Standesamt", "und am Samstag?"): which topic?

One rule sends every ``inform`` here. The focus of the conversation (slots ``topic``,
``service``, ``office``, ``street``) decides together with what the message mentions:

- a street → road closures;
- while opening hours are the topic (or were just asked for: "Für welches Amt?"), an
  office → opening hours, even when its name is also a service's ("Fundbüro");
- a service → responsibility;
- a detail ("und was kostet das?", "und wo ist das?") with a service or office in
  focus → responsibility (the detail of that service, or the office's address);
- an office after a service ("und das in Nord?") → responsibility (is it offered
  there?), otherwise → opening hours;
- a bare time ("und morgen?") continues road closures, else asks for opening hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.dialogue import entity_values
from bot.dialogue.details import detail_of
from bot.dialogue.resolve import resolve_office, resolve_service
from bot.knowledge.base import Knowledge
from bot.knowledge.when import parse_when

TOPICS = ("opening_hours", "responsibility", "road_closures")


def topic_of(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    current: str | None,
    now: datetime,
    service_focus: str | None = None,
) -> str | None:
    """The topic a follow-up belongs to, or None when nothing is recognised."""
    if entity_values(entities, "street"):
        return "road_closures"
    office = resolve_office(knowledge, text, entities, None, use_focus=False)
    names_office = office.office is not None or office.unknown is not None
    if current == "opening_hours" and names_office:
        return "opening_hours"
    if resolve_service(knowledge, text, entities).matches:
        return "responsibility"
    has_service = bool(service_focus) and service_focus in knowledge.services
    detail = detail_of(text, entities)
    if detail and (has_service or current in ("opening_hours", "responsibility")):
        return "responsibility"  # a detail of the service, or of the office, in focus
    if names_office:
        if has_service and current == "responsibility" and office.office is not None:
            return "responsibility"
        return "opening_hours"
    if current == "road_closures":
        return current  # "und die Hauptstraße?", "und morgen?": streets come from the feed
    if (
        current in ("opening_hours", "responsibility")
        and parse_when(text, now, state=knowledge.state).days
    ):
        return "opening_hours"
    return current if current in TOPICS else None
