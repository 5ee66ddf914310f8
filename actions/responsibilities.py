"""Action: which office is responsible for a concern."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import OutcomeAction, entities, message_text
from bot import runtime
from bot.dialogue import Outcome
from bot.dialogue.responsibilities import answer


class ActionResponsibility(OutcomeAction):
    """Names the responsible office with documents, fee and appointment."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_responsibility"

    def outcome(self, tracker: Tracker) -> Outcome:
        """Delegates to :func:`bot.dialogue.responsibilities.answer`."""
        return answer(
            runtime.knowledge(),
            message_text(tracker),
            entities(tracker),
            tracker.current_slot_values(),
            runtime.now(),
        )
