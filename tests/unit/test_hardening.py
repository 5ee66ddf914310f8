"""The remaining holes, attacked as the test's user would: password guessing, a stolen
session after a password reset, an idle session, a poisoned outbox, an over-long sender,
non-ASCII headers, a stranger calling the action server, world-readable state, raw
personal data in stderr, huge request bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import stat
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sanic import Sanic

from bot.config import Settings
from bot.handoff.tickets import NewTicket, Outbox, insert_ticket, new_reference
from bot.store import audit_log, make_engine, tickets
from bot.web.auth import upsert_user
from bot.web.base import create_session, load_session
from tests.builders import new_ticket
from tests.webserver import (
    API_TOKENS,
    add_staff,
    app_settings,
    bare_app,
    running_app,
    serving,
    staff_login,
)

IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(
        tmp_path, LOGIN_FAILURES_PER_ACCOUNT="5", LOGIN_FAILURES_PER_IP="8", **API_TOKENS
    )
    engine = make_engine(s.handoff_db_url)
    add_staff(engine, "anna")
    return s


login = staff_login


def actions(settings: Settings) -> list[tuple[str, str]]:
    with make_engine(settings.handoff_db_url).connect() as conn:
        return [(r.actor, r.action) for r in conn.execute(sa.select(audit_log))]


# --- login throttling, sessions -----------------------------------------------------------


async def test_guessing_a_password_locks_the_account_and_is_audited(settings):
    async with running_app(settings) as web:
        for _ in range(5):
            assert await login(web, password="falsch-falsch") == 401
        assert await login(web) == 429  # even the right password, for now
    assert actions(settings) == [("anna", "login_failed")] * 5 + [("anna", "login_locked")]


async def test_guessing_many_accounts_from_one_ip_is_stopped(settings):
    async with running_app(settings) as web:
        for i in range(8):
            assert await login(web, username=f"user{i}", password="falsch-falsch") == 401
        assert await login(web) == 429
    assert actions(settings)[-1] == ("anna", "login_locked")


async def test_a_password_change_ends_open_sessions(settings):
    async with running_app(settings) as web:
        assert await login(web) == 302
        async with web.http.get(f"{web.url}/staff/", allow_redirects=False) as resp:
            assert resp.status == 200
        upsert_user(make_engine(settings.handoff_db_url), "anna", "ein-ganz-neues-passwort")
        async with web.http.get(f"{web.url}/staff/", allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == "/staff/login"


def test_an_idle_session_ends(settings):
    engine = make_engine(settings.handoff_db_url)
    token, _ = create_session(engine, "anna", idle_minutes=30)
    now = datetime.now(timezone.utc)
    assert load_session(engine, token, 30, now + timedelta(minutes=20)) is not None
    # each request moves the idle limit on ...
    assert load_session(engine, token, 30, now + timedelta(minutes=45)) is not None
    # ... but 31 quiet minutes end it
    assert load_session(engine, token, 30, now + timedelta(minutes=77)) is None


# --- outbox and sender ids ----------------------------------------------------------------


def _ticket(key: str, sender: str = "s1") -> NewTicket:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    return new_ticket(new_reference(), sender, now, idem_key=key, reason="request_human")


def test_one_bad_outbox_entry_never_blocks_the_rest(tmp_path):
    box = Outbox(tmp_path / "outbox")
    box.directory.mkdir()
    corrupt = box.directory / "000-corrupt.json"
    corrupt.write_text("{not json")
    too_long = box.directory / "001-too-long.json"
    too_long.write_text(json.dumps(_ticket("k-long", sender="x" * 300).to_json()))
    os.utime(corrupt, (1, 1))  # the oldest items come first
    os.utime(too_long, (2, 2))
    box.put(_ticket("k-good"))
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    assert box.drain(lambda t: insert_ticket(engine, t)) == 1
    assert box.pending() == []
    assert sorted(p.name for p in (box.directory / "rejected").iterdir()) == [
        "000-corrupt.json",
        "001-too-long.json",
    ]
    with engine.connect() as conn:
        assert [r.idem_key for r in conn.execute(sa.select(tickets.c.idem_key))] == ["k-good"]


def test_an_over_long_sender_id_never_enters_the_outbox(tmp_path):
    with pytest.raises(ValueError, match="sender_id"):
        Outbox(tmp_path / "outbox").put(_ticket("k", sender="x" * 201))


async def test_rest_refuses_an_over_long_sender_at_the_door():
    from bot.channels.rest import GuardedRestInput

    received: list[Any] = []

    async def on_new_message(message: Any) -> None:
        received.append(message)

    app = bare_app("rest")
    app.blueprint(GuardedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    async with serving(app) as base, aiohttp.ClientSession() as http:
        url = f"{base}/webhooks/rest/webhook"
        for sender in ("x" * 300, 12345, ""):
            async with http.post(url, json={"sender": sender, "message": "Hallo"}) as resp:
                assert resp.status == 400, sender
        async with http.post(url, json={"sender": "ok-1", "message": "Hallo"}) as resp:
            assert resp.status == 200
    assert [m.sender_id for m in received] == ["ok-1"]


# --- malformed headers --------------------------------------------------------------------


async def _raw(port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_non_ascii_tokens_answer_401_or_403_never_500(settings):
    async with running_app(settings) as web:
        port = settings.web_port
        api = (
            b"GET /api/handoffs HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer \xc3\xa4\xff\r\nConnection: close\r\n\r\n"
        )
        assert await _raw(port, api) == 401
        assert await login(web) == 302
        async with web.http.post(
            f"{web.url}/staff/logout", data={"csrf": "ä-kein-ascii"}, allow_redirects=False
        ) as resp:
            assert resp.status == 403


# --- action server ------------------------------------------------------------------------


async def test_the_action_server_answers_only_rasa():
    from rasa_sdk.endpoint import create_app

    from bot.actions_server import guard_action_server

    Sanic.test_mode = True
    app = create_app("actions", cors_origins=[])
    guard_action_server(app, "shared-token")
    [middleware] = [m for m in app.request_middleware if m.__name__ == "only_rasa"]

    def request(ip: str, path: str, token: str | None = None) -> Any:
        return SimpleNamespace(ip=ip, path=path, args={"token": token} if token else {})

    async def status(*args: Any) -> int:
        result = await middleware(request(*args))
        return 200 if result is None else result.status

    assert await status("127.0.0.1", "/webhook", "shared-token") == 200
    assert await status("127.0.0.1", "/webhook") == 403
    assert await status("127.0.0.1", "/webhook", "ä-falsch") == 403
    assert await status("127.0.0.1", "/health") == 200
    assert await status("10.1.2.3", "/webhook", "shared-token") == 403  # another machine
    assert await status("10.1.2.3", "/health") == 403
    assert app.config.REQUEST_MAX_SIZE == 1_000_000


def test_rasa_s_action_endpoint_sends_the_token(tmp_path):
    from bot.cli import stack_env

    env = stack_env(Settings.from_env({"STATE_DIR": str(tmp_path)}), {})
    assert env["ACTION_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert len(env["ACTION_SERVER_TOKEN"]) >= 32
    endpoints = Path("endpoints.yml").read_text()
    assert re.search(r"action_endpoint:\n(?:  .*\n)*  token: \$\{ACTION_SERVER_TOKEN\}", endpoints)


# --- state at rest ------------------------------------------------------------------------


def test_state_dir_is_private(tmp_path):
    from bot.cli import secure_state_dir

    state = tmp_path / "var"
    (state / "logs").mkdir(parents=True)
    old = state / "handoff.db"
    old.write_text("x")
    old.chmod(0o644)
    previous = os.umask(0o022)
    try:
        secure_state_dir(state)
        new = state / "logs" / "web.log"
        new.write_text("later")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "logs").stat().st_mode) == 0o700
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert stat.S_IMODE(new.stat().st_mode) == 0o600  # created after: private too


def test_stderr_logs_are_redacted_at_the_handler(tmp_path, capsys):
    from bot.logging_setup import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(tmp_path, "test", "INFO")
        log = logging.getLogger("bot.test")
        log.warning("insert failed: %s", {"transcript": f"Meine IBAN ist {IBAN}"})
        try:
            raise RuntimeError(f"[parameters: ('Meine IBAN ist {IBAN}',)]")
        except RuntimeError:
            log.exception("ticket store unavailable")
        for handler in root.handlers:
            handler.flush()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    written = (tmp_path / "logs" / "test.jsonl").read_text()
    assert "ticket store unavailable" in err and "IBAN entfernt" in err
    assert IBAN not in err and IBAN not in written


def test_every_server_of_the_stack_limits_request_bodies(tmp_path, monkeypatch):
    from bot.cli import stack_env

    env = stack_env(Settings.from_env({"STATE_DIR": str(tmp_path)}), {})
    assert env["SANIC_REQUEST_MAX_SIZE"] == "1000000"
    monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", env["SANIC_REQUEST_MAX_SIZE"])
    # Rasa's server is a Sanic app as well: it reads the limit from this variable
    assert Sanic(f"limit_{uuid.uuid4().hex[:10]}").config.REQUEST_MAX_SIZE == 1_000_000
