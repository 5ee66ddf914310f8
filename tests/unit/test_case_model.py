"""One overdue rule for the inbox, the jobs and analytics (bot.cases.model)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.cases.model import CLOSED, Status, is_overdue, overdue_clause
from bot.handoff.tickets import STATUSES, insert_ticket
from bot.store import make_engine, tickets
from tests.builders import new_ticket

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_statuses_are_the_enum():
    assert list(STATUSES) == [s.value for s in Status]
    assert CLOSED == "erledigt"


def test_the_rule_and_its_sql_agree(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    cases = {
        "past-open": ("neu", NOW - timedelta(hours=1), None),
        "past-answered": ("wartet", NOW - timedelta(hours=1), NOW - timedelta(hours=2)),
        "past-closed": ("erledigt", NOW - timedelta(hours=1), None),
        "future-open": ("in_bearbeitung", NOW + timedelta(hours=1), None),
    }
    for i, (key, (status, due, first)) in enumerate(cases.items()):
        insert_ticket(
            engine,
            new_ticket(
                f"MS-RULE-000{i}",
                key,
                NOW - timedelta(days=1),
                idem_key=key,
                reason="request_human",
                due_at=due,
            ),
        )
        with engine.begin() as conn:
            conn.execute(
                sa.update(tickets)
                .where(tickets.c.idem_key == key)
                .values(status=status, first_response_at=first)
            )
    in_python = {k for k, (s, d, f) in cases.items() if is_overdue(s, d, f, NOW)}
    with engine.connect() as conn:
        in_sql = {
            r.idem_key
            for r in conn.execute(sa.select(tickets.c.idem_key).where(overdue_clause(NOW)))
        }
    assert in_python == in_sql == {"past-open"}
