"""The project's one declaration of Rasa's ``events`` table matches Rasa's own."""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore

from bot import analytics, privacy, store
from bot.rasa_events import events, rasa_metadata


def test_every_declared_column_is_rasas() -> None:
    rasa_table = SQLTrackerStore.SQLEvent.__table__
    assert events.name == rasa_table.name
    for column in events.columns:
        theirs = rasa_table.columns[column.name]
        assert type(column.type) is type(theirs.type), column.name
        assert column.primary_key == theirs.primary_key, column.name
        assert column.nullable == theirs.nullable, column.name


def test_one_declaration_in_its_own_metadata() -> None:
    assert privacy.events is events
    assert analytics.rasa_events is events
    assert events.metadata is rasa_metadata
    assert "events" not in store.metadata.tables  # make_engine() never creates Rasa's table
