"""Action: a citizen's message while their case is open (bot.dialogue.case)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import apply, message_text
from bot import runtime
from bot.dialogue import case
from bot.dialogue.handoff import social_variables

logger = logging.getLogger(__name__)


class ActionCaseMessage(Action):
    """Adds the message to the case; acknowledges once, answers routine, ends on request."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_case_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """See :func:`bot.dialogue.case.handle`."""
        msg = case.CaseMessage(
            sender_id=tracker.sender_id,
            text=message_text(tracker),
            intent=(tracker.latest_message.get("intent") or {}).get("name"),
            handoff=dict(tracker.latest_message.get("handoff") or {}),
            end_pending=bool(tracker.get_slot("case_end_pending")),
            language=tracker.get_slot("language"),
        )
        try:
            result = await asyncio.to_thread(
                case.handle,
                runtime.knowledge(),
                runtime.handoff_config(),
                msg,
                list(tracker.events),
                runtime.now(),
                runtime.handoff_engine,
                social_variables(runtime.city()),
            )
        except Exception:
            # The case store is down: say so (the message is in the conversation, which
            # the caseworker reads), never leave the citizen without an answer.
            logger.exception("action_case_message failed")
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        events = apply(result.outcome, dispatcher)
        if result.followup:
            events.append(FollowupAction(result.followup))
        return events
