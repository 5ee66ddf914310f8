"""The event-type table gives exactly Rasa's own answers."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.rasa_perf import _original, event_types, resolve_by_type


def test_every_event_type_resolves_like_rasa():
    names = {
        c.type_name for c in all_subclasses(Event) if isinstance(getattr(c, "type_name", None), str)
    }
    assert len(names) > 20
    for name in names:
        assert resolve_by_type(name) is _original(name)
    assert event_types()["user"] is UserUttered
    assert event_types()["slot"] is SlotSet
    assert resolve_by_type("action") is ActionExecuted


def test_unknown_names_keep_rasa_semantics():
    assert resolve_by_type("topic") is None
    assert resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_by_type("no_such_event")


def test_deserialising_events_with_the_table():
    from bot.rasa_perf import install

    install()
    event = Event.from_parameters({"event": "slot", "name": "topic", "value": "opening_hours"})
    assert isinstance(event, SlotSet) and event.value == "opening_hours"
