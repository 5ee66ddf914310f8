"""Responsibility answers: which office handles a concern, and what to bring.

A question about one detail of a service ("Was kostet ein Reisepass?", "Brauche ich
einen Termin?") is answered by :mod:`bot.dialogue.details`; a follow-up without its
own service ("Was muss ich mitbringen?") refers to the service in focus (slot
``service``); a new service in the message replaces the focus.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import texts
from bot.dialogue import Outcome, office_name, payload_button
from bot.dialogue.details import answer_detail, answer_office_detail, detail_of, service_detail
from bot.dialogue.resolve import resolve_office, resolve_service, unknown_object
from bot.knowledge.base import Knowledge, Office, Service
from bot.knowledge.matching import Match, words

TOPIC = "responsibility"
AMBIGUITY_MARGIN = 2.0  # candidates scoring within this of the best one are asked back
MAX_CHOICES = 4
MANY_OFFICES = 3  # from this many offices on, the answer asks for the district
MAX_LISTED = 8  # offices listed for one district
SHORT_WORDS = 5  # "und das im Bürgerbüro Nord?"


def find_services(knowledge: Knowledge, text: str, entities: list[dict[str, Any]]) -> list[Match]:
    """Candidate services for a message (see :func:`bot.dialogue.resolve.resolve_service`)."""
    return resolve_service(knowledge, text, entities).matches


def details(
    knowledge: Knowledge, service: Service, office: Office, lang: str = texts.DEFAULT_LANGUAGE
) -> str:
    """The lines a citizen needs before the visit, from what the data has."""

    def line(key: str, **values: str) -> str:
        return texts.text(lang, f"service_card.{key}", **values)

    lines = []
    if service.documents:
        lines.append(line("documents", documents=service_detail(service, "documents", lang)))
    if service.fee:
        lines.append(line("fee", fee=service_detail(service, "fee", lang)))
    if service.deadline:
        lines.append(line("deadline", deadline=service_detail(service, "deadline", lang)))
    if service.online:
        lines.append(line("online", online=service.online))
    if office.appointment_required and office.appointment_url:
        lines.append(line("appointment_required", url=office.appointment_url))
    elif office.appointment_url:
        lines.append(line("appointment_online", url=office.appointment_url))
    if office.address:
        lines.append(line("address", address=office.address))
    contact = " · ".join(x for x in (office.phone, office.email) if x)
    if contact:
        lines.append(line("contact", contact=contact))
    others = [
        office_name(knowledge.offices[o], lang) for o in service.also_at if o in knowledge.offices
    ]
    if others:
        lines.append(line("also_at", offices=", ".join(others)))
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


def _today_hours(
    knowledge: Knowledge, office: Office, now: datetime | None, lang: str = texts.DEFAULT_LANGUAGE
) -> str:
    from bot.dialogue.opening_hours import schedule_for

    if now is None:
        return ""
    if office.opening_hours is None:
        return texts.text(lang, "service_card.today_as_stated") if office.hours_text else ""
    day = schedule_for(knowledge, office).day(now.date())
    if day.intervals:
        intervals = texts.fmt_intervals(lang, day.intervals)
        return texts.text(lang, "service_card.today_open", intervals=intervals)
    reason = texts.translate_reason(lang, day.closed_reason or "")
    return texts.text(lang, "service_card.today_closed", reason=reason)


def _many(
    knowledge: Knowledge,
    out: Outcome,
    service: Service,
    offices: list[Office],
    text: str,
    now: datetime | None,
    lang: str = texts.DEFAULT_LANGUAGE,
) -> None:
    """A service offered at many offices: all of them, by district."""
    districts = list(dict.fromkeys(o.district for o in offices if o.district))
    link = next((o.appointment_url for o in offices if o.appointment_url), None)
    appointment = texts.text(lang, "service_card.appointment_link", link=link) if link else ""
    district = district_in(text, districts) if districts else None
    if district:
        here = [o for o in offices if o.district == district]
        lines = "".join(
            f"\n• {office_name(o, lang)}{_today_hours(knowledge, o, now, lang)} · {o.address}"
            + (texts.text(lang, "service_card.phone", phone=o.phone) if o.phone else "")
            for o in here[:MAX_LISTED]
        )
        more = (
            texts.text(lang, "service_card.more", count=len(here) - MAX_LISTED)
            if len(here) > MAX_LISTED
            else ""
        )
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


def _mentioned_office(
    knowledge: Knowledge, text: str, entities: list[dict[str, Any]]
) -> Office | None:
    """An office the message itself names (not the one in focus)."""
    return resolve_office(knowledge, text, entities, None, use_focus=False).office


def answer(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    now: datetime | None = None,
) -> Outcome:
    """Answers "who is responsible for …", or one detail of a service."""
    detail = detail_of(text, entities) or slots.get("detail")
    asked_office = _mentioned_office(knowledge, text, entities) if text.strip() else None
    focus = slots.get("service")
    # A short follow-up naming only an office ("Und das in Nord?") refers to the focus;
    # a longer question with an unknown concern must not be answered for the focus.
    use_focus = bool(detail) or (asked_office is not None and len(words(text)) <= SHORT_WORDS)
    ref = resolve_service(knowledge, text, entities, focus, use_focus=use_focus)
    if ref.from_focus and asked_office is not None and not detail:
        detail = "locations"  # "Und das in Nord?" after a service: is it offered there?
    out = Outcome(slots={"topic": TOPIC})
    lang = texts.normalise(slots.get("language"))
    matches = ref.matches
    if not matches:
        return _no_service(knowledge, out, text, entities, detail, ref.choices, asked_office, slots)
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
    if not ref.exact:
        out.say("utter_did_you_mean", name=office_name(service, lang))
    if detail:
        result = answer_detail(knowledge, service, detail, asked_office, lang)
        out.replies += result.replies
        out.slots.update(result.slots)
        return out
    return _card(knowledge, out, service, text, now, lang)


def _card(
    knowledge: Knowledge,
    out: Outcome,
    service: Service,
    text: str = "",
    now: datetime | None = None,
    lang: str = texts.DEFAULT_LANGUAGE,
) -> Outcome:
    office = knowledge.offices[service.office]
    out.slots["service"] = service.id
    out.slots["detail"] = None
    if office.external:
        out.say(
            "utter_responsibility_external",
            service=office_name(service, lang),
            office=office_name(office, lang),
            note=office.note or "",
            details=details(knowledge, service, office, lang),
            city=knowledge.city,
        )
        return out
    offering = offering_offices(knowledge, service)
    if len(offering) >= MANY_OFFICES:
        _many(knowledge, out, service, offering, text, now, lang)
        return out
    out.slots["office"] = office.id
    title = texts.text(lang, "service_card.opening_hours_button", office=office.name)
    button = payload_button(title, "ask_opening_hours", office=office.id)
    out.say(
        "utter_responsibility",
        buttons=[button],
        service=office_name(service, lang),
        office=office_name(office, lang),
        details=details(knowledge, service, office, lang),
    )
    if service.case_specific:
        out.say("utter_responsibility_case_hint")
    if service.report:
        from bot.dialogue import report  # the report imports this topic's neighbours

        out.replies += report.offer(knowledge, service, lang).replies
    return out


def _no_service(
    knowledge: Knowledge,
    out: Outcome,
    text: str,
    entities: list[dict[str, Any]],
    detail: str | None,
    choices: list[Service],
    asked_office: Office | None,
    slots: dict[str, Any],
) -> Outcome:
    """No service found: an office-level detail, ask back, or say it is unknown."""
    lang = texts.normalise(slots.get("language"))
    unknown = unknown_object(knowledge, text, entities) if text.strip() else None
    if detail and not unknown:
        office = asked_office or knowledge.offices.get(slots.get("office") or "")
        result = answer_office_detail(office, detail, lang) if office else None
        if result is not None:
            out.replies += result.replies
            out.slots.update(result.slots)
            return out
        out.say("utter_ask_service_for_detail")
        out.slots["detail"] = detail  # the next message names the service
        return out
    if not text.strip() or text.startswith("/"):
        out.say("utter_ask_service")
        return out
    out.say("utter_service_unknown")
    if choices:
        out.say(
            "utter_service_choices",
            buttons=[
                payload_button(s.name, "ask_responsibility", service=s.id)
                for s in choices[:MAX_CHOICES]
            ],
        )
    out.backlog = text
    return out
