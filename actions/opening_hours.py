"""Action: opening hours of an office."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import OutcomeAction, entities, message_text
from bot import runtime
from bot.dialogue import Outcome
from bot.dialogue.opening_hours import answer


class ActionOpeningHours(OutcomeAction):
    """When is an office open (today, on a day, now, the week)."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_opening_hours"

    def outcome(self, tracker: Tracker) -> Outcome:
        """Delegates to :func:`bot.dialogue.opening_hours.answer`."""
        return answer(
            runtime.knowledge(),
            message_text(tracker),
            entities(tracker),
            tracker.current_slot_values(),
            runtime.now(),
        )
