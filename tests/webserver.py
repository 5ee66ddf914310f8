"""A real web-app server on a free loopback port, inside the test's event loop."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sanic import Sanic

from bot.config import Settings
from bot.web.app import create_app


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_settings(state_dir: Path, now: str, **extra: str) -> Settings:
    """Settings of a web app in ``state_dir`` on free ports, with the clock fixed at ``now``."""
    return Settings.from_env(
        {
            "STATE_DIR": str(state_dir),
            "WEB_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
            "ACTIONS_PORT": str(free_port()),
            "BOT_FIXED_NOW": now,
            **extra,
        }
    )


@dataclass
class RunningApp:
    """The app, its base URL and a client session (with a cookie jar)."""

    app: Sanic
    url: str
    http: aiohttp.ClientSession


@asynccontextmanager
async def running_app(settings: Settings, **kwargs: Any) -> AsyncIterator[RunningApp]:
    """Starts ``create_app(settings)`` on ``settings.web_port`` and stops it afterwards."""
    # Several apps start in one test process: Sanic's test mode keeps its method rewriting
    # ("touchup") from running on already rewritten methods.
    Sanic.test_mode = True
    app = create_app(settings, name=f"test_{uuid.uuid4().hex[:12]}", disable_jobs=True, **kwargs)
    server = await app.create_server(
        host="127.0.0.1", port=settings.web_port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    http = aiohttp.ClientSession(cookie_jar=jar)
    try:
        yield RunningApp(app, f"http://127.0.0.1:{settings.web_port}", http)
    finally:
        await http.close()
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
