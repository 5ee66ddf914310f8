"""The staff inbox on a real server: login, sessions, CSRF, escaping, API auth.

Rasa is not running here (its port is closed): the ticket page falls back to the
transcript stored with the ticket, and replies are kept but reported as not delivered.
The full round trip with Rasa is in tests/e2e.
"""

from __future__ import annotations

import json
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
    STAFF_PASSWORD,
    add_staff,
    app_settings,
    csrf_in,
    running_app,
    staff_login,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(tmp_path, "2026-11-23T10:00:00+01:00", **API_TOKENS)
    engine = make_engine(s.handoff_db_url)
    add_staff(engine, "anna", "sven")
    created = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    for i, (channel, text) in enumerate(
        [
            ("socketio", "<script>alert('x')</script> Wurde mein Antrag bearbeitet?"),
            ("telegram", "Meine IBAN ist [IBAN entfernt]"),
        ]
    ):
        insert_ticket(
            engine,
            new_ticket(  # due a day later: overdue at the fixed "now"
                f"MS-TEST-000{i}",
                f"sender-{i}",
                created,
                idem_key=f"k{i}",
                channel=channel,
                summary=text,
                transcript=[{"from": "citizen", "text": text}],
                redacted=channel == "telegram",
            ),
        )
    return s


login = staff_login


async def csrf_of(web, path: str) -> str:
    async with web.http.get(f"{web.url}{path}") as resp:
        page = await resp.text()
    return csrf_in(page)


async def test_inbox_requires_login(settings):
    async with running_app(settings) as web:
        async with web.http.get(f"{web.url}/staff/", allow_redirects=False) as resp:
            assert resp.status == 302
            assert resp.headers["Location"] == "/staff/login"


async def test_wrong_password_is_refused_and_audited(settings):
    async with running_app(settings) as web:
        assert await login(web, password="falsch-falsch-falsch") == 401
    with make_engine(settings.handoff_db_url).connect() as conn:
        actions = [r.action for r in conn.execute(sa.select(audit_log.c.action))]
    assert actions == ["login_failed"]


async def test_session_cookie_is_httponly_and_strict(settings):
    async with (
        running_app(settings) as web,
        web.http.post(
            f"{web.url}/staff/login",
            data={"username": "anna", "password": STAFF_PASSWORD},
            allow_redirects=False,
        ) as resp,
    ):
        cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie


async def test_inbox_lists_tickets_escaped_and_marks_overdue(settings):
    async with running_app(settings) as web:
        assert await login(web) == 302
        async with web.http.get(f"{web.url}/staff/") as resp:
            page = await resp.text()
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert "Content-Security-Policy" in resp.headers
    assert "MS-TEST-0000" in page and "MS-TEST-0001" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert page.count("überfällig") == 2


async def test_filter_by_channel_reason_and_status(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/?status=erledigt") as resp:
            assert "MS-TEST-0000" not in await resp.text()
        async with web.http.get(f"{web.url}/staff/?reason=complain") as resp:
            assert "Keine Vorgänge" in await resp.text()


async def test_post_without_csrf_is_forbidden(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.post(
            f"{web.url}/staff/tickets/MS-TEST-0000/note", data={"text": "hallo"}
        ) as resp:
            assert resp.status == 403


async def test_note_assign_forward_close(settings):
    async with running_app(settings) as web:
        await login(web)
        page = "/staff/tickets/MS-TEST-0000"
        csrf = await csrf_of(web, page)
        async with web.http.post(
            f"{web.url}{page}/note", data={"csrf": csrf, "text": "Rückruf am Montag"}
        ) as resp:
            assert "Notiz gespeichert" in await resp.text()
        # forwarding moves the case (with its new assignee) to the Standesamt ...
        async with web.http.post(
            f"{web.url}{page}/update",
            data={
                "csrf": csrf,
                "assignee": "sven",
                "office": "standesamt",
                "status": "in_bearbeitung",
            },
        ) as resp:
            assert resp.status == 200
            assert str(resp.url).endswith("/staff/")
        # ... and out of the Bürgerbüro's reach
        async with web.http.post(
            f"{web.url}{page}/close", data={"csrf": csrf, "close_reason": "erledigt"}
        ) as resp:
            assert resp.status == 403
        await login(web, username="sven")
        csrf = await csrf_of(web, page)
        async with web.http.post(
            f"{web.url}{page}/close", data={"csrf": csrf, "close_reason": "erledigt"}
        ) as resp:
            assert "Vorgang abgeschlossen" in await resp.text()
    with make_engine(settings.handoff_db_url).connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.reference == "MS-TEST-0000")).one()
        notes = [r.text for r in conn.execute(sa.select(ticket_messages.c.text))]
        audit = [(r.actor, r.action) for r in conn.execute(sa.select(audit_log))]
    assert (row.assignee, row.office, row.status, row.close_reason) == (
        "sven",
        "standesamt",
        "erledigt",
        "erledigt",
    )
    assert notes == ["Rückruf am Montag"]
    assert audit == [
        ("anna", "login"),
        ("anna", "view"),
        ("anna", "note"),
        ("anna", "view"),
        ("anna", "update"),
        ("anna", "denied"),
        ("sven", "login"),
        ("sven", "view"),
        ("sven", "close"),
        ("sven", "view"),
    ]


async def test_reply_with_identifier_to_messenger_is_refused(settings):
    async with running_app(settings) as web:
        await login(web)
        page = "/staff/tickets/MS-TEST-0001"
        csrf = await csrf_of(web, page)
        async with web.http.post(
            f"{web.url}{page}/reply",
            data={
                "csrf": csrf,
                "text": "Ihre IBAN DE89 3704 0044 0532 0130 00 ist bei uns hinterlegt",
            },
        ) as resp:
            assert "persönliche Daten" in await resp.text()
    with make_engine(settings.handoff_db_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ticket_messages)).scalar() == 0


async def test_reply_kept_but_reported_when_rasa_is_down(settings):
    async with running_app(settings) as web:
        await login(web)
        page = "/staff/tickets/MS-TEST-0000"
        csrf = await csrf_of(web, page)
        async with web.http.post(
            f"{web.url}{page}/reply", data={"csrf": csrf, "text": "Guten Tag, wir prüfen das."}
        ) as resp:
            assert "nicht zugestellt" in await resp.text()
    with make_engine(settings.handoff_db_url).connect() as conn:
        msg = conn.execute(sa.select(ticket_messages)).one()
    assert (msg.kind, msg.delivered) == ("reply", False)


async def test_canned_replies_are_filled_in(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/tickets/MS-TEST-0000") as resp:
            page = await resp.text()
    assert "Termin vereinbaren" in page
    assert "https://termine.musterstadt.de/buergerbuero" in page
    assert "MS-TEST-0000 mit" in page


async def test_handoff_api(settings):
    async with running_app(settings) as web:
        async with web.http.get(f"{web.url}/api/handoffs") as resp:
            assert resp.status == 401
        headers = {"Authorization": "Bearer api-token"}
        async with web.http.get(
            f"{web.url}/api/handoffs?sender_id=sender-1", headers=headers
        ) as resp:
            body = await resp.json()
    assert [t["reference"] for t in body] == ["MS-TEST-0001"]
    assert set(body[0]) >= {
        "id", "sender_id", "channel", "reason", "status", "office", "created_at", "due_at",
    }  # fmt: skip
    assert json.dumps(body)  # serialisable


async def test_health_is_503_when_rasa_and_actions_are_down(settings):
    async with running_app(settings) as web, web.http.get(f"{web.url}/health") as resp:
        body = await resp.json()
        assert resp.status == 503
    assert body["components"]["rasa"]["ok"] is False
    assert body["components"]["actions"]["ok"] is False
    assert body["components"]["store"]["ok"] is True


async def test_unknown_ticket_is_404_for_pages_and_actions(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/tickets/MS-NOPE-0000") as resp:
            assert resp.status == 404
        csrf = await csrf_of(web, "/staff/tickets/MS-TEST-0000")
        async with web.http.post(
            f"{web.url}/staff/tickets/MS-NOPE-0000/close",
            data={"csrf": csrf, "close_reason": "erledigt"},
        ) as resp:
            assert resp.status == 404
