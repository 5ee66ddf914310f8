"""Action: a citizen's 👍/👎 on the last answer, sent as a lone emoji in any channel."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entities
from bot import runtime
from bot.dialogue import entity_values
from bot.feedback import TooManyRatings, record_feedback

logger = logging.getLogger(__name__)


def rated_topic(tracker: Tracker) -> str | None:
    """What the rating is about: the topic of the last answer, else the last intent."""
    topic = tracker.get_slot("topic")
    if topic:
        return str(topic)
    for event in reversed(tracker.events[:-1]):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            return str(name) if name else None
    return None


class ActionFeedback(Action):
    """Stores the rating (bot.feedback) and thanks the citizen."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Records +1/-1 with topic and channel; a failure to store still gets thanks."""
        values = entity_values(entities(tracker), "rating")
        rating = -1 if values and values[0].strip() == "-1" else 1
        try:
            await asyncio.to_thread(
                record_feedback,
                runtime.handoff_engine(),
                sender_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "unknown",
                rating=rating,
                topic=rated_topic(tracker),
                now=runtime.now(),
            )
        except TooManyRatings:
            logger.info("rating not stored: too many from this sender")
        except Exception:  # a lost rating must not cost the citizen the thanks
            logger.exception("rating not stored")
        dispatcher.utter_message(
            response="utter_feedback_thanks" if rating > 0 else "utter_feedback_sorry"
        )
        return []
