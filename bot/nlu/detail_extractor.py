"""NLU component: which detail of a service a message asks about (entity ``detail``).

"Was kostet ein Reisepass?" asks for the fee, "Brauche ich einen Termin?" for the
appointment. The words that mark each detail are data: ``detail_patterns`` in
``data/knowledge/nlu_templates.yml`` (read when the model is loaded, so a trainer's new
pattern needs no retraining). Values: ``fee``, ``documents``, ``appointment``, ``online``,
``deadline``, ``locations``. A ``weak`` pattern ("brauche") counts only when no strong
pattern of any detail matched, so "Brauche ich für X einen Termin?" is about the
appointment alone.

DIET also learns the entity from the hand-written examples of ``data/nlu/details.yml``;
when it tagged a detail with one of the dialogue's values, this component adds nothing.
Otherwise it adds its own: the value must be one of the exact keys, which a DIET span
("Wie viel kostet") gives only for wordings seen in training.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.dialogue.details import DETAILS  # the values the dialogue answers
from bot.nlu.component import Component, typed_messages

ENTITY = "detail"
# The patterns cover six of the DETAILS (domain/details.yml).

Patterns = dict[str, tuple[list[re.Pattern[str]], list[re.Pattern[str]]]]


def load_patterns(knowledge_dir: Path) -> Patterns:
    """``detail → (strong, weak)`` compiled patterns from the templates file."""
    from bot.training import load_templates

    doc = load_templates(knowledge_dir)["detail_patterns"]
    return {
        detail: (
            [re.compile(p) for p in spec["strong"]],
            [re.compile(p) for p in spec.get("weak", [])],
        )
        for detail, spec in doc.items()
    }


def find_details(text: str, patterns: Patterns) -> list[tuple[str, int, int]]:
    """``(detail, start, end)`` of every detail the text asks about, in text order."""
    lowered = text.lower()
    strong: list[tuple[str, int, int]] = []
    weak: list[tuple[str, int, int]] = []
    for detail, (strong_patterns, weak_patterns) in patterns.items():
        for target, group in ((strong, strong_patterns), (weak, weak_patterns)):
            for pattern in group:
                m = pattern.search(lowered)
                if m:
                    target.append((detail, m.start(), m.end()))
                    break
    found = strong or weak
    seen: set[str] = set()
    out = []
    for detail, start, end in sorted(found, key=lambda f: f[1]):
        if detail not in seen:
            seen.add(detail)
            out.append((detail, start, end))
    return out


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class DetailExtractor(Component):
    """Adds a ``detail`` entity per detail asked about (value: the detail's key).

    No options: the patterns are data.
    """

    def __init__(self, patterns: Patterns) -> None:
        self.patterns = patterns

    @classmethod
    def from_config(cls, *_: Any) -> DetailExtractor:
        """The extractor with the patterns of the configured knowledge directory."""
        from bot.config import Settings

        return cls(load_patterns(Settings.from_env().knowledge_dir))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends the ``detail`` entities to each message."""
        for message, text, entities in typed_messages(messages):
            if any(e.get("entity") == ENTITY and e.get("value") in DETAILS for e in entities):
                # DIET already tagged a detail (data/nlu/details.yml): that one stands.
                continue
            for detail, start, end in find_details(text, self.patterns):
                entities.append(self.entity(ENTITY, detail, start, end, 1.0))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
