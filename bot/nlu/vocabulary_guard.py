"""NLU component: gibberish is not understood, however confident DIET is.

DIET always picks some intent; for "blorp quux zzkk" it often picks ``out_of_scope`` with
high confidence, so the assistant would never ask the citizen to rephrase. This component
learns the vocabulary of the training data (examples, lookup tables, synonyms) and, when
fewer than half of a message's words are known (typos allowed: a shared 5-letter prefix
counts), sets the intent to ``nlu_fallback``.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge.matching import words
from bot.nlu.component import PAYLOAD, Component

FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class VocabularyGuard(Component):
    """Sets ``nlu_fallback`` when most words of a message were never seen in training."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``min_known``: share of known words below which a message is not understood."""
        return {"min_known": 0.5, "prefix": 5}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or set()
        n = int(config.get("prefix", 5))
        self._prefixes = {w[:n] for w in self.vocabulary if len(w) >= n}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> VocabularyGuard:
        """A new, untrained guard."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VocabularyGuard:
        """The guard with the vocabulary saved at training time."""
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = set(json.loads((directory / "vocabulary.json").read_text()))
        except (ValueError, FileNotFoundError):
            vocabulary = set()
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Collects the words of examples, lookup tables and synonyms."""
        vocab: set[str] = set()
        for message in training_data.training_examples:
            vocab.update(words(message.get(TEXT) or ""))
        for table in training_data.lookup_tables:
            for element in table.get("elements") or []:
                vocab.update(words(str(element)))
        for key, value in training_data.entity_synonyms.items():
            vocab.update(words(str(key)))
            vocab.update(words(str(value)))
        self.vocabulary = vocab
        with self._storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(json.dumps(sorted(vocab)))
        return self._resource

    def known_share(self, text: str) -> float:
        """Share of the message's words (letters, 2+ chars) that the training data knows."""
        n = int(self._config.get("prefix", 5))
        tokens = [w for w in words(text) if len(w) >= 2 and not w.isdigit()]
        if not tokens:
            return 1.0  # digits or single letters: leave it to the other components
        known = sum(
            1 for w in tokens if w in self.vocabulary or (len(w) >= n and w[:n] in self._prefixes)
        )
        return known / len(tokens)

    def process(self, messages: list[Message]) -> list[Message]:
        """Marks messages made mostly of unknown words as not understood."""
        if not self.vocabulary:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if PAYLOAD.match(text):
                continue
            if self.known_share(text) < float(self._config.get("min_known", 0.5)):
                intent = message.get(INTENT) or {}
                message.set(
                    INTENT, {"name": FALLBACK_INTENT, "confidence": 1.0}, add_to_output=True
                )
                ranking = [{"name": FALLBACK_INTENT, "confidence": 1.0}]
                if intent.get("name"):
                    ranking.append(intent)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
