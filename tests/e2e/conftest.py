"""The real stack (Rasa, actions, web app) started once per test session on free ports.

Started exactly as an operator does (``python -m bot.cli run``), with the trained model
from ``make train``, SQLite stores in a temporary STATE_DIR and a fixed clock
(BOT_FIXED_NOW: Monday 23.11.2026, 10:00) so that answers are deterministic.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.recorder import Recorder, start_recorder
from tests.smtp import Mailbox, start_smtp

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "buergerservice.tar.gz"
FIXED_NOW = "2026-11-23T10:00:00+01:00"
START_TIMEOUT = 300
FB_VERIFY = "test-verify-token"
FB_SECRET = "test-app-secret"
TELEGRAM_TOKEN = "123456:TEST-token-for-the-local-recorder"
TELEGRAM_SECRET = "test-telegram-secret"
WA_VERIFY = "test-wa-verify"
WA_SECRET = "test-wa-app-secret"
WA_PHONE_ID = "106540352242922"
WA_TEMPLATE = "vorgang_antwort"
IG_VERIFY = "test-ig-verify"
IG_SECRET = "test-ig-app-secret"
THREEMA_GATEWAY_ID = "*MSTADT1"
THREEMA_SECRET = "test-threema-secret"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    """True when something listens on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    """A running stack and how to talk to it."""

    rasa_port: int
    actions_port: int
    web_port: int
    state_dir: Path
    bot_api_token: str
    handoff_api_token: str
    process: subprocess.Popen[bytes]
    platforms: Recorder
    mailbox: Mailbox
    health_codes: list[int] = field(default_factory=list)
    startup_seconds: float = 0.0
    threema_key: Any = None  # the gateway's NaCl private key, generated per test session

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def request(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """An HTTP request; returns (status, parsed JSON or text)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw = err.read().decode()
            status = err.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def chat(self, sender: str, message: Any) -> list[dict[str, Any]]:
        """One turn through the REST webhook; the bot's replies."""
        status, body = self.request(
            "POST", f"{self.rasa}/webhooks/rest/webhook", {"sender": sender, "message": message}
        )
        assert status == 200, (status, body)
        return body

    def say(self, sender: str, message: Any) -> str:
        """One turn; all reply texts joined by blank lines."""
        return "\n\n".join(r.get("text", "") for r in self.chat(sender, message))

    def parse(self, text: str) -> dict[str, Any]:
        """NLU only, through the Rasa HTTP API (token)."""
        status, body = self.request(
            "POST", f"{self.rasa}/model/parse?token={self.bot_api_token}", {"text": text}
        )
        assert status == 200, (status, body)
        return body


def _wait_healthy(stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            log = (stack.state_dir / "logs").glob("*.log")
            tails = {p.name: p.read_text()[-3000:] for p in log}
            pytest.fail(f"stack exited with {stack.process.returncode}: {tails}")
        try:
            with urllib.request.urlopen(f"{stack.web}/health", timeout=3) as resp:
                stack.health_codes.append(resp.status)
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as err:
            stack.health_codes.append(err.code)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail("stack did not become healthy in time")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack, started once; stopped with SIGTERM at the end (and checked)."""
    with launch(tmp_path_factory) as s:
        yield s


@contextlib.contextmanager
def launch(tmp_path_factory: pytest.TempPathFactory, **extra_env: str) -> Iterator[Stack]:
    """Starts a stack (``extra_env`` on top, e.g. ``KNOWLEDGE_DIR``) and stops it after."""
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does it)")
    state = tmp_path_factory.mktemp("state")
    platforms = start_recorder()
    smtp, mailbox = start_smtp()
    ports = [free_port() for _ in range(3)]
    from nacl.public import PrivateKey

    threema_key = PrivateKey.generate()
    env = dict(os.environ)
    env.update(
        RASA_PORT=str(ports[0]),
        ACTIONS_PORT=str(ports[1]),
        WEB_PORT=str(ports[2]),
        STATE_DIR=str(state),
        BIND_HOST="127.0.0.1",
        BOT_API_TOKEN="test-api-token",
        HANDOFF_API_TOKEN="test-handoff-token",
        BOT_FIXED_NOW=FIXED_NOW,
        LOG_LEVEL="INFO",
        # messengers on, their platforms replaced by the local recorder
        FACEBOOK_VERIFY_TOKEN=FB_VERIFY,
        FACEBOOK_APP_SECRET=FB_SECRET,
        FACEBOOK_PAGE_ACCESS_TOKEN="test-page-token",
        FACEBOOK_GRAPH_URL=platforms.url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_BOT_NAME="musterstadt_bot",
        TELEGRAM_WEBHOOK_URL="https://buergerservice.example/webhooks/telegram/webhook",
        TELEGRAM_SECRET_TOKEN=TELEGRAM_SECRET,
        TELEGRAM_API_URL=platforms.url,
        WHATSAPP_VERIFY_TOKEN=WA_VERIFY,
        WHATSAPP_APP_SECRET=WA_SECRET,
        WHATSAPP_ACCESS_TOKEN="test-wa-token",
        WHATSAPP_PHONE_NUMBER_ID=WA_PHONE_ID,
        WHATSAPP_TEMPLATE_NAME=WA_TEMPLATE,
        WHATSAPP_TEMPLATE_LANGUAGE="de",
        WHATSAPP_GRAPH_URL=platforms.url,
        INSTAGRAM_VERIFY_TOKEN=IG_VERIFY,
        INSTAGRAM_APP_SECRET=IG_SECRET,
        INSTAGRAM_ACCESS_TOKEN="test-ig-token",
        INSTAGRAM_GRAPH_URL=platforms.url,
        THREEMA_ID=THREEMA_GATEWAY_ID,
        THREEMA_SECRET=THREEMA_SECRET,
        THREEMA_PRIVATE_KEY=bytes(threema_key).hex(),
        THREEMA_API_URL=platforms.url,
        JOB_INTERVAL_SECONDS="2",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        SMTP_FROM="buergerservice@musterstadt.de",
        HANDOFF_INTERIM_AFTER_HOURS="0",  # the clock is frozen: interim at the next job round
    )
    env.update(extra_env)
    for var in ("TRACKER_STORE_URL", "HANDOFF_DB_URL", "LOCK_STORE_URL", "CLOSURES_FEED_URL"):
        env.pop(var, None)
    started = time.monotonic()
    log = (state / "supervisor.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--no-train"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    s = Stack(
        ports[0],
        ports[1],
        ports[2],
        state,
        "test-api-token",
        "test-handoff-token",
        proc,
        platforms,
        mailbox,
        threema_key=threema_key,
    )
    try:
        _wait_healthy(s)
        s.startup_seconds = time.monotonic() - started
        print(f"\nstack healthy after {s.startup_seconds:.1f} s", file=sys.stderr)
        yield s
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("the supervisor did not stop within 40 s of SIGTERM")
        platforms.server.shutdown()
        smtp.stop()
        still = [p for p in ports if port_open(p)]
        assert not still, f"ports still open after SIGTERM: {still}"


# --- browser tests (Debian's chromium through Playwright) ------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium; skipped where it is not installed.

    Per module: Playwright's sync API keeps an event loop running while it is open, and
    the asyncio tests that follow need none to be running.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def add_staff_user(
    stack: Stack, name: str, password: str, role: str = "staff", office: str | None = None
) -> str:
    """Creates an account the way operators do (``make user``) in the stack's store."""
    env = dict(os.environ, STATE_DIR=str(stack.state_dir), STAFF_PASSWORD=password)
    env.pop("HANDOFF_DB_URL", None)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "user", name, "--role", role]
        + (["--office", office] if office else []),
        check=True,
        env=env,
        capture_output=True,
    )
    return name
