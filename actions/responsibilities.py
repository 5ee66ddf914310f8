"""Action: which office is responsible for a concern."""

from __future__ import annotations

from actions.common import TopicAction
from bot.dialogue import responsibilities


class ActionResponsibility(TopicAction):
    """Names the responsible office with documents, fee and appointment."""

    answer = staticmethod(responsibilities.answer)

    def name(self) -> str:
        """Action name in the domain."""
        return "action_responsibility"
