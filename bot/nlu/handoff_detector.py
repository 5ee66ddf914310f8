"""NLU component: a handoff reason for every message.

Runs after the intent classifier and the FallbackClassifier. When
:func:`bot.handoff.detect.detect` finds a reason (personal data, own case, sensitive
topic, complaint, emergency, request for a person), the intent becomes
``handoff_detected`` so that one rule routes every such message to ``action_handoff``,
whatever DIET thought. The original intent and the reason travel in the parse data under
``handoff`` (labels only, never the matched values).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.handoff.detect import detect
from bot.nlu.component import Component

HANDOFF_INTENT = "handoff_detected"
HANDOFF_KEY = "handoff"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class HandoffDetector(Component):
    """Overrides the intent with ``handoff_detected`` when a handoff reason is found."""

    @classmethod
    def from_config(cls, *_: Any) -> HandoffDetector:
        """Creates the component (stateless)."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the handoff decision to each message."""
        for message in messages:
            self._process_one(message)
        return messages

    @staticmethod
    def _process_one(message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        result = detect(text, intent)
        info = {
            "reason": result.reason,
            "triggers": list(result.triggers),
            "emergency": result.emergency,
            "crisis": result.crisis,
            "social": list(result.social),
            "social_responses": list(result.social_responses),
            "urgent_social": result.urgent_social,
            "original_intent": intent,
        }
        message.set(HANDOFF_KEY, info, add_to_output=True)
        if result.reason is None:
            return
        message.set(INTENT, {"name": HANDOFF_INTENT, "confidence": 1.0}, add_to_output=True)
        ranking = message.get(INTENT_RANKING_KEY) or []
        ranking = [{"name": HANDOFF_INTENT, "confidence": 1.0}] + [
            r for r in ranking if r.get("name") != HANDOFF_INTENT
        ]
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
