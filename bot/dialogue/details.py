"""One detail of a service, answered first: fee, documents, appointment, online, deadline.

"Was kostet ein Reisepass?", "Was muss ich mitbringen?", "Brauche ich einen Termin?",
"Geht das online?", "Bis wann muss ich mich ummelden?", "Geht das auch in Nord?": the
answer is that detail in one or two lines with the office, and the full card is one
button away. Where the data has no such detail, the reply says so and names who knows.

Which detail is asked comes from the NLU entity ``detail`` (values :data:`DETAILS`) or,
when DIET did not tag one, from the cue words below (folded: "ae" for "ä").
"""

from __future__ import annotations

import re
from typing import Any

from bot import texts
from bot.dialogue import Outcome, entity_values, office_name, payload_button
from bot.knowledge.base import Knowledge, Office, Service
from bot.text import UMLAUTS

DETAILS = (
    "fee",
    "documents",
    "appointment",
    "online",
    "deadline",
    "locations",
    "address",
    "duration",
)
"""Values of the ``detail`` entity (domain/details.yml)."""


# First match wins: "Brauche ich einen Termin?" is about the appointment, although
# "brauche ich" alone would ask for the documents.
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("appointment", r"\btermin\w*|\bohne (?:anmeldung|voranmeldung)\b|\beinfach vorbei\w*"),
        ("online", r"\bonline\b|\binternet\b|\bdigital\w*|\bvon zu ?hause\b|\belektronisch\w*"),
        (
            "duration",
            r"\bwie lange dauert\b|\bdauer\w*\b|\bbearbeitungszeit\w*"
            r"|\bwann (?:ist|wird) \w+ fertig",
        ),
        (
            "deadline",
            r"\bfrist\w*|\bbis wann (?:muss|sollte|soll|kann)\b|\bspaetestens\b"
            r"|\bwie ?viel zeit\b|\bwie lange habe ich\b",
        ),
        (
            "fee",
            r"\bkoste\w*|\bgebuehr\w*|\bpreis\w*|\bteuer\w*|\bwie ?viel (?:geld|zahl|muss ich zahl)"
            r"|\bwie hoch\b|\bkostenlos\b|\bgratis\b|\bumsonst\b",
        ),
        (
            "documents",
            r"\bmitbring\w*|\bmitnehm\w*|\bunterlage\w*|\bdokument\w*|\bnachweis\w*|\bvorleg\w*"
            r"|\bwas (?:brauch|benoetig)\w* (?:ich|man|wir)\b",
        ),
        (
            "locations",
            r"\bauch (?:in|im|bei|beim|an|am)\b|\bwoanders\b|\banderswo\b|\bwo noch\b"
            r"|\bstandort\w*|\bfiliale\w*|\bgeht das auch\b|\bnur (?:im|in|bei|beim)\b",
        ),
        (
            "address",
            r"\bwo (?:ist|sind|befindet|liegt|finde ich) (?:das|die|der|den|es|sie)?\b"
            r"|\badresse\b|\banschrift\b|\bwie komme ich\b|\bwo genau\b",
        ),
    )
)


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower().translate(UMLAUTS)).split())


def detail_of(text: str, entities: list[dict[str, Any]]) -> str | None:
    """The detail a message asks for, or None (a general question about the service)."""
    for value in entity_values(entities, "detail"):
        if value in DETAILS:
            return value
    folded = _fold(text)
    for name, pattern in _CUES:
        if pattern.search(folded):
            return name
    return None


def service_detail(service: Service, detail: str, lang: str) -> str:
    """``fee``, ``documents`` or ``deadline`` of a service in the conversation's language:
    the city's own text in it where the data has one, else the German with a marker
    (:func:`bot.texts.from_data`). Only for a detail the service has in German."""
    german = service.detail_in(detail, texts.DEFAULT_LANGUAGE) or ""
    return texts.from_data(lang, german, service.detail_in(detail, lang))


def _card_button(service: Service, lang: str = texts.DEFAULT_LANGUAGE) -> dict[str, str]:
    title = texts.text(lang, "service_card.all_details_button", service=service.name)
    return payload_button(title, "ask_responsibility", service=service.id)


def contact(office: Office, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    """ "Telefon …, E-Mail …" (or the address) of an office."""
    phone = (
        texts.text(lang, "service_card.contact_phone", phone=office.phone) if office.phone else ""
    )
    parts = [phone, office.email or ""]
    return ", ".join(p for p in parts if p) or office.address or office.name


def places(knowledge: Knowledge, service: Service) -> list[Office]:
    """The offices where a service can be done: the responsible one first."""
    ids = [service.office, *service.also_at]
    return [knowledge.offices[i] for i in ids if i in knowledge.offices]


def answer_detail(
    knowledge: Knowledge,
    service: Service,
    detail: str,
    asked: Office | None = None,
    lang: str = texts.DEFAULT_LANGUAGE,
) -> Outcome:
    """The detail of a service in one or two lines, with the office; the card as a button.

    Args:
        knowledge: the city's data.
        service: the service in question.
        detail: one of :data:`DETAILS`.
        asked: an office the citizen named ("Geht das auch in Nord?"), for ``locations``.
    """
    office = knowledge.offices[service.office]
    out = Outcome(slots={"topic": "responsibility", "service": service.id, "detail": None})
    if not office.external:
        out.slots["office"] = office.id
    buttons = [_card_button(service, lang)]
    common = {
        "service": office_name(service, lang),
        "office": office_name(office, lang),
        "contact": contact(office, lang),
    }

    def say(response: str, **variables: str) -> Outcome:
        out.say(response, buttons=buttons, **{**common, **variables})
        return out

    if detail == "fee":
        return (
            say("utter_detail_fee", fee=service_detail(service, "fee", lang))
            if service.fee
            else say("utter_detail_fee_none")
        )
    if detail == "documents":
        if service.documents:
            return say(
                "utter_detail_documents", documents=service_detail(service, "documents", lang)
            )
        return say("utter_detail_documents_none")
    if detail == "online":
        if service.online:
            return say("utter_detail_online", url=service.online)
        return say("utter_detail_online_none")
    if detail == "deadline":
        if service.deadline:
            return say("utter_detail_deadline", deadline=service_detail(service, "deadline", lang))
        return say("utter_detail_deadline_none")
    if detail == "duration":
        return say("utter_detail_duration_none")
    if detail == "appointment":
        if office.external:
            return say("utter_detail_appointment_unknown")
        return _appointment(out, office, buttons, common)
    if detail == "address":
        return _address(out, office, buttons, lang)
    # locations
    where = places(knowledge, service)
    names = ", ".join(office_name(o, lang) for o in where)
    if asked is not None:
        if asked in where:
            out.slots["office"] = asked.id
            return say(
                "utter_detail_locations_yes",
                asked=office_name(asked, lang),
                address=asked.address or "",
            )
        return say("utter_detail_locations_no", asked=office_name(asked, lang), places=names)
    return say("utter_detail_locations", places=names)


def _appointment(
    out: Outcome, office: Office, buttons: list[dict[str, str]], common: dict[str, str]
) -> Outcome:
    if office.appointment_required and office.appointment_url:
        out.say("utter_detail_appointment_required", buttons, url=office.appointment_url, **common)
    elif office.appointment_url:
        out.say("utter_detail_appointment_optional", buttons, url=office.appointment_url, **common)
    else:
        out.say("utter_detail_appointment_walk_in", buttons, address=office.address or "", **common)
    return out


def _address(
    out: Outcome, office: Office, buttons: list[dict[str, str]], lang: str = texts.DEFAULT_LANGUAGE
) -> Outcome:
    name = office_name(office, lang)
    if office.address:
        phone = " " + texts.text(lang, "visit.phone", phone=office.phone) if office.phone else ""
        out.say("utter_detail_address", buttons, office=name, address=office.address, phone=phone)
    else:
        out.say("utter_detail_address_none", buttons, office=name, contact=contact(office, lang))
    return out


def answer_office_detail(
    office: Office, detail: str, lang: str = texts.DEFAULT_LANGUAGE
) -> Outcome | None:
    """A detail that an office alone answers (appointment, address); None for the others."""
    out = Outcome(slots={"office": office.id, "detail": None})
    title = texts.text(lang, "service_card.opening_hours_button", office=office.name)
    buttons = [payload_button(title, "ask_opening_hours", office=office.id)]
    if detail == "address":
        return _address(out, office, buttons, lang)
    if detail == "appointment" and not office.external:
        common = {"office": office_name(office, lang), "contact": contact(office, lang)}
        if office.appointment_required and office.appointment_url:
            out.say(
                "utter_detail_office_appointment_required",
                buttons,
                url=office.appointment_url,
                **common,
            )
        elif office.appointment_url:
            out.say(
                "utter_detail_office_appointment_optional",
                buttons,
                url=office.appointment_url,
                **common,
            )
        else:
            out.say("utter_detail_office_appointment_walk_in", buttons, **common)
        return out
    return None
