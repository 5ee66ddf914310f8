"""A real web-app server on a free loopback port, inside the test's event loop."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sanic import Sanic
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.web.app import create_app
from bot.web.auth import upsert_user


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


API_TOKENS = {"HANDOFF_API_TOKEN": "api-token", "BOT_API_TOKEN": "bot-token"}
"""The JSON API's and the bot's tokens, for apps whose tests call the API."""


def app_settings(state_dir: Path, now: str | None = None, **extra: str) -> Settings:
    """Settings of a web app in ``state_dir`` on free ports (Rasa and the action server
    on ports where nothing listens), with the clock fixed at ``now`` (None: the real one)."""
    return Settings.from_env(
        {
            "STATE_DIR": str(state_dir),
            "WEB_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
            "ACTIONS_PORT": str(free_port()),
            **({"BOT_FIXED_NOW": now} if now is not None else {}),
            **extra,
        }
    )


STAFF_PASSWORD = "richtig-langes-passwort"
STAFF = {
    "anna": ("staff", "buergerbuero_mitte"),
    "sven": ("staff", "standesamt"),
    "tom": ("trainer", None),
    "ada": ("admin", None),
}
"""The tests' staff accounts: user name -> (role, office)."""


def add_staff(engine: Engine, *usernames: str) -> None:
    """Creates the accounts of :data:`STAFF` named, all with :data:`STAFF_PASSWORD`."""
    for username in usernames:
        role, office = STAFF[username]
        upsert_user(engine, username, STAFF_PASSWORD, role, office)


@dataclass
class RunningApp:
    """The app, its base URL and a client session (with a cookie jar)."""

    app: Sanic
    url: str
    http: aiohttp.ClientSession


def unique_name(prefix: str) -> str:
    """A fresh Sanic app name; switches Sanic's test mode on.

    Several apps start in one test process: Sanic's test mode keeps its method rewriting
    ("touchup") from running on already rewritten methods.
    """
    Sanic.test_mode = True
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def bare_app(prefix: str) -> Sanic:
    """An empty Sanic app (add the blueprints under test) with a fresh name."""
    return Sanic(unique_name(prefix))


@asynccontextmanager
async def serving(app: Sanic, port: int | None = None) -> AsyncIterator[str]:
    """Runs ``app`` on ``port`` (default: a free one) of loopback inside the test's event
    loop and stops it afterwards; yields its base URL."""
    port = port or free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


@asynccontextmanager
async def running_app(settings: Settings, **kwargs: Any) -> AsyncIterator[RunningApp]:
    """Starts ``create_app(settings)`` on ``settings.web_port`` and stops it afterwards."""
    app = create_app(settings, name=unique_name("test"), disable_jobs=True, **kwargs)
    async with serving(app, settings.web_port) as url:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            yield RunningApp(app, url, http)


async def staff_login(
    web: RunningApp, username: str = "anna", password: str = STAFF_PASSWORD
) -> int:
    """Logs ``username`` in on the staff page; the answer's status (302: logged in)."""
    async with web.http.post(
        f"{web.url}/staff/login",
        data={"username": username, "password": password},
        allow_redirects=False,
    ) as resp:
        return resp.status


def csrf_in(page: str) -> str:
    """The CSRF token in a staff page's forms."""
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)
