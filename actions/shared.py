"""Fallback: ask to rephrase; after the second miss in a row, offer staff."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entities, message_text
from bot import runtime
from bot.backlog import record_unanswered
from bot.dialogue.resolve import names_known_service
from bot.dialogue.route import topic_of

FALLBACK_INTENTS = {"nlu_fallback"}


def consecutive_misses(events: list[dict[str, Any]]) -> int:
    """How many of the latest user messages in a row were not understood."""
    misses = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent in FALLBACK_INTENTS:
            misses += 1
        else:
            break
    return misses


async def record_for_trainers(tracker: Tracker, kind: str) -> None:
    """Puts the latest message (redacted) into the trainers' backlog, off the event loop."""
    text = message_text(tracker)
    if text:
        await asyncio.to_thread(record_unanswered, text, tracker.get_latest_input_channel(), kind)


class ActionFallback(Action):
    """Low confidence: rephrase with suggestions; second miss in a row: offer staff."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Utters the fitting fallback and records the question for the trainers."""
        await record_for_trainers(tracker, "fallback")
        if consecutive_misses(tracker.events) >= 2:
            dispatcher.utter_message(response="utter_fallback_offer_contact")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # Predicted by the policies (no rule fits the state): forget the message, as
        # Rasa's own fallback does, so that the next prediction is to listen again.
        return [] if intent in FALLBACK_INTENTS else [UserUtteranceReverted()]


class ActionOutOfScope(Action):
    """Outside what the assistant does: say so, list what it can do, note it for trainers."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Utters the out-of-scope notice, unless the message names a service of the data.

        "Wie hoch ist die Hundesteuer?" may be classified out of scope while DIET found
        the service: the citizen then gets the service's answer, not a refusal. A
        reportable service at a place of the city ("In der Hauptstraße 20 steht ein
        Schrottauto") is a report: it is taken (bot.dialogue.report).
        """
        if is_report(tracker):
            from actions.report import ActionReport

            return await ActionReport().run(dispatcher, tracker, domain)
        if names_known_service(runtime.knowledge(), entities(tracker)):
            from actions.responsibilities import ActionResponsibility

            return await ActionResponsibility().run(dispatcher, tracker, domain)
        await record_for_trainers(tracker, "out_of_scope")
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


def is_report(tracker: Tracker) -> bool:
    """The message names a reportable service and a known place of the city."""
    from actions.report import streets
    from bot.dialogue.report import reportable
    from bot.knowledge.reports import find_place

    text = message_text(tracker)
    if not text or reportable(runtime.knowledge(), text, entities(tracker)) is None:
        return False
    return find_place(text, streets()).place is not None


class ActionRouteInform(Action):
    """A follow-up (``inform``): answer for the topic it belongs to."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_route_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Delegates to the topic's action, or lists what the assistant can do."""
        from actions.opening_hours import ActionOpeningHours
        from actions.responsibilities import ActionResponsibility
        from actions.road_closures import ActionRoadClosures

        topic = topic_of(
            runtime.knowledge(),
            message_text(tracker),
            entities(tracker),
            tracker.get_slot("topic"),
            runtime.now(),
            tracker.get_slot("service"),
        )
        action: Action | None = {
            "responsibility": ActionResponsibility(),
            "opening_hours": ActionOpeningHours(),
            "road_closures": ActionRoadClosures(),
        }.get(topic or "")
        if action is None:
            dispatcher.utter_message(response="utter_capabilities")
            return []
        return await action.run(dispatcher, tracker, domain)
