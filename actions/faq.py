"""Action: a fixed answer to a general question from `data/knowledge/faq.yml`."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import OutcomeAction, entities, message_text
from bot import runtime
from bot.dialogue import Outcome
from bot.dialogue.faq import answer


class ActionFaq(OutcomeAction):
    """Answers the FAQ entry closest to the citizen's question."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_faq"

    def outcome(self, tracker: Tracker) -> Outcome:
        """Delegates to :func:`bot.dialogue.faq.answer`."""
        return answer(
            runtime.knowledge(),
            message_text(tracker),
            entities(tracker),
            tracker.get_slot("language"),
        )
