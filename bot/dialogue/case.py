"""The conversation while a case is open: every message goes into the case.

``bot.case_policy.CasePolicy`` sends each citizen message of a conversation with an open
case (slot ``handoff_stage`` = ``paused``) to ``action_case_message``, which calls
:func:`handle`. For each message, in this order:

1. Emergency, crisis and urgent social numbers are given as they would be outside a case.
2. The message is added to the case (redacted like the case's transcript), so the
   caseworker's open inbox shows it at the next poll.
3. The citizen ends the case: an end phrase of ``during_case.end_phrases`` closes it with
   the reason "vom Bürger beendet"; a statement with an end hint asks first, and only
   "Ja" (or the button) closes it. A question never closes a case.
4. It is acknowledged **once per round**: the first message after the case began, and
   again the first message after each staff reply ("Ihre Nachricht ist beim Steueramt
   angekommen …"). A round is read from the conversation itself (the acknowledgement and
   staff replies are bot events), so it survives restarts and several instances.
5. A routine question (:data:`ROUTINE_ACTIONS`) is answered by the assistant when the
   city allows it (``during_case.answer_routine_questions``), introduced as the
   assistant's answer, not the team's.
6. A message that gets no text at all carries a receipt (``utter_case_noted``), so the
   website's "Der Assistent schreibt …" ends at once.

A case closed or handed back in the meantime ends the case state: the message is then
answered as outside a case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot import texts
from bot.cases import conversation
from bot.cases.conversation import OpenCase
from bot.dialogue import Outcome
from bot.dialogue.handoff import office_at as office_phrase
from bot.handoff.policy import DuringCase, HandoffConfig
from bot.handoff.redact import redact
from bot.knowledge.base import Knowledge
from bot.text import fold

# Intents the assistant may answer during a case, with the action its rules run for them
# outside a case (data/rules/; tests/unit/test_case_dialogue.py checks that they agree).
ROUTINE_ACTIONS = {
    "ask_opening_hours": "action_opening_hours",
    "ask_responsibility": "action_responsibility",
    "ask_road_closures": "action_road_closures",
    "ask_faq": "action_faq",
}
# Outside a case (it was closed or handed back meanwhile) these also get their action.
HANDOFF_INTENTS = ("handoff_detected", "request_human", "ask_case_status", "complain")
ACK = "utter_case_message_received"
# Bot messages that begin a case: the first message after them gets the acknowledgement.
CASE_STARTS = ("utter_handoff_created", "utter_case_resumed", "utter_handoff_unavailable")
CLOSE_NOTE = "Von der Bürgerin / dem Bürger im Chat beendet"
CLEARED = {"handoff_stage": None, "handoff_reason": None, "handoff_key": None}


@dataclass
class CaseMessage:
    """What the action knows about the citizen's message."""

    sender_id: str
    text: str  # empty for button payloads
    intent: str | None
    handoff: dict[str, Any] = field(default_factory=dict)
    end_pending: bool = False  # the assistant asked whether to end the case
    language: str | None = None  # the conversation's language (slot ``language``)


@dataclass
class CaseResult:
    """The outcome plus the action to run next (a routine answer), if any."""

    outcome: Outcome
    followup: str | None = None


_WORD = re.compile(r"[a-z0-9]+")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def _strip_fillers(text: str, fillers: tuple[str, ...]) -> str:
    norm = f" {_norm(text)} "
    for filler in sorted((_norm(f) for f in fillers), key=len, reverse=True):
        if filler:
            norm = norm.replace(f" {filler} ", " ")
    return " ".join(norm.split())


def end_request(text: str, rules: DuringCase) -> str | None:
    """``"clear"`` (an end phrase), ``"ask"`` (an end hint in a statement) or None."""
    if not text.strip() or "?" in text:
        return None
    core = _strip_fillers(text, rules.fillers)
    if core and core in {_norm(p) for p in rules.end_phrases}:
        return "clear"
    padded = f" {_norm(text)} "
    if any(f" {_norm(h)} " in padded for h in rules.end_hints if _norm(h)):
        return "ask"
    return None


def acknowledged(events: list[dict[str, Any]]) -> bool:
    """Whether this round of the case already has its acknowledgement.

    A round begins with the case (its announcement) and again with each staff reply.
    """
    for event in reversed(events):
        if event.get("event") != "bot":
            continue
        meta = event.get("metadata") or {}
        if meta.get("staff"):
            return False
        action = meta.get("utter_action")
        if action == ACK:
            return True
        if action in CASE_STARTS:
            return False
    return False


def _office_at(knowledge: Knowledge, case: OpenCase, language: str | None) -> str:
    """ "beim Steueramt" (German grammar), "with the Steueramt (tax office)" in English."""
    return office_phrase(knowledge.offices.get(case.office or ""), texts.normalise(language))


def _urgent_numbers(out: Outcome, handoff: dict[str, Any], social: dict[str, str]) -> None:
    if handoff.get("emergency"):
        out.say("utter_emergency")
    if handoff.get("crisis"):
        out.say("utter_crisis")
    for response in handoff.get("social_responses") or []:
        if response not in {r.response for r in out.replies}:
            out.say(str(response))
            out.replies[-1].variables.update(social)


def _outside_case(msg: CaseMessage) -> CaseResult:
    """The case is no longer open: the message is answered as outside a case."""
    out = Outcome(slots={**CLEARED, "case_end_pending": None})
    if msg.intent in ROUTINE_ACTIONS:
        return CaseResult(out, ROUTINE_ACTIONS[msg.intent])
    if msg.intent in HANDOFF_INTENTS:
        return CaseResult(out, "action_handoff")
    out.say("utter_case_no_longer_open")
    return CaseResult(out)


def handle(
    knowledge: Knowledge,
    config: HandoffConfig,
    msg: CaseMessage,
    events: list[dict[str, Any]],
    now: datetime,
    engine_factory: Callable[[], Engine],
    social: dict[str, str] | None = None,
) -> CaseResult:
    """One citizen message during a case (see the module docstring for the order)."""
    engine = engine_factory()
    case = conversation.open_case(engine, msg.sender_id)
    if case is None:
        return _outside_case(msg)
    rules = config.during_case
    out = Outcome(slots={"case_end_pending": None})
    _urgent_numbers(out, msg.handoff, social or {})
    if msg.text:
        stored = redact(msg.text) if case.redacted else msg.text
        conversation.add_citizen_message(engine, case, stored, now)
        if case.redacted and stored != msg.text:
            out.say("utter_case_no_personal_data_here")
    office_at = _office_at(knowledge, case, msg.language)

    end = end_request(msg.text, rules)
    confirmed = msg.end_pending and msg.intent == "affirm"
    if end == "clear" or confirmed:
        conversation.close_by_citizen(engine, case, now, CLOSE_NOTE)
        out.say("utter_case_ended", reference=case.reference, office_at=office_at)
        out.slots.update(CLEARED)
        return CaseResult(out)
    if msg.end_pending and msg.intent == "deny":
        out.say("utter_case_end_kept", reference=case.reference)
        return CaseResult(out)
    if end == "ask":
        out.say(
            "utter_case_end_confirm",
            reference=case.reference,
            buttons=[
                {"title": "Ja, Vorgang beenden", "payload": "/affirm"},
                {"title": "Nein, offen lassen", "payload": "/deny"},
            ],
        )
        out.slots["case_end_pending"] = True
        return CaseResult(out)

    if not acknowledged(events):
        out.say(ACK, reference=case.reference, office_at=office_at)
    routine = ROUTINE_ACTIONS.get(msg.intent or "")
    if routine and rules.answer_routine_questions and not msg.handoff.get("reason"):
        out.say("utter_case_assistant_answers")
        return CaseResult(out, routine)
    if not out.replies:
        out.say("utter_case_noted", reference=case.reference, office_at=office_at)
    return CaseResult(out)
