"""The web app factory: website page, staff inbox, health and JSON API.

``create_app(settings)`` assembles one blueprint per resource and opens shared clients
(database engines, HTTP session, templates) in lifecycle listeners on ``app.ctx``.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, Sanic
from sanic.response import HTTPResponse

from bot.channels.guard import RateLimiter
from bot.city import load_city
from bot.config import Settings
from bot.handoff.policy import HandoffConfig
from bot.knowledge.base import KnowledgeCache
from bot.ratelimit import IpRateLimiter, limit_requests, trusted_networks
from bot.store import make_engine
from bot.web.rasa_client import RasaClient

HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def rate_limited(path: str) -> bool:
    """The web app's public routes under the per-IP limit: the public pages and /api/."""
    return path in ("/", "/datenschutz", "/barrierefreiheit", "/en/accessibility") or (
        path.startswith("/api/")
    )


def templates() -> Environment:
    """Jinja2 with autoescaping for every template (transcripts are untrusted)."""
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_app(
    settings: Settings, name: str = "buergerservice_web", *, disable_jobs: bool = False
) -> Sanic:
    """Builds the Sanic app for ``settings`` (``disable_jobs``: no background jobs, tests)."""
    from bot.web import analytics, api, backlog, health, jobs, pages, staff
    from bot.web import privacy as privacy_pages

    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.settings = settings
    app.ctx.disable_jobs = disable_jobs
    app.ctx.templates = templates()
    # Every page names the city of KNOWLEDGE_DIR (city.yml), not the demo city.
    app.ctx.templates.globals["city"] = load_city(settings.knowledge_dir)
    app.ctx.bot_api_token = settings.bot_api_token
    app.ctx.handoff_api_token = settings.handoff_api_token
    app.ctx.cookie_secure = settings.web_cookie_secure
    knowledge_cache = KnowledgeCache(settings.knowledge_dir)
    app.ctx.knowledge = knowledge_cache.get
    handoff_config = HandoffConfig.load(settings.knowledge_dir / "handoff.yml", settings=settings)
    app.ctx.handoff_config = lambda: handoff_config
    app.static("/static", str(HERE / "static"), name="static")
    app.blueprint(health.bp)
    app.blueprint(api.bp)
    app.blueprint(pages.bp)
    app.blueprint(staff.bp)
    app.blueprint(backlog.bp)
    app.blueprint(privacy_pages.bp)
    app.ctx.ip_limiter = IpRateLimiter(settings.rate_limit_per_ip_per_minute)
    app.ctx.login_failures = RateLimiter(
        settings.login_failures_per_ip, window=settings.login_lockout_minutes * 60.0
    )
    trusted = trusted_networks(settings.trusted_proxies)
    limit_requests(app, app.ctx.ip_limiter, trusted, rate_limited)
    app.blueprint(analytics.bp)

    @app.before_server_start
    async def open_clients(app: Sanic, _loop: object) -> None:
        app.ctx.engine = make_engine(settings.handoff_db_url)
        app.ctx.tracker_engine = make_engine(settings.tracker_store_url)
        app.ctx.http = aiohttp.ClientSession()
        app.ctx.rasa = RasaClient(app.ctx.http, settings.rasa_url, app.ctx.bot_api_token)
        if not app.ctx.disable_jobs:
            app.add_task(jobs.run_periodically(app))

    @app.after_server_stop
    async def close_clients(app: Sanic, _loop: object) -> None:
        await app.ctx.http.close()
        app.ctx.engine.dispose()
        app.ctx.tracker_engine.dispose()

    @app.middleware("response")
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if response.content_type and response.content_type.startswith("text/html"):
            response.headers.setdefault(
                "Content-Security-Policy",
                f"default-src 'self'; connect-src 'self' {settings.rasa_url} "
                f"{settings.rasa_url.replace('http', 'ws', 1)}; img-src 'self' data:; "
                "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            )

    return app
