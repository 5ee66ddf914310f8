"""NLU component: the language of a message (entity ``language``), only when it is clear.

The conversation's language is the slot ``language`` (domain/shared.yml), filled from this
entity; without the entity the slot keeps its value, so the conversation stays in its
language. The entity is set

- when the citizen asks for a language ("English please", "auf Deutsch bitte"): the
  phrases are ``language.switch`` in each catalogue (``data/texts/<code>.yml``);
- when the detector (lingua-language-detector, restricted to the languages that have a
  catalogue) is confident: at least ``min_words`` words and a confidence of at least
  ``min_confidence``, measured on the project's short citizen messages (docs/NLU.md).
  Office, service and street names are German in every language, so the spans the
  entity extractors found (``office``, ``service``, ``street``, ...) and the words that
  match ``name_pattern`` ("…straße") are left out before detection: "Is Hauptstraße
  closed?" is English.

Short and ambiguous messages ("ok", "Hallo", a street name) therefore never switch.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import texts
from bot.nlu.component import Component, typed_messages
from bot.text import fold

ENTITY = "language"
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def switch_phrases() -> dict[str, list[str]]:
    """``language → folded phrases`` that ask for that language, from the catalogues."""
    return {
        lang: [fold(p) for p in texts.words(lang, "language.switch")] for lang in texts.languages()
    }


def requested_language(text: str, phrases: dict[str, list[str]], max_words: int = 6) -> str | None:
    """The language a short message asks for ("English please" → ``"en"``), else None."""
    folded = " ".join(_WORD.findall(fold(text)))
    if not folded or len(folded.split()) > max_words:
        return None
    for lang, options in phrases.items():
        for phrase in options:
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded):
                return lang
    return None


class Detector:
    """lingua-language-detector over the languages that have a catalogue."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        self._by_code = {
            code: Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
            for code in languages
        }
        self._codes = {v: k for k, v in self._by_code.items()}
        self._detector = LanguageDetectorBuilder.from_languages(*self._by_code.values()).build()

    def detect(self, text: str) -> tuple[str, float]:
        """``(language code, confidence)`` of the most likely language."""
        values = self._detector.compute_language_confidence_values(text)
        top = values[0]
        return self._codes[top.language], float(top.value)


def masked(text: str, entities: list[dict[str, Any]], name_pattern: re.Pattern[str]) -> str:
    """The text without entity spans and German proper names (they say nothing of the language)."""
    chars = list(text)
    for e in entities:
        start, end = e.get("start"), e.get("end")
        if isinstance(start, int) and isinstance(end, int) and e.get("entity") != "detail":
            chars[start:end] = " " * (end - start)
    text = "".join(chars)
    return " ".join(w for w in _WORD.findall(text) if not name_pattern.search(w))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(Component):
    """Adds the entity ``language`` when a message asks for or clearly is in a language."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Thresholds measured in docs/NLU.md; ``name_pattern``: German name endings."""
        return {
            "min_words": 3,
            "min_confidence": 0.6,
            "name_pattern": (
                r"(?i)(stra(ss|ß)e|str\.|weg|platz|allee|ring|gasse|amt|büro|buero|stelle|hof)$"
            ),
        }

    def __init__(self, config: dict[str, Any], detector: Detector | None = None) -> None:
        self.min_words = int(config["min_words"])
        self.min_confidence = float(config["min_confidence"])
        self.name_pattern = re.compile(str(config["name_pattern"]))
        self.languages = texts.languages()
        self.phrases = switch_phrases()
        self.detector = detector if detector is not None else Detector(self.languages)

    @classmethod
    def from_config(cls, config: dict[str, Any], *_: Any) -> LanguageDetector:
        """The detector for the languages of data/texts/."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data

    def language_of(self, text: str, entities: list[dict[str, Any]]) -> tuple[str, float] | None:
        """``(language, confidence)`` when the message asks for or is clearly in one."""
        asked = requested_language(text, self.phrases)
        if asked:
            return asked, 1.0
        if len(self.languages) < 2:
            return None
        rest = masked(text, entities, self.name_pattern)
        if len(rest.split()) < self.min_words:
            return None
        lang, confidence = self.detector.detect(rest)
        return (lang, confidence) if confidence >= self.min_confidence else None

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends the ``language`` entity where the language is clear."""
        for message, text, entities in typed_messages(messages):
            found = self.language_of(text, entities)
            if found is None:
                continue
            entities.append(self.entity(ENTITY, found[0], 0, len(text), round(found[1], 3)))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
