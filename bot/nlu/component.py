"""The base of the project's NLU components: Rasa's ``create`` hook in one place."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

C = TypeVar("C", bound="Component")

PAYLOAD = re.compile(r"^/\w+")
"""A button's payload ("/intent{...}"): sent by a click, not typed."""


def typed_messages(
    messages: Iterable[Message],
) -> Iterator[tuple[Message, str, list[dict[str, Any]]]]:
    """The messages with a typed text, each with its text and a copy of its entities."""
    for message in messages:
        text = message.get(TEXT) or ""
        if text and not PAYLOAD.match(text):
            yield message, text, list(message.get(ENTITIES) or [])


class Component(GraphComponent):
    """A graph component that says in :meth:`from_config` how it is built.

    Rasa calls ``create`` with the model storage, the component's resource and the
    execution context; only a trainable component needs the first two, none the context.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
        return {}

    @classmethod
    def create(
        cls: type[C],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        """The component for ``config`` (see :meth:`from_config`)."""
        return cls.from_config(config, model_storage, resource)

    @classmethod
    def from_config(
        cls: type[C], config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> C:
        """A new component; each component says how it is built."""
        raise NotImplementedError

    def entity(
        self, name: str, value: str, start: int, end: int, confidence: float
    ) -> dict[str, Any]:
        """An entity found by this component, in Rasa's form."""
        return {
            "entity": name,
            "value": value,
            "start": start,
            "end": end,
            "confidence": confidence,
            "extractor": self.__class__.__name__,
        }
