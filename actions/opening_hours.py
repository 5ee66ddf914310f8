"""Action: opening hours of an office."""

from __future__ import annotations

from actions.common import TopicAction
from bot.dialogue import opening_hours


class ActionOpeningHours(TopicAction):
    """When is an office open (today, on a day, now, the week)."""

    answer = staticmethod(opening_hours.answer)

    def name(self) -> str:
        """Action name in the domain."""
        return "action_opening_hours"
