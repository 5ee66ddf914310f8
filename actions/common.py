"""The shared base of the project's actions: Outcome → rasa-sdk events."""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.backlog import record_unanswered
from bot.dialogue import Outcome

logger = logging.getLogger(__name__)


class OutcomeAction(Action, abc.ABC):
    """Runs :meth:`outcome` and utters its replies; a crash becomes a polite notice."""

    @abc.abstractmethod
    def outcome(self, tracker: Tracker) -> Outcome:
        """Computes what to answer for the tracker's latest message."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Utters the outcome's replies and sets its slots."""
        try:
            # bot/ code may read files or the feed: keep the event loop free.
            result = await asyncio.to_thread(self.outcome, tracker)
        except Exception:
            logger.exception("action %s failed", self.name())
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        if result.backlog:
            await asyncio.to_thread(
                record_unanswered,
                result.backlog,
                tracker.get_latest_input_channel(),
                f"unknown_{self.name().removeprefix('action_')}",
            )
        return apply(result, dispatcher)


class TopicAction(OutcomeAction, abc.ABC):
    """A topic whose answer is one function of ``bot.dialogue.<topic>``, called with the
    city's knowledge, the message text, its entities, the slots and the current time."""

    answer: ClassVar[Callable[..., Outcome]]  # set as ``staticmethod(<topic>.answer)``

    @abc.abstractmethod
    def name(self) -> str:
        """Action name in the domain."""

    def outcome(self, tracker: Tracker) -> Outcome:
        """Delegates to :meth:`answer` with the city's knowledge and the current time."""
        from bot import runtime

        return self.answer(
            runtime.knowledge(),
            message_text(tracker),
            entities(tracker),
            tracker.current_slot_values(),
            runtime.now(),
        )


def apply(result: Outcome, dispatcher: CollectingDispatcher) -> list[EventType]:
    """Sends an Outcome's replies through the dispatcher and returns its slot events."""
    for reply in result.replies:
        kwargs: dict[str, Any] = dict(reply.variables)
        if reply.buttons:
            kwargs["buttons"] = reply.buttons
        dispatcher.utter_message(response=reply.response, **kwargs)
    return [SlotSet(k, v) for k, v in result.slots.items()]


def message_text(tracker: Tracker) -> str:
    """The latest user text (empty for button payloads)."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def entities(tracker: Tracker) -> list[dict[str, Any]]:
    """Entities of the latest user message."""
    return list(tracker.latest_message.get("entities") or [])
