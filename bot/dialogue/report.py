"""Reports of what is broken, taken in the conversation and passed to the office as a case.

For the services with ``report: true`` (data/knowledge/services.yml) the assistant asks
only for what is missing: the kind (the service: a scrap car, a pothole), the place (a
street of the city's list, with house number or landmark, checked by
:mod:`bot.knowledge.reports`; an unknown street is asked again with the closest names) and
takes "when" when the message says it ("seit Wochen"). "In der Lindenallee 12 steht seit
Wochen ein Auto ohne Kennzeichen" needs no question at all.

The report becomes a case with reason ``report`` ("Meldung") for the service's office, due
in the kind's working days (``report_due_days``, else ``due_days`` of reports.yml) on the
office's working days (holidays of the city's state), with a reference; a report of the
same place that is still open takes the new one in (:func:`bot.cases.store.create`). It
opens no case conversation (bot.cases.conversation.open_case leaves reports out): the
citizen asks on freely, and hears back when the caseworker marks it done.

Between the questions the slot ``report_stage`` is ``collecting`` and the draft is in
``report_draft``; bot/case_policy.py sends every message to ``action_report`` meanwhile.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine

from bot import texts
from bot.cases import store as cases
from bot.cases.resume import hash_token
from bot.dialogue import Outcome, office_name, payload_button
from bot.dialogue.case import HANDOFF_INTENTS, ROUTINE_ACTIONS
from bot.dialogue.handoff import office_at, office_object, transcript, working_day
from bot.dialogue.resolve import resolve_service
from bot.handoff.due import due_in_words, due_time
from bot.handoff.policy import HandoffConfig
from bot.handoff.redact import redact
from bot.handoff.tickets import NewTicket, Outbox, new_reference, submit
from bot.knowledge.base import Knowledge, Service
from bot.knowledge.reports import Place, ReportSettings, StreetList, find_place

COLLECTING = "collecting"
REASON = cases.REPORT
CLEARED: dict[str, Any] = {"report_stage": None, "report_draft": None}
WEBSITE_CHANNELS = ("socketio",)
MAX_DESCRIPTION = 1000
# "seit Wochen", "seit gestern", "heute früh", "for weeks": taken as "when", never asked.
_WHEN = re.compile(
    r"\b(seit (?:gestern|vorgestern|heute|kurzem|langem|(?:einigen |mehreren |zwei |drei |vier )?"
    r"(?:tagen|wochen|monaten|jahren))|gestern(?: abend| nacht| früh)?|heute (?:früh|morgen|nacht)"
    r"|letzte(?:n|r)? (?:woche|nacht|monat)|for (?:days|weeks|months)|since yesterday"
    r"|yesterday|last (?:week|night))\b",
    re.IGNORECASE,
)


# "Ich möchte etwas melden", "Schaden melden", "report a problem": a report without a kind.
_ASKS_TO_REPORT = re.compile(
    r"\b(meld\w*|mängel\w*|schaden|schäden|kaputt|defekt|report\w*|broken|damage\w*)\b",
    re.IGNORECASE,
)


@dataclass
class ReportMessage:
    """What the action knows about the citizen's message."""

    sender_id: str
    channel: str
    text: str
    intent: str | None
    entities: list[dict[str, Any]]
    key: str  # idempotency key of the message (sender and event time)
    language: str = texts.DEFAULT_LANGUAGE


@dataclass
class ReportResult:
    """The outcome, and the action that answers the message instead (a handoff, a question)."""

    outcome: Outcome
    followup: str | None = None


@dataclass
class ReportSetup:
    """The city's data for reports."""

    knowledge: Knowledge
    settings: ReportSettings
    streets: StreetList
    config: HandoffConfig
    engine_factory: Callable[[], Engine]
    outbox: Outbox
    website: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)


def reportable(knowledge: Knowledge, text: str, entities: list[dict[str, Any]]) -> Service | None:
    """The reportable service a message names (entity first, then the words), if any."""
    for e in entities:
        service = (
            knowledge.services.get(str(e.get("value"))) if e.get("entity") == "service" else None
        )
        if service is not None and service.report:
            return service
    if not text:
        return None
    for match in resolve_service(knowledge, text, entities).matches:
        service = knowledge.services.get(match.key)
        if service is not None and service.report:
            return service
    return None


def offer(knowledge: Knowledge, service: Service, lang: str) -> Outcome:
    """ "Möchten Sie das gleich hier melden?" with a button that starts the report."""
    out = Outcome()
    office = knowledge.offices.get(service.office)
    out.say(
        "utter_report_offer",
        buttons=[
            payload_button(
                texts.text(lang, "report.offer_button"), "report_problem", service=service.id
            )
        ],
        office=office_object(office, lang) if office else service.office,
    )
    return out


def _cancelled(text: str) -> bool:
    words = " ".join(re.findall(r"[\wäöüß]+", text.lower()))
    if not words:
        return False
    for lang in texts.languages():
        for phrase in texts.words(lang, "report.cancel"):
            if words == phrase or words.startswith(phrase + " "):
                return True
    return False


def _declined(text: str) -> bool:
    """ "nein", "no", "kein Kontakt": the citizen leaves no contact."""
    words = re.findall(r"[\wäöüß]+", text.lower())
    return bool(words) and words[0] in ("nein", "nee", "no", "kein", "keine", "nicht")


def _kind_buttons(knowledge: Knowledge, lang: str) -> list[dict[str, str]]:
    return [
        payload_button(office_name(s, lang), "report_problem", service=s.id)
        for s in knowledge.services.values()
        if s.report
    ]


def _place_words(draft: dict[str, Any]) -> str:
    return Place(draft["street"], draft.get("number") or "", draft.get("landmark") or "").words()


def handle(
    setup: ReportSetup, msg: ReportMessage, slots: dict[str, Any], now: datetime
) -> ReportResult:
    """One message of a report (the first one, or an answer to a question)."""
    knowledge = setup.knowledge
    lang = texts.normalise(msg.language)
    collecting = slots.get("report_stage") == COLLECTING
    draft: dict[str, Any] = dict(slots.get("report_draft") or {}) if collecting else {}
    out = Outcome(slots={"topic": None})

    declined = bool(msg.text) and _declined(msg.text)
    if collecting and draft.get("awaiting") == "contact" and (declined or not _cancelled(msg.text)):
        # the answer to "Möchte das Amt Sie erreichen?" (only asked where personal data
        # may be processed): a phone number or e-mail is expected here, not a handoff
        kind = knowledge.services.get(str(draft.get("kind") or ""))
        if kind is not None:
            if msg.intent != "deny" and msg.text and not declined:
                draft["contact"] = msg.text[:200]
            out.slots.update(CLEARED)
            file_report(setup, msg, kind, draft, now, out)
            return ReportResult(out)
    if collecting and msg.text and _cancelled(msg.text):
        out.slots.update(CLEARED)
        out.say("utter_report_cancelled")
        return ReportResult(out)
    if msg.intent in HANDOFF_INTENTS:
        # Personal data, a complaint, a wish for a person: the handoff takes it.
        out.slots.update(CLEARED)
        return ReportResult(out, "action_handoff")

    service = reportable(knowledge, msg.text, msg.entities)
    place = find_place(msg.text, setup.streets) if msg.text else None
    if collecting and service is None and (place is None or place.place is None):
        routine = ROUTINE_ACTIONS.get(msg.intent or "")
        if routine and routine != "action_road_closures" and not (place and place.unknown):
            # A new question instead of an answer: the report is set aside.
            out.slots.update(CLEARED)
            return ReportResult(out, routine)

    if not collecting and msg.text and (place is None or place.place is None):
        # DIET said "report" but the message is no report of a place:
        if service is None and not _ASKS_TO_REPORT.search(msg.text):
            # "Mein Nachbar parkt immer auf dem Gehweg": mostly a concern of another
            # service; the responsibility answer names it, or says it is unknown
            return ReportResult(out, "action_responsibility")
        if service is not None and "?" in msg.text and (place is None or not place.unknown):
            # "… Wer kümmert sich um so etwas?": the office, with the offer to report it
            return ReportResult(out, "action_responsibility")
    if service is not None and not draft.get("kind"):
        draft["kind"] = service.id
    if msg.text:
        said = redact(msg.text)
        before = draft.get("description") or ""
        draft["description"] = f"{before} / {said}"[:MAX_DESCRIPTION] if before else said
        when = _WHEN.search(msg.text)
        if when and not draft.get("observed"):
            draft["observed"] = when.group(0)
    if place is not None and place.place is not None and not draft.get("street"):
        draft.update(
            street=place.place.street, number=place.place.number, landmark=place.place.landmark
        )

    kind = knowledge.services.get(str(draft.get("kind") or ""))
    if kind is None or not kind.report:
        out.say("utter_report_ask_what", buttons=_kind_buttons(knowledge, lang))
        out.slots.update(report_stage=COLLECTING, report_draft=draft)
        return ReportResult(out)
    if not draft.get("street"):
        out.slots.update(report_stage=COLLECTING, report_draft=draft)
        if place is not None and place.unknown:
            number = re.search(r"\d{1,4}\s?[a-h]?\b", msg.text or "")
            tail = f" {number.group(0).strip()}" if number else ""
            buttons = [{"title": f"{s}{tail}", "payload": f"{s}{tail}"} for s in place.suggestions]
            if buttons:
                out.say("utter_report_street_unknown", buttons=buttons, street=place.unknown)
            else:
                out.say("utter_report_street_unknown_no_suggestion", street=place.unknown)
        elif draft.get("asked_where"):
            out.say("utter_report_place_unclear")
        else:
            out.say("utter_report_ask_where", kind=office_name(kind, lang))
        draft["asked_where"] = True
        return ReportResult(out)

    if (
        "contact" in kind.report_fields
        and msg.channel in setup.config.trusted_channels
        and not draft.get("awaiting")
    ):
        draft["awaiting"] = "contact"
        out.slots.update(report_stage=COLLECTING, report_draft=draft)
        out.say("utter_report_ask_contact")
        return ReportResult(out)
    out.slots.update(CLEARED)
    file_report(setup, msg, kind, draft, now, out)
    return ReportResult(out)


def due_days(setup: ReportSetup, kind: Service) -> int:
    """Working days until the office answers a report of ``kind``."""
    return kind.report_due_days or setup.settings.due_days


def file_report(
    setup: ReportSetup,
    msg: ReportMessage,
    kind: Service,
    draft: dict[str, Any],
    now: datetime,
    out: Outcome,
) -> None:
    """Creates the case (or joins the open one of the same place) and confirms it."""
    knowledge, config = setup.knowledge, setup.config
    lang = texts.normalise(msg.language)
    office = knowledge.offices[kind.office]
    due = due_time(now, working_day(knowledge, office), 24.0 * due_days(setup, kind))
    redacted = msg.channel not in config.trusted_channels
    place = _place_words(draft)
    description = str(draft.get("description") or "")
    contact = str(draft.get("contact") or "")
    if contact and not redacted:
        # asked only where personal data may be processed; staff read it in the case
        label = texts.text(texts.DEFAULT_LANGUAGE, "report.staff_contact", contact=contact)
        description = f"{description} / {label}"[:MAX_DESCRIPTION]
    summary = texts.mark_language(lang, f"{kind.name}: {place} – {description}")
    # On the website the citizen may close the chat before the office is done: a link to
    # the report's state (a secret token; only its hash is stored).
    status_token = secrets.token_urlsafe(24) if msg.channel in WEBSITE_CHANNELS else ""
    ticket = NewTicket(
        reference=new_reference(),
        idem_key=msg.key,
        sender_id=msg.sender_id,
        channel=msg.channel,
        reason=REASON,
        office=kind.office,
        created_at=now.astimezone(timezone.utc),
        due_at=due.astimezone(timezone.utc),
        summary=redact(summary)[:300],
        transcript=transcript(setup.events, redacted=redacted),
        redacted=redacted,
        report={
            "kind": kind.id,
            "street": draft.get("street") or "",
            "house_number": draft.get("number") or "",
            "observed": draft.get("observed") or "",
            "description": description,
            "language": lang,
            "window_days": setup.settings.window_days,
            "house_numbers": setup.settings.house_numbers,
            "status_token_hash": hash_token(status_token) if status_token else "",
        },
    )
    stored = submit(setup.engine_factory, setup.outbox, ticket)
    outcome = cases.report_outcome(setup.engine_factory(), ticket.idem_key) if stored else None
    where = office_at(office, lang)
    kind_name = office_name(kind, lang)
    # only a link whose token was stored (not for a repeated request, nor while the case
    # waits in the outbox)
    linked = (
        bool(status_token)
        and outcome is not None
        and (cases.report_status(setup.engine_factory(), hash_token(status_token)) is not None)
    )
    if outcome is not None and outcome.duplicate:
        out.say(
            "utter_report_duplicate",
            reference=outcome.reference,
            kind=kind_name,
            place=place,
            office_at=where,
        )
        if linked:
            out.say("utter_report_status_link", url=status_url(setup, status_token))
        return
    if not stored:
        out.say("utter_handoff_unavailable", reference=ticket.reference)
    out.say(
        "utter_report_created",
        reference=outcome.reference if outcome else ticket.reference,
        office_at=where,
        kind=kind_name,
        place=place,
        due=due_in_words(due, now, lang),
    )
    if "photo" in kind.report_fields and msg.channel in WEBSITE_CHANNELS and stored:
        out.say("utter_report_photo_hint", reference=ticket.reference)
    if "contact" in kind.report_fields and redacted:
        out.say("utter_report_contact_website")
    if linked:
        out.say("utter_report_status_link", url=status_url(setup, status_token))


def status_url(setup: ReportSetup, token: str) -> str:
    """The link to the report's status page (``status_url`` of reports.yml)."""
    return setup.settings.status_url.replace("{token}", token)


def done_notice(lang: str, reference: str, kind: str, place: str, note: str) -> str:
    """The citizen's news that the report is done ("Ihre Meldung MS-… ist erledigt …")."""
    text = texts.text(lang, "report.done", reference=reference, kind=kind, place=place)
    if note.strip():
        text += texts.text(lang, "report.done_note", note=note.strip())
    return text
