"""The tracker store's memory cache never returns a tracker the database disagrees with.

Two URLTrackerStore instances on one SQLite file stand for two Rasa instances.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_stores import URLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).parents[2] / "domain"))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rasa.db'}"


def _store(url: str, monkeypatch: pytest.MonkeyPatch, size: str = "200") -> URLTrackerStore:
    monkeypatch.setenv("TRACKER_CACHE_SIZE", size)
    return URLTrackerStore(domain=DOMAIN, host=url)


def _turn(text: str, ts: float) -> list:
    return [
        UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=ts),
        ActionExecuted("utter_greet", timestamp=ts + 0.1),
        ActionExecuted("action_listen", timestamp=ts + 0.2),
    ]


def _new(sender: str) -> DialogueStateTracker:
    events = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0)]
    return DialogueStateTracker.from_events(sender, events + _turn("Hallo", 2.0), DOMAIN.slots)


def test_a_saved_tracker_is_served_from_memory(url, monkeypatch):
    store = _store(url, monkeypatch)
    tracker = _new("a")
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("a"))
    assert again is tracker
    assert (store.cache_hits, store.cache_misses) == (1, 0)


def test_a_turn_saved_by_another_instance_is_loaded_from_sql(url, monkeypatch):
    first, second = _store(url, monkeypatch), _store(url, monkeypatch)
    asyncio.run(first.save(_new("b")))
    theirs = asyncio.run(second.retrieve("b"))
    assert theirs is not None
    for e in [*_turn("Noch eine Frage", 3.0), SlotSet("topic", "faq", timestamp=3.3)]:
        theirs.update(e)
    asyncio.run(second.save(theirs))

    mine = asyncio.run(first.retrieve("b"))
    assert mine is not None
    assert [e.text for e in mine.events if isinstance(e, UserUttered)] == [
        "Hallo",
        "Noch eine Frage",
    ]
    assert mine.get_slot("topic") == "faq"
    assert first.cache_misses == 1


def test_a_turn_that_was_never_saved_is_not_served(url, monkeypatch):
    store = _store(url, monkeypatch)
    tracker = _new("c")
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("c"))
    for e in _turn("kaputt", 5.0):  # the turn failed before save
        loaded.update(e)
    fresh = asyncio.run(store.retrieve("c"))
    assert fresh is not loaded
    assert len(fresh.events) == len(loaded.events) - 3


def test_erased_events_are_not_served(url, monkeypatch):
    store = _store(url, monkeypatch)
    asyncio.run(store.save(_new("d")))
    with store.session_scope() as session:
        session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == "d").delete()
        session.commit()
    assert asyncio.run(store.retrieve("d")) is None


def test_cache_is_bounded_and_can_be_switched_off(url, monkeypatch):
    store = _store(url, monkeypatch, size="2")
    for sender in "xyz":
        asyncio.run(store.save(_new(sender)))
    assert list(store._cache) == ["y", "z"]
    off = _store(url, monkeypatch, size="0")
    asyncio.run(off.save(_new("w")))
    assert asyncio.run(off.retrieve("w")) is not None
    assert (off.cache_hits, off.cache_misses) == (0, 1)


def test_sqlite_runs_in_wal_mode_with_normal_sync(url, monkeypatch):
    import sqlalchemy as sa

    store = _store(url, monkeypatch)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert isinstance(store.engine.pool, sa.pool.QueuePool)  # not a connection per query


def _rows(store: URLTrackerStore, sender: str) -> list[str]:
    with store.session_scope() as session:
        query = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender)
        return [r.type_name for r in query.order_by(store.SQLEvent.id)]


def test_a_checked_turn_inserts_exactly_its_new_events(url, monkeypatch):
    store = _store(url, monkeypatch)
    asyncio.run(store.save(_new("e")))
    for turn in range(3):
        tracker = asyncio.run(store.retrieve("e"))
        for event in _turn(f"Frage {turn}", 10.0 + turn):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    rows = _rows(store, "e")
    assert len(rows) == 2 + 3 * 4  # session start + 4 turns of 3 events, none twice
    assert rows.count("user") == 4
    reloaded = asyncio.run(_store(url, monkeypatch, size="0").retrieve("e"))
    assert [e.as_dict() for e in reloaded.events] == [e.as_dict() for e in tracker.events]
    assert store.cache_hits == 3


def test_a_save_without_a_check_this_turn_uses_rasas_count(url, monkeypatch):
    first, second = _store(url, monkeypatch), _store(url, monkeypatch)
    asyncio.run(first.save(_new("f")))
    mine = asyncio.run(first.retrieve("f"))
    asyncio.run(first.save(mine))  # checked turn over: the next save must count again
    theirs = asyncio.run(second.retrieve("f"))
    for event in _turn("von der anderen Instanz", 20.0):
        theirs.update(event)
    asyncio.run(second.save(theirs))
    for event in _turn("nachgereicht", 30.0):  # no retrieve in between (not Rasa's flow)
        mine.update(event)
    asyncio.run(first.save(mine))
    # Rasa's own COUNT decided what is new (8 rows, so nothing): the fast path, which
    # trusts the check at the start of a turn, would have inserted 3 more
    assert len(_rows(first, "f")) == 2 + 3 + 3


def test_a_new_session_is_loaded_the_way_rasa_loads_it(url, monkeypatch):
    store = _store(url, monkeypatch)
    asyncio.run(store.save(_new("g")))
    tracker = asyncio.run(store.retrieve("g"))
    for event in [
        ActionExecuted("action_session_start", timestamp=50.0),
        SessionStarted(timestamp=50.0),
        *_turn("Neue Sitzung", 51.0),
    ]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("g"))
    assert again is not tracker
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["Neue Sitzung"]
