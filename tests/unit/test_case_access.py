"""Who may reach which case: office scoping, the unassigned queue, trainers, admins.

Attacks as the test's user would try them: another office's ticket URL, ``?office=``,
posting to another office's ticket, a trainer opening a transcript.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.handoff.tickets import insert_ticket
from bot.store import audit_log, make_engine, ticket_messages, tickets
from tests.builders import new_ticket
from tests.webserver import (
    API_TOKENS,
    add_staff,
    app_settings,
    csrf_in,
    running_app,
    staff_login,
)

SECRET = "Mein Aktenzeichen ist geheim"
CASES = {
    "MS-MITT-0001": "buergerbuero_mitte",
    "MS-STAN-0001": "standesamt",
    "MS-NONE-0001": None,  # unassigned queue
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(tmp_path, "2026-11-23T10:00:00+01:00", **API_TOKENS)
    engine = make_engine(s.handoff_db_url)
    add_staff(engine, "anna", "sven", "tom", "ada")
    created = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    for i, (reference, office) in enumerate(CASES.items()):
        insert_ticket(
            engine,
            new_ticket(
                reference,
                f"sender-{i}",
                created,
                idem_key=f"k{i}",
                office=office or "",
                summary=SECRET,
                transcript=[{"from": "citizen", "text": SECRET}],
            ),
        )
    with engine.begin() as conn:  # a ticket stored without an office
        conn.execute(
            sa.update(tickets).where(tickets.c.reference == "MS-NONE-0001").values(office=None)
        )
    return s


async def login(web, username: str) -> None:
    assert await staff_login(web, username) == 302


async def page(web, path: str) -> tuple[int, str]:
    async with web.http.get(f"{web.url}{path}") as resp:
        return resp.status, await resp.text()


def listed(html: str) -> set[str]:
    return set(re.findall(r"MS-[A-Z]{4}-\d{4}", html)) & set(CASES)


def audit_rows(settings: Settings) -> list[tuple[str, str, str | None]]:
    with make_engine(settings.handoff_db_url).connect() as conn:
        return [(r.actor, r.action, r.target) for r in conn.execute(sa.select(audit_log))]


async def test_staff_see_their_office_and_the_unassigned_queue_only(settings):
    async with running_app(settings) as web:
        await login(web, "anna")
        status, html = await page(web, "/staff/")
        assert status == 200
        assert listed(html) == {"MS-MITT-0001", "MS-NONE-0001"}
        assert (await page(web, "/staff/tickets/MS-NONE-0001"))[0] == 200
        status, html = await page(web, "/staff/tickets/MS-STAN-0001")
        assert status == 403 and SECRET not in html
        status, html = await page(web, "/staff/?office=standesamt")
        assert status == 403 and "MS-STAN-0001" not in html
    denied = [r for r in audit_rows(settings) if r[1] == "denied"]
    assert denied == [
        ("anna", "denied", "MS-STAN-0001"),
        ("anna", "denied", "office:standesamt"),
    ]


async def test_staff_cannot_act_on_another_office_s_case(settings):
    async with running_app(settings) as web:
        await login(web, "anna")
        _, html = await page(web, "/staff/tickets/MS-MITT-0001")
        csrf = csrf_in(html)
        base = f"{web.url}/staff/tickets/MS-STAN-0001"
        for action, data in [
            ("note", {"text": "gelesen"}),
            ("reply", {"text": "Hallo"}),
            ("update", {"office": "buergerbuero_mitte", "assignee": "anna"}),
            ("close", {"close_reason": "erledigt"}),
            ("handback", {}),
        ]:
            async with web.http.post(f"{base}/{action}", data={"csrf": csrf, **data}) as resp:
                assert resp.status == 403, action
    with make_engine(settings.handoff_db_url).connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.reference == "MS-STAN-0001")).one()
        assert conn.execute(sa.select(sa.func.count()).select_from(ticket_messages)).scalar() == 0
    assert (row.office, row.status, row.assignee) == ("standesamt", "neu", None)
    assert [r[1] for r in audit_rows(settings) if r[2] == "MS-STAN-0001"] == ["denied"] * 5


async def test_trainers_see_no_case_and_no_transcript(settings):
    async with running_app(settings) as web:
        await login(web, "tom")
        async with web.http.get(f"{web.url}/staff/", allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == "/staff/backlog/"
        for reference in CASES:
            status, html = await page(web, f"/staff/tickets/{reference}")
            assert status == 403 and SECRET not in html
    assert [r for r in audit_rows(settings) if r[1] in ("view", "denied")] == [
        ("tom", "denied", reference) for reference in CASES
    ]


async def test_admins_see_every_case_and_each_view_is_audited(settings):
    async with running_app(settings) as web:
        await login(web, "ada")
        status, html = await page(web, "/staff/")
        assert listed(html) == set(CASES)
        for reference in CASES:
            status, html = await page(web, f"/staff/tickets/{reference}")
            assert status == 200 and SECRET in html
    assert [r for r in audit_rows(settings) if r[1] == "view"] == [
        ("ada", "view", reference) for reference in CASES
    ]


async def test_forwarding_hands_the_case_to_the_other_office(settings):
    async with running_app(settings) as web:
        await login(web, "anna")
        _, html = await page(web, "/staff/tickets/MS-MITT-0001")
        csrf = csrf_in(html)
        async with web.http.post(
            f"{web.url}/staff/tickets/MS-MITT-0001/update",
            data={"csrf": csrf, "office": "standesamt"},
        ) as resp:
            assert resp.status == 200
        assert (await page(web, "/staff/tickets/MS-MITT-0001"))[0] == 403
        await login(web, "sven")
        _, html = await page(web, "/staff/")
        assert listed(html) == {"MS-MITT-0001", "MS-STAN-0001", "MS-NONE-0001"}
        assert (await page(web, "/staff/tickets/MS-MITT-0001"))[0] == 200
