"""Handoff to staff: explain why, switch the channel where needed, create the ticket."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.engine import Engine

from bot import texts
from bot.cases import resume
from bot.channels.guard import RateLimiter
from bot.city import City
from bot.dialogue import Outcome, office_name, payload_button
from bot.dialogue.opening_hours import schedule_for
from bot.handoff.due import due_in_words, due_time
from bot.handoff.policy import HandoffConfig, decide, other_ways, route
from bot.handoff.redact import redact
from bot.handoff.tickets import NewTicket, Outbox, new_reference, submit
from bot.handoff.transcript import transcript
from bot.knowledge.base import Knowledge, Office

INTENT_REASONS = {
    "request_human": "request_human",
    "ask_case_status": "case_specific",
    "complain": "complain",
}
REASONS_WITH_TEXT = (
    "request_human",
    "case_specific",
    "personal_data",
    "sensitive_topic",
    "complain",
    "emergency",
    "urgent_social",
)
TRANSCRIPT_LINES = 50  # the last lines of the conversation stored with a case
URGENT_HOURS = 2.0


@dataclass
class HandoffRequest:
    """What the action knows about the message that asked for a person."""

    sender_id: str
    channel: str
    reason: str
    triggers: list[str] = field(default_factory=list)
    emergency: bool = False
    crisis: bool = False
    key: str = ""
    social_responses: list[str] = field(default_factory=list)
    urgent: bool = False


def request_from_parse(
    sender_id: str, channel: str | None, parse_data: dict[str, Any], event_ts: float | None
) -> HandoffRequest:
    """Reads the HandoffDetector's result (or the intent of a button payload)."""
    info = parse_data.get("handoff") or {}
    intent = (parse_data.get("intent") or {}).get("name")
    reason = info.get("reason") or INTENT_REASONS.get(intent or "", "request_human")
    urgent = bool(info.get("urgent_social"))
    if urgent and reason != "emergency":
        reason = "urgent_social"
    return HandoffRequest(
        sender_id=sender_id,
        channel=(channel or "rest").lower(),
        reason=reason,
        triggers=list(info.get("triggers") or []),
        emergency=bool(info.get("emergency")),
        crisis=bool(info.get("crisis")),
        key=f"{sender_id}:{event_ts or 0:.6f}",
        social_responses=[str(r) for r in info.get("social_responses") or []],
        urgent=urgent,
    )


def social_variables(city: City | None) -> dict[str, str]:
    """``{social_service}``, ``{social_phone}``, ``{social_hours}`` of the social responses.

    Without the city's emergency social service in the profile: its general contact.
    """
    if city is None:
        return {"social_service": "Bürgerservice", "social_phone": "", "social_hours": ""}
    if city.social_emergency_phone:
        hours = f" ({city.social_emergency_hours})" if city.social_emergency_hours else ""
        return {
            "social_service": city.social_emergency_name,
            "social_phone": city.social_emergency_phone,
            "social_hours": hours,
        }
    return {
        "social_service": city.contact_office or "Bürgerservice",
        "social_phone": city.contact_phone,
        "social_hours": "",
    }


def contact(office: Office, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    """ "Telefon …, E-Mail …" of an office."""
    parts = []
    if office.phone:
        parts.append(texts.text(lang, "handoff.phone", phone=office.phone))
    if office.email:
        parts.append(texts.text(lang, "handoff.email", email=office.email))
    return ", ".join(parts) or office.address or office.name


def office_object(office: Office, lang: str) -> str:
    """The office as the object of a sentence: "das Steueramt" (German grammar), else its name."""
    if lang == texts.DEFAULT_LANGUAGE:
        return office.the("acc")
    return office_name(office, lang)


def office_at(office: Office | None, lang: str) -> str:
    """Where a case lies: "beim Steueramt" (German grammar), else the name."""
    if office is None:
        return texts.text(lang, "handoff.at_responsible_office")
    if lang == texts.DEFAULT_LANGUAGE:
        return office.at()
    return texts.text(lang, "handoff.at_office", office=office_name(office, lang))


def working_day(knowledge: Knowledge, office: Office) -> Callable[[Any], bool]:
    """Whether a date is a working day of ``office`` (it has opening hours that day: not a
    weekend, a public holiday of the city's state or a special closure)."""
    schedule = schedule_for(knowledge, office)
    return lambda d: bool(schedule.day(d).intervals)


def compute_due(
    knowledge: Knowledge, config: HandoffConfig, office: Office, now: datetime, urgent: bool
) -> datetime:
    """Due time of a new ticket (urgent: a few hours; else 24 h on working days)."""
    if urgent:
        return now + timedelta(hours=URGENT_HOURS)
    return due_time(now, working_day(knowledge, office), config.response_hours)


def start(
    knowledge: Knowledge,
    config: HandoffConfig,
    req: HandoffRequest,
    slots: dict[str, Any],
    now: datetime,
    create: Callable[[HandoffRequest, bool], Outcome],
    city: City | None = None,
) -> Outcome:
    """First reaction to a handoff reason: emergency numbers, why, and consent or switch.

    An urgent social need (``req.social_responses``, from the detection data) gets its
    immediate numbers first and, like an emergency, an urgent case at once.
    """
    out = Outcome(slots={"topic": "handoff"})
    if req.emergency:
        out.say("utter_emergency")
    if req.crisis:
        out.say("utter_crisis")
    said = {r.response for r in out.replies}
    social = social_variables(city)
    for response in req.social_responses:
        if response not in said:
            out.say(response)
            out.replies[-1].variables.update(social)
            said.add(response)
    reason = req.reason if req.reason in REASONS_WITH_TEXT else "request_human"
    out.say(f"utter_handoff_why_{reason}")
    decision = decide(config, req.channel, req.reason)
    if decision.switch or req.emergency or req.urgent:
        # Nothing sensitive is processed here: the ticket is created redacted, now.
        created = create(req, decision.switch)
        out.replies += created.replies
        out.slots.update(created.slots)
        return out
    out.say("utter_handoff_ask_consent")
    out.slots.update(
        handoff_stage="consent",
        handoff_reason=req.reason,
        handoff_triggers=req.triggers,
        handoff_key=req.key,
    )
    return out


def create_ticket(
    knowledge: Knowledge,
    config: HandoffConfig,
    req: HandoffRequest,
    *,
    switch: bool,
    events: list[dict[str, Any]],
    slots: dict[str, Any],
    now: datetime,
    engine_factory: Callable[[], Engine],
    outbox: Outbox,
    resume_hours: float = 72,
) -> Outcome:
    """Creates the ticket (idempotent, via the outbox when the store is down).

    On the website the conversation pauses until staff reply; on a messenger with a
    sensitive reason the citizen gets the reference and a website link holding a
    single-use resume token valid for ``resume_hours`` (the reference grants nothing).
    """
    out = Outcome()
    office_id = route(config, knowledge, req.triggers, slots.get("service"), slots.get("office"))
    office = knowledge.offices[office_id]
    due = compute_due(knowledge, config, office, now, urgent=req.emergency or req.urgent)
    redacted = switch or req.channel not in config.trusted_channels
    lines = transcript(events, redacted=redacted, limit=TRANSCRIPT_LINES)
    summary = next((m["text"] for m in reversed(lines) if m["from"] == "citizen"), "")
    lang = texts.normalise(slots.get("language"))
    # staff see the conversation's language first in the inbox ("[EN] I need …")
    summary = texts.mark_language(lang, summary)
    grant = resume.new_grant(now, resume_hours) if switch else None
    ticket = NewTicket(
        reference=new_reference(),
        idem_key=req.key or f"{req.sender_id}:{now.timestamp():.6f}",
        sender_id=req.sender_id,
        channel=req.channel,
        reason=req.reason,
        office=office_id,
        created_at=now.astimezone(timezone.utc),
        due_at=due.astimezone(timezone.utc),
        triggers=req.triggers,
        summary=redact(summary)[:300],
        transcript=lines,
        redacted=redacted,
        resume_token_hash=grant.token_hash if grant else "",
        resume_expires_at=grant.expires_at if grant else None,
    )
    stored = submit(engine_factory, outbox, ticket)
    due_words = due_in_words(due, now, lang)
    if grant is not None:
        decision = decide(config, req.channel, req.reason)
        out.say(
            "utter_handoff_channel_switch",
            platform=decision.platform or texts.text(lang, "handoff.this_channel"),
            why=decision.why,
            reference=ticket.reference,
            link=config.resume_url.format(token=grant.token),
            other_ways="".join(f"\n• {way}" for way in other_ways(config, req.channel)),
            office=office_name(office, lang),
            contact=contact(office, lang),
            due=due_words,
        )
        out.slots.update(handoff_stage=None, handoff_reason=None, handoff_key=None)
        return out
    if not stored:
        out.say("utter_handoff_unavailable", reference=ticket.reference)
    out.say(
        "utter_handoff_created",
        reference=ticket.reference,
        office=office_object(office, lang),
        due=due_words,
    )
    out.slots.update(handoff_stage="paused", handoff_reason=req.reason)
    return out


def declined(knowledge: Knowledge, config: HandoffConfig, slots: dict[str, Any]) -> Outcome:
    """The citizen does not want the conversation passed on: contact options instead."""
    office_id = route(
        config,
        knowledge,
        list(slots.get("handoff_triggers") or []),
        slots.get("service"),
        slots.get("office"),
    )
    office = knowledge.offices[office_id]
    lang = texts.normalise(slots.get("language"))
    out = Outcome(slots={"handoff_stage": None, "handoff_reason": None, "handoff_key": None})
    out.say(
        "utter_consent_declined",
        buttons=[payload_button(texts.text(lang, "handoff.pass_on_button"), "request_human")],
        office=office_object(office, lang),
        contact=contact(office, lang),
    )
    return out


def resume_on_website(
    knowledge: Knowledge,
    engine_factory: Callable[[], Engine],
    request: resume.Request,
    now: datetime,
    failures: RateLimiter,
) -> Outcome:
    """Moves an open (messenger) case to this website conversation and pauses it.

    Only with the link's resume token, only on the website, only once (see
    :mod:`bot.cases.resume`). Staff replies then reach the citizen here, on the city's
    own server.
    """
    out = Outcome()
    attempt = resume.redeem(engine_factory(), request, now, failures)
    if attempt.outcome is resume.Outcome.WRONG_CHANNEL:
        out.say("utter_case_resume_website_only")
        return out
    if attempt.outcome is resume.Outcome.RATE_LIMITED:
        out.say("utter_case_resume_wait")
        return out
    row = attempt.ticket
    if row is None:
        out.say("utter_case_not_found")
        return out
    office = knowledge.offices.get(row.office or "")
    due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=timezone.utc)
    out.say(
        "utter_case_resumed",
        reference=row.reference,
        office_at=office_at(office, texts.DEFAULT_LANGUAGE),
        due=due_in_words(due.astimezone(now.tzinfo), now),
    )
    out.slots.update(handoff_stage="paused", topic="handoff")
    return out
