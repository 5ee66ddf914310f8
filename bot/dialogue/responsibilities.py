"""Responsibility answers: which office handles a concern, and what to bring."""

from __future__ import annotations

from typing import Any

from bot.dialogue import Outcome, entity_values, payload_button
from bot.knowledge.base import Knowledge, Office, Service
from bot.knowledge.matching import Match

TOPIC = "responsibility"
AMBIGUITY_MARGIN = 2.0  # candidates scoring within this of the best one are asked back
MAX_CHOICES = 4


def find_services(knowledge: Knowledge, text: str, entities: list[dict[str, Any]]) -> list[Match]:
    """Candidate services for a message: entities first, then the whole text.

    An entity names a service ("Parkausweis" → Bewohnerparkausweis), but the whole text
    may name a more specific one ("Parkausweis für meinen Handwerksbetrieb"): when the
    text's best match is another service and scores higher than the entity's service
    does on the text, the text's ranking decides.
    """
    matches = knowledge.find_services(text) if text.strip() else []
    for value in entity_values(entities, "service"):
        if value in knowledge.services:
            own = next((m.score for m in matches if m.key == value), 0.0)
            if matches and matches[0].key != value and matches[0].score > own:
                return matches
            return [Match(value, 100.0, value)]
    if not matches:
        for value in entity_values(entities, "service"):
            matches = knowledge.find_services(value, threshold=80)
            if matches:
                break
    return matches


def details(knowledge: Knowledge, service: Service, office: Office) -> str:
    """The lines a citizen needs before the visit, from what the data has."""
    lines = []
    if service.documents:
        lines.append("Bitte mitbringen: " + ", ".join(service.documents))
    if service.fee:
        lines.append(f"Gebühr: {service.fee}")
    if service.deadline:
        lines.append(f"Frist: {service.deadline}")
    if service.online:
        lines.append(f"Online: {service.online}")
    if office.appointment_required and office.appointment_url:
        lines.append(f"Termin erforderlich: {office.appointment_url}")
    elif office.appointment_url:
        lines.append(f"Termine online: {office.appointment_url}")
    if office.address:
        lines.append(f"Adresse: {office.address}")
    contact = " · ".join(x for x in (office.phone, office.email) if x)
    if contact:
        lines.append(f"Kontakt: {contact}")
    others = [knowledge.offices[o].name for o in service.also_at if o in knowledge.offices]
    if others:
        lines.append("Auch möglich bei: " + ", ".join(others))
    return "".join(f"\n• {line}" for line in lines)


def answer(
    knowledge: Knowledge, text: str, entities: list[dict[str, Any]], slots: dict[str, Any]
) -> Outcome:
    """Answers "who is responsible for …" from data/knowledge/services.yml."""
    out = Outcome(slots={"topic": TOPIC})
    matches = find_services(knowledge, text, entities)
    if not matches:
        if not text.strip() or text.startswith("/"):
            out.say("utter_ask_service")
        else:
            out.say("utter_service_unknown")
            out.backlog = text
        return out
    best = matches[0].score
    close = [m for m in matches if m.score > best - AMBIGUITY_MARGIN]
    offices = {knowledge.services[m.key].office for m in close}
    if len(offices) > 1:  # same office for all candidates: the answer is the same
        buttons = [
            payload_button(knowledge.services[m.key].name, "ask_responsibility", service=m.key)
            for m in close[:MAX_CHOICES]
        ]
        out.say("utter_ask_which_service", buttons=buttons)
        return out
    service = knowledge.services[matches[0].key]
    office = knowledge.offices[service.office]
    out.slots["service"] = service.id
    if office.external:
        out.say(
            "utter_responsibility_external",
            service=service.name,
            office=office.name,
            note=office.note or "",
            details=details(knowledge, service, office),
        )
        return out
    out.slots["office"] = office.id
    button = payload_button(f"Öffnungszeiten {office.name}", "ask_opening_hours", office=office.id)
    out.say(
        "utter_responsibility",
        buttons=[button],
        service=service.name,
        office=office.name,
        details=details(knowledge, service, office),
    )
    if service.case_specific:
        out.say("utter_responsibility_case_hint")
    return out
