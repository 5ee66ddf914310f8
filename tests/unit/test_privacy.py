"""Retention and erasure (bot.privacy) on real SQLite stores with Rasa's events table.

The clock is always given: NOW is fixed, data is placed relative to it.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot import privacy, store
from bot.handoff.tickets import Outbox, insert_ticket
from bot.privacy import RetentionPolicy, erase, erasure_scope, run_retention
from bot.store import audit_log, make_engine, ticket_messages, tickets
from tests.builders import new_ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
RASA_EVENTS = SQLTrackerStore.SQLEvent.__table__  # the real table definition of Rasa 3.6


@pytest.fixture
def tracker(tmp_path: Path) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rasa.db'}", future=True)
    RASA_EVENTS.create(engine)
    return engine


@pytest.fixture
def handoff(tmp_path: Path) -> sa.engine.Engine:
    return make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")


def add_conversation(engine, sender: str, last: datetime, n: int = 3) -> None:
    """``n`` events of ``sender``, the last one at ``last``, one minute apart."""
    rows = [
        {
            "sender_id": sender,
            "type_name": "user" if i % 2 == 0 else "bot",
            "timestamp": (last - timedelta(minutes=n - 1 - i)).timestamp(),
            "data": json.dumps({"event": "user", "text": f"Nachricht {i}"}),
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(RASA_EVENTS), rows)


def add_ticket(
    engine,
    reference: str,
    sender: str,
    created: datetime,
    closed: datetime | None = None,
    origin: str | None = None,
    messages: int = 2,
) -> int:
    insert_ticket(
        engine,
        new_ticket(reference, sender, created, summary="Meine IBAN ist [IBAN entfernt]"),
    )
    with engine.begin() as conn:
        ticket_id = conn.execute(
            sa.select(tickets.c.id).where(tickets.c.reference == reference)
        ).scalar_one()
        values: dict = {"origin_sender_id": origin}
        if origin:
            values["origin_channel"] = "telegram"
        if closed:
            values.update(status="erledigt", closed_at=closed, close_reason="erledigt")
        conn.execute(sa.update(tickets).where(tickets.c.id == ticket_id).values(**values))
        for i in range(messages):
            conn.execute(
                sa.insert(ticket_messages).values(
                    ticket_id=ticket_id,
                    kind="reply",
                    author="anna",
                    text=f"Antwort {i}",
                    created_at=created,
                    delivered=True,
                )
            )
    return int(ticket_id)


def senders(engine) -> set[str]:
    with engine.connect() as conn:
        return {r.sender_id for r in conn.execute(sa.select(RASA_EVENTS.c.sender_id))}


def references(engine) -> set[str]:
    with engine.connect() as conn:
        return {r.reference for r in conn.execute(sa.select(tickets.c.reference))}


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def audit_rows(engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(audit_log).order_by(audit_log.c.id)))


# --- retention ---------------------------------------------------------------------------


@pytest.fixture
def seeded(tracker, handoff):
    """Conversations and tickets around the 90 / 365 day limits."""
    add_conversation(tracker, "old", NOW - timedelta(days=91))
    add_conversation(tracker, "recent", NOW - timedelta(days=10))
    # started long ago, but the last message is recent: the conversation is alive
    add_conversation(tracker, "long-running", NOW - timedelta(days=200), n=2)
    add_conversation(tracker, "long-running", NOW - timedelta(days=1), n=2)
    add_conversation(tracker, "old-open-ticket", NOW - timedelta(days=120))
    add_conversation(tracker, "old-origin", NOW - timedelta(days=120))
    add_conversation(tracker, "old-closed-ticket", NOW - timedelta(days=120))
    add_ticket(handoff, "MS-OPEN-0001", "old-open-ticket", NOW - timedelta(days=500))
    add_ticket(
        handoff, "MS-OPEN-0002", "web-resumed", NOW - timedelta(days=30), origin="old-origin"
    )
    add_ticket(
        handoff,
        "MS-CLSD-0001",
        "old-closed-ticket",
        NOW - timedelta(days=400),
        closed=NOW - timedelta(days=366),
    )
    add_ticket(
        handoff,
        "MS-CLSD-0002",
        "someone",
        NOW - timedelta(days=400),
        closed=NOW - timedelta(days=364),
    )
    return tracker, handoff


def test_retention_deletes_expired_conversations_and_closed_tickets(seeded):
    tracker, handoff = seeded
    result = run_retention(tracker, handoff, NOW, RetentionPolicy(90, 365))
    assert senders(tracker) == {"recent", "long-running", "old-open-ticket", "old-origin"}
    assert references(handoff) == {"MS-OPEN-0001", "MS-OPEN-0002", "MS-CLSD-0002"}
    assert (result.conversations, result.events) == (2, 6)
    assert (result.tickets, result.ticket_messages) == (1, 2)
    assert count(handoff, ticket_messages) == 6  # the other three tickets' messages
    [row] = audit_rows(handoff)
    assert (row.actor, row.action, row.target) == ("system", "retention", None)
    assert "conversations=2" in row.detail and "tickets=1" in row.detail


def test_open_tickets_are_kept_however_old(seeded):
    tracker, handoff = seeded
    run_retention(tracker, handoff, NOW + timedelta(days=3000), RetentionPolicy(1, 1))
    assert references(handoff) == {"MS-OPEN-0001", "MS-OPEN-0002"}
    assert senders(tracker) == {"old-open-ticket", "old-origin"}


def test_dry_run_counts_without_deleting(seeded, caplog):
    tracker, handoff = seeded
    before = (count(tracker, RASA_EVENTS), count(handoff, tickets))
    with caplog.at_level(logging.INFO, logger="bot.privacy"):
        result = run_retention(tracker, handoff, NOW, RetentionPolicy(90, 365, dry_run=True))
    assert (result.conversations, result.events, result.tickets, result.ticket_messages) == (
        2,
        6,
        1,
        2,
    )
    assert result.dry_run
    assert (count(tracker, RASA_EVENTS), count(handoff, tickets)) == before
    assert audit_rows(handoff) == []
    [message] = [r.getMessage() for r in caplog.records if r.name == "bot.privacy"]
    logged = json.loads(message.split(" ", 1)[1])
    assert logged["dry_run"] is True and logged["conversations"] == 2
    assert "old" not in message.replace("dry_run", "")  # counts only, no sender ids


def test_zero_days_keeps_forever(seeded):
    tracker, handoff = seeded
    result = run_retention(tracker, handoff, NOW + timedelta(days=5000), RetentionPolicy(0, 0))
    assert result.as_dict() | {"seconds": 0} == {
        "conversations": 0,
        "events": 0,
        "tickets": 0,
        "ticket_messages": 0,
        "feedback": 0,
        "backlog": 0,
        "log_files": 0,
        "dry_run": False,
        "seconds": 0,
    }
    assert count(tracker, RASA_EVENTS) == 19


def test_retention_before_rasa_created_its_table(tmp_path, handoff):
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'none.db'}", future=True)
    result = run_retention(empty, handoff, NOW, RetentionPolicy())
    assert result.conversations == 0


def test_retention_is_idempotent(seeded):
    tracker, handoff = seeded
    run_retention(tracker, handoff, NOW, RetentionPolicy())
    again = run_retention(tracker, handoff, NOW, RetentionPolicy())
    assert (again.conversations, again.tickets) == (0, 0)
    assert len(audit_rows(handoff)) == 1  # nothing deleted: nothing audited


def test_retention_of_many_conversations_in_batches(tracker, handoff):
    """1,200 expired conversations (more than one IN batch), 12,000 events; timed."""
    rows = [
        {
            "sender_id": f"s{i}",
            "type_name": "user",
            "timestamp": (NOW - timedelta(days=100, minutes=j)).timestamp(),
            "data": "{}",
        }
        for i in range(1200)
        for j in range(10)
    ]
    with tracker.begin() as conn:
        conn.execute(sa.insert(RASA_EVENTS), rows)
    add_conversation(tracker, "fresh", NOW)
    started = time.monotonic()
    result = run_retention(tracker, handoff, NOW, RetentionPolicy())
    elapsed = time.monotonic() - started
    assert (result.conversations, result.events) == (1200, 12000)
    assert senders(tracker) == {"fresh"}
    assert elapsed < 10, elapsed


# --- erasure -----------------------------------------------------------------------------


@pytest.fixture
def resumed_case(tracker, handoff):
    """A Telegram conversation continued on the website: two sender ids, one case."""
    add_conversation(tracker, "tg-4711", NOW - timedelta(days=2))
    add_conversation(tracker, "web-abc", NOW - timedelta(days=1), n=4)
    add_conversation(tracker, "bystander", NOW - timedelta(days=1))
    add_ticket(handoff, "MS-7K4P-Q2XD", "web-abc", NOW - timedelta(days=1), origin="tg-4711")
    add_ticket(handoff, "MS-BYST-0001", "bystander", NOW - timedelta(days=1))
    return tracker, handoff


def test_scope_by_reference_includes_the_messenger_origin(resumed_case):
    tracker, handoff = resumed_case
    scope = erasure_scope(tracker, handoff, " ms-7k4p-q2xd ")
    assert scope.by_reference and scope.query == "MS-7K4P-Q2XD"
    assert scope.senders == {"tg-4711", "web-abc"}
    assert scope.references == ["MS-7K4P-Q2XD"]
    assert scope.counts() == {
        "conversations": 2,
        "events": 7,
        "tickets": 1,
        "ticket_messages": 2,
        "feedback": 0,
        "outbox": 0,
    }
    assert scope.open_tickets == 1


def test_scope_by_origin_sender_finds_the_website_part(resumed_case):
    tracker, handoff = resumed_case
    scope = erasure_scope(tracker, handoff, "tg-4711")
    assert not scope.by_reference
    assert scope.senders == {"tg-4711", "web-abc"}
    assert scope.references == ["MS-7K4P-Q2XD"]


def test_scope_of_unknown_query_is_empty(resumed_case):
    tracker, handoff = resumed_case
    assert erasure_scope(tracker, handoff, "MS-AAAA-BBBB").empty
    assert erasure_scope(tracker, handoff, "niemand").empty
    assert erasure_scope(tracker, handoff, "   ").empty


def test_erase_deletes_everything_and_audits_counts_only(resumed_case):
    tracker, handoff = resumed_case
    scope = erasure_scope(tracker, handoff, "MS-7K4P-Q2XD")
    deleted = erase(tracker, handoff, scope, "anna", NOW)
    assert deleted["events"] == 7 and deleted["tickets"] == 1 and deleted["ticket_messages"] == 2
    assert senders(tracker) == {"bystander"}
    assert references(handoff) == {"MS-BYST-0001"}
    assert count(handoff, ticket_messages) == 2
    [row] = audit_rows(handoff)
    assert (row.actor, row.action, row.target) == ("anna", "delete", "MS-7K4P-Q2XD")
    assert "events=7" in row.detail
    assert "tg-4711" not in row.detail and "web-abc" not in row.detail


def test_erase_by_sender_audits_a_keyed_hash(resumed_case):
    tracker, handoff = resumed_case
    scope = erasure_scope(tracker, handoff, "bystander")
    erase(tracker, handoff, scope, "anna", NOW, hash_key="k")
    [row] = audit_rows(handoff)
    assert row.target == privacy.sender_hash("bystander", "k")
    assert row.target.startswith("sender:") and "bystander" not in row.target
    assert privacy.sender_hash("bystander", "k") != privacy.sender_hash("bystander", "other")


def test_erase_includes_feedback_rows_when_the_table_exists(resumed_case, monkeypatch):
    tracker, handoff = resumed_case
    metadata = sa.MetaData()
    feedback = sa.Table(  # a stand-in of any shape with a sender_id column
        "feedback_probe",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(200)),
        sa.Column("rating", sa.Integer),
    )
    metadata.create_all(handoff)
    with handoff.begin() as conn:
        conn.execute(
            sa.insert(feedback),
            [
                {"sender_id": "web-abc", "rating": 1},
                {"sender_id": "tg-4711", "rating": 5},
                {"sender_id": "bystander", "rating": 4},
            ],
        )
    monkeypatch.setattr(privacy, "feedback_table", lambda: feedback)
    scope = erasure_scope(tracker, handoff, "web-abc")
    assert scope.feedback == 2
    assert erase(tracker, handoff, scope, "anna", NOW)["feedback"] == 2
    assert count(handoff, feedback) == 1


def test_feedback_table_is_found_generically(monkeypatch):
    metadata = sa.MetaData()
    sa.Table("feedback", metadata, sa.Column("id", sa.Integer), sa.Column("sender_id", sa.String))
    monkeypatch.setattr(store, "metadata", metadata)
    assert privacy.feedback_table() is metadata.tables["feedback"]
    monkeypatch.setattr(store, "metadata", sa.MetaData())
    assert privacy.feedback_table() is None


def test_the_projects_feedback_table_is_erased_too(resumed_case):
    tracker, handoff = resumed_case
    feedback = privacy.feedback_table()
    if feedback is None:
        pytest.skip("bot.store has no feedback table")
    row = {"sender_id": "tg-4711", "channel": "telegram", "rating": 1, "created_at": NOW}
    with handoff.begin() as conn:
        conn.execute(sa.insert(feedback), [{c: v for c, v in row.items() if c in feedback.c}])
    scope = erasure_scope(tracker, handoff, "MS-7K4P-Q2XD")
    assert erase(tracker, handoff, scope, "anna", NOW)["feedback"] == 1
    assert count(handoff, feedback) == 0


def _pending(outbox: Outbox, reference: str, sender: str) -> Path:
    return outbox.put(
        new_ticket(
            reference,
            sender,
            NOW,
            idem_key=f"idem-{reference}",
            channel="telegram",
            reason="personal_data",
        )
    )


def test_tickets_waiting_in_the_outbox_are_erased_too(resumed_case, tmp_path):
    tracker, handoff = resumed_case
    box = Outbox(tmp_path / "outbox")
    mine = _pending(box, "MS-WAIT-0001", "tg-4711")
    other = _pending(box, "MS-WAIT-0002", "bystander")
    scope = erasure_scope(tracker, handoff, "MS-7K4P-Q2XD", box.directory)
    assert scope.outbox == [mine]
    assert scope.references == ["MS-7K4P-Q2XD", "MS-WAIT-0001"]
    assert erase(tracker, handoff, scope, "anna", NOW)["outbox"] == 1
    assert not mine.exists() and other.exists()


def test_a_reference_only_in_the_outbox_is_found(tracker, handoff, tmp_path):
    box = Outbox(tmp_path / "outbox")
    path = _pending(box, "MS-WAIT-0003", "tg-99")
    add_conversation(tracker, "tg-99", NOW)
    scope = erasure_scope(tracker, handoff, "ms-wait-0003", box.directory)
    assert scope.senders == {"tg-99"} and scope.outbox == [path] and scope.events == 3
    assert erasure_scope(tracker, handoff, "MS-WAIT-9999", box.directory).empty


def test_ratings_expire_with_the_conversation_period(handoff, tracker):
    from bot.store import feedback

    rows = [
        {"sender_id": "old", "channel": "telegram", "rating": -1, "comment": "[IBAN entfernt]",
         "topic": "faq", "created_at": NOW - timedelta(days=91)},
        {"sender_id": "new", "channel": "socketio", "rating": 1, "comment": None,
         "topic": "faq", "created_at": NOW - timedelta(days=89)},
    ]  # fmt: skip
    with handoff.begin() as conn:
        conn.execute(
            sa.insert(feedback), [{c: v for c, v in r.items() if c in feedback.c} for r in rows]
        )
    dry = run_retention(tracker, handoff, NOW, RetentionPolicy(90, 365, dry_run=True))
    assert dry.feedback == 1 and count(handoff, feedback) == 2
    result = run_retention(tracker, handoff, NOW, RetentionPolicy(90, 365))
    assert result.feedback == 1
    with handoff.connect() as conn:
        assert [r.sender_id for r in conn.execute(sa.select(feedback.c.sender_id))] == ["new"]
    assert "feedback=1" in audit_rows(handoff)[-1].detail
    kept = run_retention(tracker, handoff, NOW + timedelta(days=999), RetentionPolicy(0, 0))
    assert kept.feedback == 0 and count(handoff, feedback) == 1
