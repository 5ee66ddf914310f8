"""A failed action-server call ends the turn with "technische Störung", not silence.

Rasa's real RemoteAction, domain and NLG; the action server is a closed port, one that
answers 500, or one that never answers (a loopback socket that accepts and stays mute).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_faults
from bot.config import SettingsError
from tests.webserver import free_port

DOMAIN = Domain.load(str(Path(__file__).parents[2] / "domain"))
NOTICE = DOMAIN.responses["utter_technical_problem"][0]["text"]


async def _run_against(status: int, body: dict) -> list:
    """Runs the action against a loopback server answering ``status`` with ``body``."""

    async def webhook(_request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await _run(f"http://127.0.0.1:{port}/webhook")
    finally:
        await runner.cleanup()


async def _run(url: str) -> list:
    rasa_faults.install()
    action = RemoteAction("action_opening_hours", EndpointConfig(url))
    tracker = DialogueStateTracker.from_events("citizen-1", [])
    return await action.run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses),
        tracker, DOMAIN,
    )  # fmt: skip


def test_unreachable_action_server_gives_the_notice():
    events = asyncio.run(_run(f"http://127.0.0.1:{free_port()}/webhook"))
    assert len(events) == 1
    assert isinstance(events[0], BotUttered)
    assert events[0].text == NOTICE
    assert "technische Störung" in NOTICE


def test_a_server_error_gives_the_notice():
    events = asyncio.run(_run_against(500, {"error": "boom"}))
    assert [e.text for e in events] == [NOTICE]


def test_a_silent_action_server_times_out_with_the_notice(monkeypatch):
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "0.5")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        port = listener.getsockname()[1]
        events = asyncio.run(_run(f"http://127.0.0.1:{port}/webhook"))
    finally:
        listener.close()
    assert [e.text for e in events] == [NOTICE]


def test_a_rejection_is_not_a_fault():
    body = {"action_name": "action_opening_hours", "error": "slot rejected"}
    with pytest.raises(ActionExecutionRejection):
        asyncio.run(_run_against(400, body))


def test_a_working_action_server_is_untouched():
    body = {"events": [], "responses": [{"text": "Geöffnet bis 18 Uhr."}]}
    events = asyncio.run(_run_against(200, body))
    assert [e.text for e in events] == ["Geöffnet bis 18 Uhr."]


@pytest.mark.parametrize(("value", "expected"), [("", 30.0), ("5", 5.0), ("0.5", 0.5)])
def test_timeout_setting(monkeypatch, value, expected):
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", value)
    assert rasa_faults.action_timeout() == expected


@pytest.mark.parametrize("value", ["x", "-1", "0"])
def test_a_bad_timeout_stops_the_start_naming_the_variable(monkeypatch, value):
    # it used to fall back to 30 s without a word (issue 18: every bad value stops the start)
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", value)
    with pytest.raises(SettingsError, match="ACTION_TIMEOUT_SECONDS"):
        rasa_faults.action_timeout()


def test_install_is_idempotent():
    rasa_faults.install()
    rasa_faults.install()
    assert RemoteAction.run is rasa_faults.run_or_apologise
