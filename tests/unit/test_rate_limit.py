"""Per-client-IP rate limit: token bucket, client IP behind proxies, 429 on real servers.

The web app runs through tests/webserver.py, the Rasa channels' blueprints on a real
Sanic server on a free loopback port. Requests come from 127.0.0.1, which is exempt
(the operator's own machine): the tests either send ``X-Forwarded-For`` through a
trusted proxy (127.0.0.1), as nginx does, or switch the exemption off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sanic import Sanic
from sanic.response import text

from bot.channels import guard
from bot.channels.facebook import SignedFacebookInput
from bot.channels.guard import (
    IpRateLimiter,
    client_ip,
    limit_requests,
    trusted_networks,
)
from bot.channels.rest import GuardedRestInput
from bot.channels.telegram import SignedTelegramInput
from bot.config import Settings
from tests.webserver import app_settings, bare_app, free_port, running_app, serving

PROXY = trusted_networks(["127.0.0.1"])


# --- the bucket ---------------------------------------------------------------------------


def test_bucket_allows_the_limit_then_says_how_long_to_wait():
    limiter = IpRateLimiter(per_minute=3)
    assert [limiter.check("a", now=0) for _ in range(3)] == [0, 0, 0]
    assert limiter.check("a", now=0) == pytest.approx(20.0)  # one token every 20 s
    assert limiter.check("b", now=0) == 0  # other clients are not affected
    assert limiter.check("a", now=10) == pytest.approx(10.0)
    assert limiter.check("a", now=20.5) == 0
    assert limiter.check("a", now=20.5) > 0


def test_bucket_refills_to_at_most_the_limit():
    limiter = IpRateLimiter(per_minute=2)
    limiter.check("a", now=0)
    assert [limiter.check("a", now=3600) for _ in range(3)][:2] == [0, 0]
    assert limiter.check("a", now=3600) > 0


def test_zero_disables_and_memory_is_bounded():
    assert IpRateLimiter(0).check("a") == 0 and not IpRateLimiter(0).enabled
    limiter = IpRateLimiter(per_minute=1, clients=100)
    for i in range(1000):
        limiter.check(f"10.0.{i // 256}.{i % 256}", now=0)
    assert len(limiter._buckets) == 100


# --- the client IP ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("198.51.100.1", "203.0.113.9", [], "198.51.100.1"),  # no trusted proxies: header ignored
        ("198.51.100.1", "203.0.113.9", ["127.0.0.1"], "198.51.100.1"),  # peer not trusted
        ("127.0.0.1", "203.0.113.9", ["127.0.0.1"], "203.0.113.9"),
        ("127.0.0.1", None, ["127.0.0.1"], "127.0.0.1"),
        # a client sending its own header cannot choose its IP: the proxy appended the real one
        ("127.0.0.1", "1.2.3.4, 203.0.113.9", ["127.0.0.1"], "203.0.113.9"),
        # two proxies (load balancer 10.0.0.5 → nginx on 127.0.0.1)
        ("127.0.0.1", "203.0.113.9, 10.0.0.5", ["127.0.0.1", "10.0.0.0/8"], "203.0.113.9"),
        ("::1", "2001:db8::7", ["::1"], "2001:db8::7"),
        ("127.0.0.1", "10.0.0.5", ["127.0.0.0/8", "10.0.0.0/8"], "10.0.0.5"),  # all trusted
    ],
)
def test_client_ip(peer, header, trusted, expected):
    assert client_ip(peer, header, trusted_networks(trusted)) == expected


def test_trusted_proxies_typo_is_an_error():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        trusted_networks(["127.0.0.1", "nginx"])
    settings = Settings.from_env({"TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,"})
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert Settings.from_env({}).rate_limit_per_ip_per_minute == 120


# --- a real server --------------------------------------------------------------------------


@asynccontextmanager
async def serve(app: Sanic) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    async with serving(app) as url, aiohttp.ClientSession() as http:
        yield url, http


def new_app() -> Sanic:
    return bare_app("rl")


def limited_app(per_minute: int, trusted: Any = (), **options: Any) -> Sanic:
    """An app with one page ``/x`` behind the per-IP limit."""
    app = new_app()

    @app.get("/x")
    async def x(_):
        return text("ok")

    limit_requests(app, IpRateLimiter(per_minute), trusted, **options)
    return app


async def status(http, method: str, url: str, ip: str | None = None, **kw: Any) -> int:
    headers = dict(kw.pop("headers", {}))
    if ip:
        headers["X-Forwarded-For"] = ip
    async with http.request(method, url, headers=headers, **kw) as resp:
        await resp.read()
        return resp.status


async def test_429_body_and_retry_after_header():
    app = limited_app(2, exempt_loopback=False)
    async with serve(app) as (url, http):
        assert [await status(http, "GET", f"{url}/x") for _ in range(2)] == [200, 200]
        async with http.get(f"{url}/x") as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "30"
            body = await resp.json()
    assert body["error"] == "too_many_requests" and body["retry_after"] == 30
    assert "Bitte warten Sie einen Moment" in body["message"]


async def test_without_trusted_proxies_a_forged_header_does_not_escape_the_limit():
    app = limited_app(3, exempt_loopback=False)
    async with serve(app) as (url, http):
        codes = [await status(http, "GET", f"{url}/x", ip=f"203.0.113.{i}") for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


async def test_loopback_is_exempt_by_default():
    app = limited_app(1, PROXY)
    async with serve(app) as (url, http):
        assert {await status(http, "GET", f"{url}/x") for _ in range(5)} == {200}
        assert [await status(http, "GET", f"{url}/x", ip="203.0.113.1") for _ in range(2)] == [
            200,
            429,
        ]


# --- the web app ----------------------------------------------------------------------------


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return app_settings(
        tmp_path,
        HANDOFF_API_TOKEN="api-token",
        RATE_LIMIT_PER_IP_PER_MINUTE="3",
        TRUSTED_PROXIES="127.0.0.1",
    )


async def test_web_app_limits_the_public_page_and_api_per_client(web_settings):
    async with running_app(web_settings) as web:
        page = [await status(web.http, "GET", f"{web.url}/", ip="203.0.113.7") for _ in range(4)]
        other = await status(web.http, "GET", f"{web.url}/datenschutz", ip="203.0.113.8")
        api = [
            await status(web.http, "GET", f"{web.url}/api/handoffs", ip="203.0.113.9")
            for _ in range(4)
        ]
        # not public or not limited: the staff inbox, health, assets
        staff = {
            await status(web.http, "GET", f"{web.url}/staff/login", ip="203.0.113.7")
            for _ in range(5)
        }
        static = await status(web.http, "GET", f"{web.url}/static/site.css", ip="203.0.113.7")
        async with web.http.get(f"{web.url}/", headers={"X-Forwarded-For": "203.0.113.7"}) as r:
            assert r.headers["Retry-After"].isdigit()
            assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert page == [200, 200, 200, 429]
    assert other == 200
    assert api == [401, 401, 401, 429]  # the limit comes before the token check
    assert staff == {200} and static == 200


async def test_web_app_limit_zero_disables(web_settings):
    settings = Settings.from_env(
        {
            "STATE_DIR": str(web_settings.state_dir),
            "WEB_PORT": str(free_port()),
            "RATE_LIMIT_PER_IP_PER_MINUTE": "0",
            "TRUSTED_PROXIES": "127.0.0.1",
        }
    )
    async with running_app(settings) as web:
        codes = {await status(web.http, "GET", f"{web.url}/", ip="203.0.113.7") for _ in range(8)}
    assert codes == {200}


# --- the Rasa channels' webhooks -------------------------------------------------------------


@pytest.fixture
def channel_env(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_IP_PER_MINUTE", "2")
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    guard.ip_limiter.cache_clear()
    yield
    guard.ip_limiter.cache_clear()


async def test_rest_webhook_answers_429_per_client_ip(channel_env):
    received = []

    async def on_new_message(message):
        received.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "Guten Tag!")

    app = new_app()
    app.blueprint(GuardedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    async with serve(app) as (url, http):
        hook = f"{url}/webhooks/rest/webhook"
        body = {"sender": "s1", "message": "Hallo"}
        codes = [await status(http, "POST", hook, ip="203.0.113.5", json=body) for _ in range(3)]
        other = await status(http, "POST", hook, ip="203.0.113.6", json=body)
    assert codes == [200, 200, 429]
    assert other == 200
    assert received == ["Hallo", "Hallo", "Hallo"]  # the refused one never reached Rasa


async def test_telegram_webhook_answers_429_before_checking_the_secret(channel_env):
    channel = SignedTelegramInput("123:token", "bot", None, secret_token="geheim")

    async def on_new_message(message):
        raise AssertionError("no message expected")

    app = new_app()
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/telegram")
    async with serve(app) as (url, http):
        hook = f"{url}/webhooks/telegram/webhook"
        codes = [
            await status(http, "POST", hook, ip="203.0.113.5", json={"update_id": 1})
            for _ in range(3)
        ]
    assert codes == [403, 403, 429]


async def test_facebook_webhook_answers_429_per_client_ip(channel_env):
    channel = SignedFacebookInput("verify", "app-secret", "page-token")

    async def on_new_message(message):
        raise AssertionError("no message expected")

    app = new_app()
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/facebook")
    payload = json.dumps({"object": "page", "entry": []}).encode()
    signature = "sha256=" + hmac.new(b"app-secret", payload, hashlib.sha256).hexdigest()
    async with serve(app) as (url, http):
        hook = f"{url}/webhooks/facebook/webhook"
        headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
        codes = [
            await status(http, "POST", hook, ip="203.0.113.5", data=payload, headers=headers)
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]
