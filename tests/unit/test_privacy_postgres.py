"""Retention, erasure and the audit-log trigger of docs/OPERATIONS.md on PostgreSQL.

Needs PostgreSQL on 127.0.0.1:5432 (as tests/e2e/test_scaleout.py; ``SCALEOUT_PG_URL``);
skipped when it is not reachable. Each test gets its own temporary database.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.privacy import RetentionPolicy, erase, erasure_scope, run_retention
from bot.store import audit_log, make_engine
from tests.unit.test_privacy import (
    NOW,
    RASA_EVENTS,
    add_conversation,
    add_ticket,
    references,
    senders,
)

PG_BASE = os.environ.get("SCALEOUT_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"
pytestmark = pytest.mark.scaleout


def _reachable() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not _reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"privacy_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        sa.create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engines(pg_url):
    """One database for both stores, as in the scale-out set-up."""
    handoff = make_engine(pg_url)
    tracker = sa.create_engine(pg_url, future=True)
    RASA_EVENTS.create(tracker)
    yield tracker, handoff
    tracker.dispose()
    handoff.dispose()


def test_retention_on_postgresql(engines):
    tracker, handoff = engines
    add_conversation(tracker, "old", NOW - timedelta(days=91))
    add_conversation(tracker, "open", NOW - timedelta(days=120))
    add_conversation(tracker, "recent", NOW - timedelta(days=1))
    add_ticket(handoff, "MS-OPEN-0001", "open", NOW - timedelta(days=500))
    add_ticket(handoff, "MS-CLSD-0001", "x", NOW - timedelta(days=400), NOW - timedelta(days=366))
    dry = run_retention(tracker, handoff, NOW, RetentionPolicy(dry_run=True))
    assert (dry.conversations, dry.events, dry.tickets) == (1, 3, 1)
    result = run_retention(tracker, handoff, NOW, RetentionPolicy())
    assert (result.conversations, result.tickets, result.ticket_messages) == (1, 1, 2)
    assert senders(tracker) == {"open", "recent"}
    assert references(handoff) == {"MS-OPEN-0001"}


def test_erasure_on_postgresql(engines):
    tracker, handoff = engines
    add_conversation(tracker, "tg-1", NOW - timedelta(days=2))
    add_conversation(tracker, "web-1", NOW - timedelta(days=1))
    add_ticket(handoff, "MS-7K4P-Q2XD", "web-1", NOW - timedelta(days=1), origin="tg-1")
    scope = erasure_scope(tracker, handoff, "MS-7K4P-Q2XD")
    assert scope.senders == {"tg-1", "web-1"}
    deleted = erase(tracker, handoff, scope, "anna", NOW)
    assert deleted["events"] == 6 and deleted["tickets"] == 1
    assert senders(tracker) == set() and references(handoff) == set()


def test_the_documented_append_only_trigger_works(engines):
    _, handoff = engines
    block = re.search(r"```sql\n(.*?)```", OPERATIONS.read_text(encoding="utf-8"), re.S)
    assert block, "docs/OPERATIONS.md has no sql block"
    sql = "\n".join(
        line for line in block.group(1).splitlines() if not line.startswith("REVOKE")
    )  # the app's role does not exist here
    with handoff.begin() as conn:
        conn.exec_driver_sql(sql)
        conn.execute(sa.insert(audit_log).values(at=NOW, actor="anna", action="login"))
    for statement in (sa.update(audit_log).values(actor="mallory"), sa.delete(audit_log)):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), handoff.begin() as conn:
            conn.execute(statement)
    with handoff.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == 1
