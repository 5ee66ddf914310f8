"""bot.cases.store owns the cases: nobody else writes SQL on them, and the staff desk
applies office and role scoping on every read and change, even for a row it was handed."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cases import store as cases
from bot.cases.inbox import InboxQuery
from bot.cases.model import InvalidTransition, Status, check_transition
from bot.handoff.tickets import STATUSES, insert_ticket
from bot.store import audit_log, make_engine, tickets
from bot.web.auth import User
from tests.builders import new_ticket

ROOT = Path(__file__).resolve().parents[2]
CASE_TABLES = {
    "tickets",
    "ticket_messages",
    "resume_tokens",
    "message_deliveries",
    "reports",
    "report_photos",
}
OWNERS = {"bot/store.py"}  # the table definitions
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
OFFICES = {"buergerbuero_mitte", "standesamt"}


def _imports_case_tables(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "bot.store":
            found |= {a.name for a in node.names} & CASE_TABLES
        if (
            isinstance(node, ast.Attribute)
            and node.attr in CASE_TABLES
            and isinstance(node.value, ast.Name)
            and node.value.id == "store"
        ):
            found.add(node.attr)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            for table in CASE_TABLES:
                for verb in ("from ", "update ", "into ", "join "):
                    if f"{verb}{table} " in text or text.endswith(f"{verb}{table}"):
                        found.add(table)
    return found


def test_no_module_outside_bot_cases_touches_the_case_tables():
    offenders = {}
    for folder in ("bot", "actions"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("bot/cases/") or rel in OWNERS:
                continue
            used = _imports_case_tables(path)
            if used:
                offenders[rel] = sorted(used)
    assert offenders == {}


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    for i, (reference, office) in enumerate(
        [("MS-MITT-0001", "buergerbuero_mitte"), ("MS-STAN-0001", "standesamt")]
    ):
        insert_ticket(
            engine,
            new_ticket(reference, f"sender-{i}", NOW, idem_key=f"k{i}", office=office),
        )
    return engine


ANNA = User("anna", "staff", "buergerbuero_mitte")
SVEN = User("sven", "staff", "standesamt")
TOM = User("tom", "trainer", None)


def _audit(engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        return [(r.actor, r.action, r.target) for r in conn.execute(sa.select(audit_log))]


def test_the_desk_refuses_another_office_s_case_for_every_operation(engine):
    desk = cases.Desk(engine, ANNA, OFFICES)
    with pytest.raises(cases.Denied):
        desk.get("MS-STAN-0001")
    row = cases.by_reference(engine, "MS-STAN-0001")  # a row obtained some other way
    for attempt in (
        lambda: desk.messages(row),
        lambda: desk.viewed(row),
        lambda: desk.reply(row, "Hallo", True, NOW),
        lambda: desk.note(row, "gelesen"),
        lambda: desk.change(row, assignee="anna"),
        lambda: desk.close(row, "erledigt", NOW),
        lambda: desk.claim(row),
        lambda: desk.reopen(row),
    ):
        with pytest.raises(cases.Denied):
            attempt()
    after = cases.by_reference(engine, "MS-STAN-0001")
    assert (after.status, after.assignee) == (Status.NEW.value, None)
    assert cases.messages(engine, after.id) == []
    assert _audit(engine) == []


def test_a_case_forwarded_meanwhile_is_out_of_reach_at_once(engine):
    anna = cases.Desk(engine, ANNA, OFFICES)
    row = anna.get("MS-MITT-0001")
    anna_again = cases.Desk(engine, User("ada", "admin", None), OFFICES)
    anna_again.change(row, office="standesamt")  # forwarded in another request
    with pytest.raises(cases.Denied):
        anna.note(row, "noch eine Notiz")
    cases.Desk(engine, SVEN, OFFICES).note(row, "übernommen")


def test_trainers_see_no_case_and_the_inbox_is_scoped(engine):
    query = InboxQuery(status="alle")
    trainer = cases.Desk(engine, TOM, OFFICES)
    assert trainer.inbox(query, statuses=STATUSES, urgent_reasons=frozenset()) == ([], 0)
    with pytest.raises(cases.Denied):
        trainer.get("MS-MITT-0001")
    rows, total = cases.Desk(engine, ANNA, OFFICES).inbox(
        query, statuses=STATUSES, urgent_reasons=frozenset()
    )
    assert [r.reference for r in rows] == ["MS-MITT-0001"] and total == 1


def test_changes_are_audited_in_their_transaction_and_closed_cases_stay_closed(engine):
    desk = cases.Desk(engine, ANNA, OFFICES)
    row = desk.get("MS-MITT-0001")
    assert desk.claim(row) is True
    desk.close(row, "erledigt", NOW)
    for attempt in (
        lambda: desk.reply(row, "Hallo", True, NOW),
        lambda: desk.note(row, "x"),
        lambda: desk.change(row, status=Status.WAITING.value),
        lambda: desk.claim(row),
    ):
        with pytest.raises(cases.CaseClosed):
            attempt()
    assert desk.reopen(row) is True
    assert desk.reopen(row) is False  # not closed any more
    assert [a for _, a, _ in _audit(engine)] == ["claim", "close", "reopen"]
    with engine.connect() as conn:
        status = conn.execute(sa.select(tickets.c.status).where(tickets.c.id == row.id)).scalar()
    assert status == Status.IN_PROGRESS.value


def test_the_one_transition_rule():
    for state in Status:
        if state is not Status.CLOSED:
            for target in Status:
                check_transition(state.value, target.value)
    check_transition(Status.CLOSED.value, Status.IN_PROGRESS.value)
    for target in (Status.NEW, Status.WAITING, Status.NEW_MESSAGE, Status.CLOSED):
        with pytest.raises(InvalidTransition):
            check_transition(Status.CLOSED.value, target.value)
    with pytest.raises(InvalidTransition):
        check_transition(Status.NEW.value, "geloescht")
