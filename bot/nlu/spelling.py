"""NLU component: unknown words are read as the closest known word before featurization.

"öffnugszeiten", "zustendig", "Anwohnerparkausweiß": words the training data never had
give the count-vector featurizers nothing to work with. After the tokenizer, this
component looks up every token that is not in the vocabulary of the training data
(hand-written examples plus those generated from ``data/knowledge/``: office names,
service names, synonyms, phrases) and sets the token's *lemma*, which the
CountVectorsFeaturizer reads (``use_lemma``), to

1. the two known words it is made of, when it is a compound of two known words of at
   least ``min_part`` letters each ("Bewohnerparkplatz" → "bewohner parkplatz"); else
2. the closest known word by rapidfuzz's normalised Indel similarity when it reaches
   ``min_similarity`` and the lengths differ by at most two letters.

The token's text, its position and the message text stay as they are, so entities keep
the citizen's wording and the fuzzy matching of the actions still sees it. On the
training data the component changes nothing (every word is known), so the featurizers
and DIET learn exactly what they would without it.
"""

from __future__ import annotations

import json
from typing import Any

from rapidfuzz import fuzz, process
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_TOKENS = TOKENS_NAMES[TEXT]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SpellingCorrector(GraphComponent):
    """Sets the lemma of unknown tokens to a known word (compound split or closest word)."""

    # Off only for measurement (``python -m bot.nlu_report --without-spelling``): since the
    # component changes no training example, the same model then shows what it adds.
    active = True

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Thresholds (measured on tests/nlu/citizens/, docs/NLU.md)."""
        return {"min_similarity": 80.0, "min_length": 4, "min_part": 4, "split_compounds": True}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._set_vocabulary(vocabulary or set())

    def _set_vocabulary(self, vocabulary: set[str]) -> None:
        self.vocabulary = vocabulary
        self._words = sorted(w for w in vocabulary if len(w) >= 3 and w.isalpha())
        self._cache: dict[str, str | None] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpellingCorrector:
        """A new, untrained corrector."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SpellingCorrector:
        """The corrector with the vocabulary saved at training time."""
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = set(json.loads((directory / "vocabulary.json").read_text()))
        except (ValueError, FileNotFoundError):
            vocabulary = set()
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Collects the (lower-cased) tokens of all training examples."""
        vocab: set[str] = set()
        for message in training_data.training_examples:
            for token in message.get(_TOKENS) or []:
                vocab.add(token.text.lower())
        self._set_vocabulary(vocab)
        with self._storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(json.dumps(sorted(vocab)))
        return self._resource

    def correct(self, word: str) -> str | None:
        """The known reading of an unknown word, or ``None`` (known, or nothing close)."""
        w = word.lower()
        if w in self.vocabulary or len(w) < int(self._config["min_length"]) or not w.isalpha():
            return None
        if w in self._cache:
            return self._cache[w]
        result = self._split(w) if self._config["split_compounds"] else None
        if result is None:
            match = process.extractOne(
                w,
                self._words,
                scorer=fuzz.ratio,
                score_cutoff=float(self._config["min_similarity"]),
            )
            if match is not None and abs(len(match[0]) - len(w)) <= 2:
                result = match[0]
        self._cache[w] = result
        return result

    def _split(self, w: str) -> str | None:
        n = int(self._config["min_part"])
        for i in range(n, len(w) - n + 1):
            head, tail = w[:i], w[i:]
            # Fugen-s: "Anwohners|parkausweis" is rare, "Geburts|urkunde" common.
            heads = [head] + ([head[:-1]] if head.endswith("s") and len(head) > n else [])
            if tail in self.vocabulary and any(h in self.vocabulary for h in heads):
                h = next(h for h in heads if h in self.vocabulary)
                return f"{h} {tail}"
        return None

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Unchanged: every training word is known."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the lemma of each unknown token to its known reading."""
        if not type(self).active or not self.vocabulary:
            return messages
        for message in messages:
            for token in message.get(_TOKENS) or []:
                reading = self.correct(token.text)
                if reading is not None:
                    token.lemma = reading
        return messages
