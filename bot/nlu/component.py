"""The base of the project's NLU components: Rasa's ``create`` hook in one place."""

from __future__ import annotations

from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

C = TypeVar("C", bound="Component")


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
