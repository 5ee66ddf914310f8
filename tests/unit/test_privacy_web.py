"""The staff erasure page /staff/privacy/ on a real server, and the append-only audit log."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.store import audit_log, make_engine, ticket_messages, tickets
from bot.web.auth import upsert_user
from tests.unit.test_privacy import RASA_EVENTS, add_conversation, add_ticket, senders
from tests.webserver import STAFF_PASSWORD, app_settings, csrf_in, running_app

PASSWORD = STAFF_PASSWORD
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]
REASON = "Antrag vom 22.11.2026, schriftlich per Brief"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(tmp_path, NOW.isoformat())
    handoff = make_engine(s.handoff_db_url)
    upsert_user(handoff, "anna", PASSWORD, "staff", "buergerbuero_mitte")
    upsert_user(handoff, "tom", PASSWORD, "trainer")
    upsert_user(handoff, "dora", PASSWORD, "privacy")  # the city's data-protection coordination
    upsert_user(handoff, "sven", PASSWORD, "staff", "standesamt")
    tracker = make_engine(s.tracker_store_url)
    RASA_EVENTS.create(tracker)
    add_conversation(tracker, "tg-4711", NOW - timedelta(days=2))
    add_conversation(tracker, "web-abc", NOW - timedelta(days=1), n=4)
    add_conversation(tracker, "bystander", NOW - timedelta(days=1))
    add_ticket(handoff, "MS-7K4P-Q2XD", "web-abc", NOW - timedelta(days=1), origin="tg-4711")
    add_ticket(handoff, "MS-BYST-0001", "bystander", NOW - timedelta(days=1))
    return s


async def login(web, user: str = "anna") -> str:
    """Logs in and returns the session's CSRF token."""
    async with web.http.post(
        f"{web.url}/staff/login", data={"username": user, "password": PASSWORD}
    ) as resp:
        assert resp.status == 200
    async with web.http.get(f"{web.url}/staff/privacy/") as resp:
        page = await resp.text()
    return csrf_in(page)


def audit(settings: Settings) -> list:
    with make_engine(settings.handoff_db_url).connect() as conn:
        return list(conn.execute(sa.select(audit_log).order_by(audit_log.c.id)))


def references(settings: Settings) -> set[str]:
    with make_engine(settings.handoff_db_url).connect() as conn:
        return {r.reference for r in conn.execute(sa.select(tickets.c.reference))}


async def test_page_requires_login(settings):
    async with running_app(settings) as web:
        async with web.http.get(f"{web.url}/staff/privacy/", allow_redirects=False) as resp:
            assert resp.status == 302
        async with web.http.post(
            f"{web.url}/staff/privacy/delete", data={"query": "web-abc"}, allow_redirects=False
        ) as resp:
            assert resp.status == 302
    assert senders(make_engine(settings.tracker_store_url)) == {"tg-4711", "web-abc", "bystander"}


async def test_staff_see_the_nav_link_trainers_neither_link_nor_page(settings):
    async with running_app(settings) as web:
        await login(web, "anna")
        async with web.http.get(f"{web.url}/staff/") as resp:
            assert 'href="/staff/privacy/"' in await resp.text()
        async with web.http.get(f"{web.url}/staff/privacy/") as resp:
            assert resp.status == 200
            page = await resp.text()
            assert "Löschung beantragen" in page  # staff request, they do not erase
            assert "Gesprächs-ID oder Vorgangsnummer" not in page
    async with running_app(settings) as web:
        await login(web, "dora")
        async with web.http.get(f"{web.url}/staff/privacy/") as resp:
            assert resp.status == 200
            assert "Gesprächs-ID oder Vorgangsnummer" in await resp.text()
    async with running_app(settings) as web:
        async with web.http.post(
            f"{web.url}/staff/login", data={"username": "tom", "password": PASSWORD}
        ) as resp:
            assert resp.status == 200
        async with web.http.get(f"{web.url}/staff/backlog/") as resp:
            csrf = csrf_in(await resp.text())
        async with web.http.get(f"{web.url}/staff/") as resp:
            assert 'href="/staff/privacy/"' not in await resp.text()
        async with web.http.get(f"{web.url}/staff/privacy/") as resp:
            assert resp.status == 403
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "MS-7K4P-Q2XD", "confirm": "ja"},
        ) as resp:
            assert resp.status == 403
    assert "MS-7K4P-Q2XD" in references(settings)


async def test_preview_shows_counts_and_changes_nothing(settings):
    async with running_app(settings) as web:
        csrf = await login(web, "dora")
        async with web.http.post(
            f"{web.url}/staff/privacy/", data={"csrf": csrf, "query": "ms-7k4p-q2xd"}
        ) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            page = await resp.text()
    found = re.findall(r'<span class="count">(\d+)</span> ([^<(]+)', page)
    counts = {label.strip(): int(n) for n, label in found}
    assert counts == {
        "Gespräche": 2,
        "gespeicherte Gesprächsereignisse": 7,
        "Vorgänge": 1,
        "Antworten und Notizen zu Vorgängen": 2,
        "Rückmeldungen": 0,
        "Vorgänge, die noch auf ihre Speicherung warten": 0,
    }
    assert "noch offen" in page and "MS-7K4P-Q2XD" in page
    assert "Nachricht 0" not in page  # counts only, no content
    assert senders(make_engine(settings.tracker_store_url)) == {"tg-4711", "web-abc", "bystander"}
    assert [r.action for r in audit(settings)] == ["login"]


async def test_unknown_query_says_nothing_is_stored(settings):
    async with running_app(settings) as web:
        csrf = await login(web, "dora")
        async with web.http.post(
            f"{web.url}/staff/privacy/", data={"csrf": csrf, "query": "gibt-es-nicht"}
        ) as resp:
            assert "nichts gespeichert" in await resp.text()
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "gibt-es-nicht", "confirm": "ja", "reason": REASON},
        ) as resp:
            assert resp.status == 404
    assert [r.action for r in audit(settings)] == ["login"]


async def test_delete_needs_csrf_and_confirmation(settings):
    async with running_app(settings) as web:
        csrf = await login(web, "dora")
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": "forged", "query": "MS-7K4P-Q2XD", "confirm": "ja"},
        ) as resp:
            assert resp.status == 403
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "MS-7K4P-Q2XD", "reason": REASON},
        ) as resp:
            assert resp.status == 400
            assert "bestätigen" in await resp.text()
        async with web.http.post(  # confirmed, but without the reason
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "MS-7K4P-Q2XD", "confirm": "ja"},
        ) as resp:
            assert resp.status == 400
            assert "Grund" in await resp.text()
    assert "MS-7K4P-Q2XD" in references(settings)


async def test_confirmed_deletion_by_reference(settings):
    async with running_app(settings) as web:
        csrf = await login(web, "dora")
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "MS-7K4P-Q2XD", "confirm": "ja", "reason": REASON},
        ) as resp:
            assert resp.status == 200
            assert "Gelöscht." in await resp.text()
    assert senders(make_engine(settings.tracker_store_url)) == {"bystander"}
    assert references(settings) == {"MS-BYST-0001"}
    with make_engine(settings.handoff_db_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ticket_messages)).scalar() == 2
    row = audit(settings)[-1]
    assert (row.actor, row.action, row.target) == ("dora", "delete", "MS-7K4P-Q2XD")
    assert "events=7" in row.detail and "tickets=1" in row.detail
    assert f"reason={REASON}" in row.detail and row.at is not None


async def test_deletion_by_sender_id_keeps_the_id_out_of_the_audit_log(settings):
    async with running_app(settings.replace(web_secret_key="secret-key")) as web:
        csrf = await login(web, "dora")
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "bystander", "confirm": "ja", "reason": REASON},
        ) as resp:
            assert resp.status == 200
    row = audit(settings)[-1]
    assert row.action == "delete" and row.target.startswith("sender:")
    assert all("bystander" not in f"{r.target} {r.detail}" for r in audit(settings))
    assert references(settings) == {"MS-7K4P-Q2XD"}


async def test_staff_and_trainers_cannot_erase_and_every_attempt_is_audited(settings):
    attempts = [
        ("post", "/staff/privacy/", {"query": "MS-7K4P-Q2XD"}),
        ("post", "/staff/privacy/delete", {"query": "MS-7K4P-Q2XD", "confirm": "ja"}),
        ("post", "/staff/privacy/delete", {"query": "web-abc", "confirm": "ja"}),
    ]
    for user in ("anna", "tom"):
        async with running_app(settings) as web:
            async with web.http.post(
                f"{web.url}/staff/login", data={"username": user, "password": PASSWORD}
            ) as resp:
                assert resp.status == 200
            page = "/staff/privacy/" if user == "anna" else "/staff/backlog/"
            async with web.http.get(f"{web.url}{page}") as resp:
                csrf = csrf_in(await resp.text())
            for _, path, data in attempts:
                async with web.http.post(
                    f"{web.url}{path}", data={"csrf": csrf, "reason": REASON, **data}
                ) as resp:
                    assert resp.status == 403, (user, path)
                    assert "Gespräche" not in await resp.text()  # not even the counts
    assert senders(make_engine(settings.tracker_store_url)) == {"tg-4711", "web-abc", "bystander"}
    assert references(settings) == {"MS-7K4P-Q2XD", "MS-BYST-0001"}
    denied = [(r.actor, r.target) for r in audit(settings) if r.action == "denied"]
    assert denied == [("anna", "privacy")] * 3 + [("tom", "privacy")] * 3
    assert not [r for r in audit(settings) if r.action == "delete"]


async def test_staff_request_an_erasure_the_privacy_role_sees_it_and_erases(settings):
    async with running_app(settings) as web:
        csrf = await login(web, "anna")
        async with web.http.post(
            f"{web.url}/staff/privacy/request",
            data={"csrf": csrf, "query": "ms-7k4p-q2xd", "reason": "Bürgerin am Telefon"},
        ) as resp:
            assert resp.status == 200
            assert "ist beantragt" in await resp.text()
        async with web.http.post(
            f"{web.url}/staff/privacy/request", data={"csrf": csrf, "query": "MS-7K4P-Q2XD"}
        ) as resp:
            assert resp.status == 400  # a request needs its reason
    async with running_app(settings) as web:  # another office's caseworker
        csrf = await login(web, "sven")
        async with web.http.post(
            f"{web.url}/staff/privacy/request",
            data={"csrf": csrf, "query": "MS-7K4P-Q2XD", "reason": "neugierig"},
        ) as resp:
            assert resp.status == 403
    assert references(settings) == {"MS-7K4P-Q2XD", "MS-BYST-0001"}  # nothing deleted yet
    async with running_app(settings) as web:
        csrf = await login(web, "dora")
        async with web.http.get(f"{web.url}/staff/privacy/") as resp:
            page = await resp.text()
        assert "Beantragte Löschungen" in page and "MS-7K4P-Q2XD" in page
        assert "anna" in page and "Bürgerin am Telefon" in page
        async with web.http.post(
            f"{web.url}/staff/privacy/delete",
            data={"csrf": csrf, "query": "MS-7K4P-Q2XD", "confirm": "ja", "reason": REASON},
        ) as resp:
            assert resp.status == 200
        async with web.http.get(f"{web.url}/staff/privacy/") as resp:
            assert "Beantragte Löschungen" not in await resp.text()
    rows = [(r.actor, r.action, r.target) for r in audit(settings) if r.action != "login"]
    assert rows == [
        ("anna", "erasure_requested", "MS-7K4P-Q2XD"),
        ("sven", "denied", "MS-7K4P-Q2XD"),
        ("dora", "delete", "MS-7K4P-Q2XD"),
    ]


# --- the audit log is append-only --------------------------------------------------------


def test_no_code_updates_or_deletes_audit_rows():
    """Every statement on audit_log in bot/ is an insert or a select."""
    pattern = re.compile(
        r"(update|delete)\(\s*(store\.)?audit_log\b|audit_log\.(update|delete)\("
        r"|(UPDATE|DELETE\s+FROM)\s+audit_log",
        re.IGNORECASE,
    )
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            line = text[: match.start()].count("\n") + 1
            context = text.splitlines()[line - 1]
            if "RAISE(ABORT" in context or "TRIGGER" in context:
                continue  # the triggers that refuse it
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {context.strip()}")
    assert offenders == []


def test_sqlite_refuses_to_change_or_delete_audit_rows(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")
    with engine.begin() as conn:
        conn.execute(sa.insert(audit_log).values(at=NOW, actor="anna", action="login"))
    for statement in (
        sa.update(audit_log).values(actor="mallory"),
        sa.delete(audit_log),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.begin() as conn:  # inserting stays possible
        conn.execute(sa.insert(audit_log).values(at=NOW, actor="anna", action="logout"))
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == 2
