"""Action: road works and closures from the live feed."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import OutcomeAction, entities, message_text
from bot import runtime
from bot.dialogue import Outcome
from bot.dialogue.road_closures import answer


class ActionRoadClosures(OutcomeAction):
    """Closures for a street, a period or an area, with the data's time."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_road_closures"

    def outcome(self, tracker: Tracker) -> Outcome:
        """Delegates to :func:`bot.dialogue.road_closures.answer`."""
        return answer(
            runtime.closures_feed().snapshot(),
            message_text(tracker),
            entities(tracker),
            tracker.current_slot_values(),
            runtime.now(),
            state=runtime.knowledge().state,
        )
