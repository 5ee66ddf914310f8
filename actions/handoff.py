"""Actions: handoff to staff (why, consent or channel switch, ticket).

An open case is the slot ``handoff_stage`` = ``paused``; the conversation is not paused
in Rasa's sense (a paused Rasa conversation answers nothing): bot.case_policy sends
every further message to ``action_case_message`` (actions/case.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import apply, message_text
from bot import runtime
from bot.cases import resume
from bot.dialogue import Outcome, netiquette
from bot.dialogue.handoff import (
    HandoffRequest,
    create_ticket,
    declined,
    request_from_parse,
    resume_on_website,
    start,
)
from bot.handoff.policy import decide


def _user_event_ts(tracker: Tracker) -> float | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return float(event.get("timestamp") or 0)
    return None


def _create(tracker: Tracker, req: HandoffRequest, switch: bool) -> Outcome:
    return create_ticket(
        runtime.knowledge(),
        runtime.handoff_config(),
        req,
        switch=switch,
        events=tracker.events,
        slots=tracker.current_slot_values(),
        now=runtime.now(),
        engine_factory=runtime.handoff_engine,
        outbox=runtime.outbox(),
        resume_hours=runtime.settings().resume_token_hours,
    )


class ActionHandoff(Action):
    """A handoff reason was found: emergency numbers, why, and consent or switch."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Explains and asks consent (website) or switches the channel (messenger)."""
        slots = tracker.current_slot_values()
        info = tracker.latest_message.get("handoff") or {}
        if slots.get("handoff_stage") == "consent" and info.get("reason") == "request_human":
            # "Ja, bitte weiterleiten" while consent is asked: that is the consent.
            return await ActionHandoffCreate().run(dispatcher, tracker, domain)
        req = request_from_parse(
            tracker.sender_id,
            tracker.get_latest_input_channel(),
            tracker.latest_message,
            _user_event_ts(tracker),
        )
        verdict = netiquette.classify(runtime.knowledge(), message_text(tracker))
        if verdict == "threat":
            switch = decide(runtime.handoff_config(), req.channel, "emergency").switch
            result = await asyncio.to_thread(
                netiquette.threat, req, switch, lambda r, s: _create(tracker, r, s)
            )
            return apply(result, dispatcher)
        if verdict == "insult" and req.reason == "complain":
            # "Ihr seid alle unfähige Idioten": nothing to pass on, a calm reminder.
            return apply(netiquette.reminder(slots), dispatcher)
        result = await asyncio.to_thread(
            start,
            runtime.knowledge(),
            runtime.handoff_config(),
            req,
            tracker.current_slot_values(),
            runtime.now(),
            lambda r, switch: _create(tracker, r, switch),
            runtime.city(),
        )
        return apply(result, dispatcher)


class ActionHandoffCreate(Action):
    """Consent given: create the ticket, say when to expect an answer, pause."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_handoff_create"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Creates the ticket from the reason stored when consent was asked."""
        slots = tracker.current_slot_values()
        req = HandoffRequest(
            sender_id=tracker.sender_id,
            channel=(tracker.get_latest_input_channel() or "rest").lower(),
            reason=slots.get("handoff_reason") or "request_human",
            triggers=list(slots.get("handoff_triggers") or []),
            key=slots.get("handoff_key") or "",
        )
        result = await asyncio.to_thread(_create, tracker, req, False)
        return apply(result, dispatcher)


class ActionHandoffDeclined(Action):
    """Consent declined: respected, contact options instead."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_handoff_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Gives the responsible office's contact data."""
        result = declined(
            runtime.knowledge(), runtime.handoff_config(), tracker.current_slot_values()
        )
        return apply(result, dispatcher)


class ActionResumeCase(Action):
    """The website was opened with ?fortsetzen=<token>: continue that case here."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_resume_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Binds the case of the link's resume token to this conversation and pauses."""
        token = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == "resume_token"
            ),
            "",
        )
        result = await asyncio.to_thread(
            resume_on_website,
            runtime.knowledge(),
            runtime.handoff_engine,
            resume.Request(
                token=str(token or ""),
                sender_id=tracker.sender_id,
                channel=(tracker.get_latest_input_channel() or "").lower(),
                client=_client_key(tracker),
            ),
            runtime.now(),
            runtime.resume_failures(),
        )
        return apply(result, dispatcher)


def _client_key(tracker: Tracker) -> str:
    """The pseudonymous client key the website channel put into the message metadata."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str((event.get("metadata") or {}).get("client") or tracker.sender_id)
    return tracker.sender_id
