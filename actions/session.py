"""Session start: the default behaviour, plus the city profile's values as slots.

Domain responses that name the city ("Stadt {city}", "{city_phone}") take the values from
these slots, so a second city needs a second knowledge directory, not other texts.

A conversation whose case is still open keeps it across sessions (a citizen who writes
again the next morning): the new session starts with ``handoff_stage`` = ``paused``, so
the message goes into the case (bot.dialogue.case) instead of starting over.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import runtime
from bot.cases import conversation

logger = logging.getLogger(__name__)


class ActionSessionStart(Action):
    """Starts a session and sets ``city``, ``city_office``, ``city_phone``, … ."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """SessionStarted, the city's slots, then listen (as Rasa's default does)."""
        events: list[EventType] = [SessionStarted()]
        try:
            values = runtime.city().slots()
        except Exception:
            values = {}
        events += [SlotSet(k, v) for k, v in values.items()]
        try:
            case = await asyncio.to_thread(
                conversation.open_case, runtime.handoff_engine(), tracker.sender_id
            )
        except Exception:
            logger.exception("open case of %s not readable at session start", tracker.sender_id)
            case = None
        if case is not None:
            events += [SlotSet("handoff_stage", "paused"), SlotSet("topic", "handoff")]
        events.append(ActionExecuted("action_listen"))
        return events
