"""Session start: the default behaviour, plus the city profile's values as slots.

Domain responses that name the city ("Stadt {city}", "{city_phone}") take the values from
these slots, so a second city needs a second knowledge directory, not other texts.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import runtime


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
        events.append(ActionExecuted("action_listen"))
        return events
