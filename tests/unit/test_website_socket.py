"""The public socket's limits, attacked the way a single client would flood it.

A real Sanic server with the website channel's blueprint on a free loopback port and
python-socketio's client, as the widget speaks it; only Rasa's message processing is
replaced by a recorder (the machine's edge here is Rasa itself).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio

from bot.channels.website import WebsiteInput, capped_metadata
from tests.webserver import bare_app, serving

ORIGIN = "https://www.musterstadt.de"


@pytest.fixture(autouse=True)
def limits(monkeypatch, tmp_path):
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SITE_ORIGINS", ORIGIN)
    monkeypatch.setenv("SOCKET_MESSAGES_PER_MINUTE", "5")
    monkeypatch.setenv("SOCKET_MESSAGES_PER_IP_PER_MINUTE", "7")
    monkeypatch.setenv("SOCKET_CONNECTIONS_PER_IP", "3")
    monkeypatch.setenv("SOCKET_METADATA_MAX_BYTES", "2048")
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")  # as behind nginx on this machine
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1000")
    from bot.channels import guard

    guard.limiter.cache_clear()
    yield
    guard.limiter.cache_clear()


@asynccontextmanager
async def website(channel: WebsiteInput | None = None) -> AsyncIterator[tuple[str, list[Any]]]:
    """The channel on a real server; yields its URL and the messages Rasa would get."""
    received: list[Any] = []

    async def on_new_message(message: Any) -> None:
        received.append(message)

    app = bare_app("socket")
    channel = channel or WebsiteInput(session_persistence=True, metadata_key="customData")
    app.blueprint(channel.blueprint(on_new_message))
    async with serving(app) as url:
        yield url, received


class Widget:
    """A blocking socket.io client (run in a thread: the server shares the event loop)."""

    def __init__(self, url: str, ip: str = "203.0.113.7", origin: str = ORIGIN) -> None:
        self.client = socketio.Client(
            reconnection=False, websocket_extra_options={"origin": origin}
        )
        self.notices: list[str] = []
        self.session: str | None = None
        self._confirmed = threading.Event()
        self.client.on("session_confirm", self._on_confirm)
        self.client.on("bot_uttered", lambda data: self.notices.append(data.get("text", "")))
        self.client.connect(
            url,
            socketio_path="/socket.io",
            transports=["websocket"],
            headers={"X-Forwarded-For": ip},
            wait_timeout=5,
        )

    def _on_confirm(self, data: Any) -> None:
        self.session = data if isinstance(data, str) else data["session_id"]
        self._confirmed.set()

    def start(self, session_id: str | None = None) -> str:
        self._confirmed.clear()
        self.client.emit("session_request", {"session_id": session_id})
        assert self._confirmed.wait(5), "no session_confirm"
        assert self.session
        return self.session

    def say(self, text: str, session_id: str | None = None, custom: Any = None) -> None:
        self.client.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": session_id or self.session,
                "customData": custom if custom is not None else {"language": "de"},
            },
        )

    def close(self) -> None:
        self.client.disconnect()


async def settle(received: list[Any], expected: int, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(received) < expected:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # and nothing more arrives


async def test_rotating_session_ids_on_one_connection_gets_nowhere():
    async with website() as (url, received):
        widget = await asyncio.to_thread(Widget, url)
        session = await asyncio.to_thread(widget.start)
        for i in range(200):
            await asyncio.to_thread(widget.say, f"Frage {i}", uuid.uuid4().hex)
        await asyncio.to_thread(widget.say, "meine Frage")
        await settle(received, 1)
        await asyncio.to_thread(widget.close)
    assert [(m.sender_id, m.text) for m in received] == [(session, "meine Frage")]


async def test_messages_per_connection_are_limited_with_one_polite_notice():
    async with website() as (url, received):
        widget = await asyncio.to_thread(Widget, url)
        await asyncio.to_thread(widget.start)
        for i in range(40):
            await asyncio.to_thread(widget.say, f"Frage {i}")
        await settle(received, 5)
        await asyncio.to_thread(widget.close)
    assert [m.text for m in received] == [f"Frage {i}" for i in range(5)]
    assert widget.notices == [
        "Zu viele Anfragen in kurzer Zeit. Bitte warten Sie einen "
        "Moment und versuchen Sie es dann erneut."
    ]


async def test_messages_per_ip_are_limited_across_connections():
    async with website() as (url, received):
        first = await asyncio.to_thread(Widget, url)
        second = await asyncio.to_thread(Widget, url)
        other_ip = await asyncio.to_thread(Widget, url, "198.51.100.9")
        for widget in (first, second, other_ip):
            await asyncio.to_thread(widget.start)
        for i in range(5):
            await asyncio.to_thread(first.say, f"a{i}")
            await asyncio.to_thread(second.say, f"b{i}")
        await asyncio.to_thread(other_ip.say, "c0")
        await settle(received, 8)
        for widget in (first, second, other_ip):
            await asyncio.to_thread(widget.close)
    texts = [m.text for m in received]
    assert len([t for t in texts if t[0] in "ab"]) == 7  # SOCKET_MESSAGES_PER_IP_PER_MINUTE
    assert "c0" in texts  # another client is not affected


async def test_connections_per_ip_are_bounded():
    async with website() as (url, _):
        widgets = [await asyncio.to_thread(Widget, url) for _ in range(3)]
        with pytest.raises(socketio.exceptions.ConnectionError):
            await asyncio.to_thread(Widget, url)
        await asyncio.to_thread(widgets[0].close)
        await asyncio.sleep(0.3)
        again = await asyncio.to_thread(Widget, url)  # a closed connection frees its place
        for widget in [*widgets[1:], again]:
            await asyncio.to_thread(widget.close)


async def test_a_foreign_origin_is_refused():
    async with website() as (url, received):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await asyncio.to_thread(Widget, url, "203.0.113.8", "https://evil.example")
        widget = await asyncio.to_thread(Widget, url, "203.0.113.8")
        await asyncio.to_thread(widget.close)
    assert received == []


async def test_large_custom_data_is_never_stored_and_the_ip_not_either():
    async with website() as (url, received):
        widget = await asyncio.to_thread(Widget, url)
        await asyncio.to_thread(widget.start)
        await asyncio.to_thread(widget.say, "eins", None, {"language": "de", "x": "A" * 20_000})
        await asyncio.to_thread(widget.say, "zwei", None, {"language": "de"})
        await settle(received, 2, seconds=5)
        await asyncio.to_thread(widget.close)
        flood = await asyncio.to_thread(Widget, url, "203.0.113.9")
        await asyncio.to_thread(flood.start)
        await asyncio.to_thread(flood.say, "drei", None, {"x": "A" * 1_000_000})
        await settle(received, 3)
        assert not flood.client.connected  # a 1 MB packet ends the connection
    first, second = received
    assert "x" not in first.metadata and "language" not in first.metadata
    assert second.metadata["language"] == "de"
    assert first.metadata["client"] == second.metadata["client"]
    assert "203.0.113.7" not in repr(first.metadata)


async def test_an_over_long_or_odd_session_id_is_replaced():
    async with website() as (url, _):
        widget = await asyncio.to_thread(Widget, url)
        long_id = await asyncio.to_thread(widget.start, "x" * 300)
        odd_id = await asyncio.to_thread(widget.start, "<script>")
        ok_id = await asyncio.to_thread(widget.start, "a1b2c3")
        await asyncio.to_thread(widget.close)
    assert len(long_id) == 32 and long_id != "x" * 300
    assert odd_id != "<script>"
    assert ok_id == "a1b2c3"


def test_capped_metadata():
    assert capped_metadata({"language": "de"}, 100) == {"language": "de"}
    assert capped_metadata('{"language": "de"}', 100) == {"language": "de"}
    assert capped_metadata({"x": "A" * 200}, 100) == {}
    assert capped_metadata("A" * 200, 100) == {}
    assert capped_metadata(["no", "object"], 100) == {}
    assert capped_metadata("not json", 100) == {}


REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/1")


def _redis_reachable() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@asynccontextmanager
async def two_instances(monkeypatch: Any) -> AsyncIterator[tuple[WebsiteInput, Widget, str]]:
    """Two website instances sharing Redis and a widget connected to the second: yields the
    first instance's channel, the widget and its session (skips without Redis)."""
    if not _redis_reachable():
        pytest.skip("needs Redis on 127.0.0.1:6379 (SOCKETIO_REDIS_URL); not reachable")
    monkeypatch.setenv("SOCKETIO_REDIS_URL", REDIS_URL)
    sender = WebsiteInput(session_persistence=True, metadata_key="customData")
    holder = WebsiteInput(session_persistence=True, metadata_key="customData")
    async with website(sender), website(holder) as (url_b, _):
        widget = await asyncio.to_thread(Widget, url_b)
        session = await asyncio.to_thread(widget.start)
        await asyncio.sleep(0.5)
        try:
            yield sender, widget, session
        finally:
            await asyncio.to_thread(widget.close)


async def wait_for_notice(widget: Widget, text: str, seconds: float = 5) -> None:
    """Waits until the widget shows ``text`` or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and text not in widget.notices:
        await asyncio.sleep(0.05)


async def test_a_reply_sent_on_one_instance_reaches_a_socket_on_the_other(monkeypatch):
    async with two_instances(monkeypatch) as (sender, widget, session):
        output = sender.get_output_channel()
        assert output is not None
        await output.send_text_message(session, "Antwort vom Bürgerbüro", staff=True)
        await wait_for_notice(widget, "Antwort vom Bürgerbüro")
    assert widget.notices == ["Antwort vom Bürgerbüro"]
