"""Domain responses with the city profile's values even where the tracker has none.

Responses name the city and its contacts through slots (``{city}``, ``{city_phone}``,
… see ``domain/city.yml``) that ``action_session_start`` sets from ``city.yml``. A
conversation that began before a slot existed (an old tracker after an upgrade, or a
session started before the profile had the value) has the slot unset, and Rasa's
response templating would write "None" into the citizen's answer. This generator is
Rasa's own :class:`TemplatedNaturalLanguageGenerator` with one change: a city slot that is
unset is filled from the profile of ``KNOWLEDGE_DIR`` at the moment the response is
rendered. A slot that is set keeps its value.

It is attached where Rasa expects a custom generator, ``nlg: type: bot.rasa_nlg.
CityResponses`` in ``endpoints.yml`` (Rasa instantiates it with the domain), so every
response passes through it: rules, stories, custom actions and the technical-problem
notice (:mod:`bot.rasa_faults`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.city import CITY_SLOTS, CityError, city_of
from bot.config import Settings

logger = logging.getLogger(__name__)


def fill_city_slots(
    slots: Mapping[str, Any], profile: Callable[[], Mapping[str, str]]
) -> dict[str, Any]:
    """``slots`` with every unset city slot taken from ``profile()`` (read only if needed)."""
    filled = dict(slots)
    if all(filled.get(name) is not None for name in CITY_SLOTS):
        return filled
    try:
        values = profile()
    except (CityError, OSError) as exc:  # validation stops the start; never break a turn
        logger.warning("city profile unreadable, city slots stay unset: %s", exc)
        return filled
    for name in CITY_SLOTS:
        if filled.get(name) is None and name in values:
            filled[name] = values[name]
    return filled


class CityResponses(TemplatedNaturalLanguageGenerator):
    """Rasa's response templating, unset city slots filled from ``city.yml``."""

    def __init__(
        self,
        endpoint_config: Any = None,
        domain: Domain | None = None,
        knowledge_dir: Path | None = None,
        **kwargs: Any,
    ) -> None:
        """Built by Rasa from ``endpoints.yml`` (``endpoint_config``, ``domain``)."""
        super().__init__((domain or Domain.empty()).responses)
        self.knowledge_dir = knowledge_dir or Settings.from_env().knowledge_dir

    def profile_slots(self) -> dict[str, str]:
        """The profile's slot values (re-read when ``city.yml`` changes)."""
        return city_of(self.knowledge_dir).slots()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The response, as Rasa renders it, with the city slots never "None"."""
        filled = fill_city_slots(tracker.current_slot_values(), self.profile_slots)
        return self.generate_from_slots(utter_action, filled, output_channel, **kwargs)
