"""Responsibility answers: which office handles a concern, and what to bring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.dialogue import Outcome, entity_values, payload_button
from bot.knowledge.base import Knowledge, Office, Service
from bot.knowledge.matching import Match, words

TOPIC = "responsibility"
AMBIGUITY_MARGIN = 2.0  # candidates scoring within this of the best one are asked back
MAX_CHOICES = 4
MANY_OFFICES = 3  # from this many offices on, the answer asks for the district
MAX_LISTED = 8  # offices listed for one district


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


def offering_offices(knowledge: Knowledge, service: Service) -> list[Office]:
    """The city's offices that offer ``service``, in data order."""
    ids = dict.fromkeys([service.office, *service.also_at])
    return [knowledge.offices[i] for i in ids if i in knowledge.offices]


def district_in(text: str, districts: list[str]) -> str | None:
    """The district a message names ("… in Neukölln"), compared word for word."""
    said = words(text)
    if not said:
        return None
    for district in sorted(districts, key=len, reverse=True):
        wanted = words(district)
        n = len(wanted)
        if n and any(said[i : i + n] == wanted for i in range(len(said) - n + 1)):
            return district
    return None


def _today_hours(knowledge: Knowledge, office: Office, now: datetime | None) -> str:
    from bot.dialogue.opening_hours import schedule_for
    from bot.knowledge.opening_hours import format_intervals

    if now is None:
        return ""
    if office.opening_hours is None:
        return " – heute: laut Angabe des Amts" if office.hours_text else ""
    day = schedule_for(knowledge, office).day(now.date())
    if day.intervals:
        return f" – heute {format_intervals(day.intervals)} Uhr"
    return f" – heute geschlossen ({day.closed_reason})"


def _many(
    knowledge: Knowledge,
    out: Outcome,
    service: Service,
    offices: list[Office],
    text: str,
    now: datetime | None,
) -> None:
    """A service offered at many offices: all of them, by district."""
    districts = list(dict.fromkeys(o.district for o in offices if o.district))
    link = next((o.appointment_url for o in offices if o.appointment_url), None)
    appointment = f"\nTermin: {link}" if link else ""
    district = district_in(text, districts) if districts else None
    if district:
        here = [o for o in offices if o.district == district]
        lines = "".join(
            f"\n• {o.name}{_today_hours(knowledge, o, now)} · {o.address}"
            + (f" · Telefon {o.phone}" if o.phone else "")
            for o in here[:MAX_LISTED]
        )
        more = f"\n(und {len(here) - MAX_LISTED} weitere)" if len(here) > MAX_LISTED else ""
        out.say(
            "utter_responsibility_district",
            service=service.name,
            district=district,
            count=str(len(here)),
            lines=lines + more,
            appointment=appointment,
        )
        return
    kinds = list(dict.fromkeys(o.category for o in offices if o.category))
    where = kinds[0] if len(kinds) == 1 else "folgenden Standorten"
    buttons = [
        {"title": d, "payload": f"{service.name} in {d}"} for d in districts[: MAX_CHOICES * 3]
    ]
    out.say(
        "utter_responsibility_many" if districts else "utter_responsibility_many_no_district",
        buttons=buttons,
        service=service.name,
        count=str(len(offices)),
        where=where,
        appointment=appointment,
        districts=", ".join(districts),
        examples=", ".join(o.name for o in offices[:3]),
    )


def answer(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    now: datetime | None = None,
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
            city=knowledge.city,
        )
        return out
    offering = offering_offices(knowledge, service)
    if len(offering) >= MANY_OFFICES:
        _many(knowledge, out, service, offering, text, now)
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
