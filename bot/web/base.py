"""What every staff page shares: sessions, login and role checks, rendering, errors, audit.

The blueprints of the staff web app (inbox ``staff``, ``privacy``, ``backlog``,
``analytics``) import these from here; none imports another blueprint. Rules:

- :func:`login_required` first, then a role check (:func:`role_required`) or a case
  check (``bot.web.staff.with_ticket``);
- a refusal or a missing thing is :func:`error_page` (one template, one shape);
- what staff did is :func:`audit` (append-only, redacted).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Coroutine
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any

import sqlalchemy as sa
from sanic import Request
from sanic.response import HTTPResponse, html, redirect

from bot.channels.guard import secret_bytes as _b
from bot.handoff.redact import redact
from bot.handoff.tickets import CLOSE_REASONS, REASON_LABELS, STATUSES
from bot.store import audit_log, sessions, users
from bot.timeutil import as_utc, utcnow
from bot.web.auth import User

COOKIE = "bs_session"
SESSION_HOURS = 8
Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


# --- sessions ---------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    engine: sa.engine.Engine, username: str, idle_minutes: int = 30
) -> tuple[str, str]:
    """A new session; returns ``(cookie token, csrf token)``."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.expires_at < now))
        conn.execute(
            sa.insert(sessions).values(
                token_hash=_hash(token),
                username=username,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(minutes=min(idle_minutes, SESSION_HOURS * 60)),
            )
        )
    return token, csrf


def load_session(
    engine: sa.engine.Engine,
    token: str | None,
    idle_minutes: int = 30,
    now: datetime | None = None,
) -> tuple[User, str] | None:
    """The session's user and CSRF token, if the cookie is valid and not expired.

    A session ends ``idle_minutes`` after its last request (and at the latest
    ``SESSION_HOURS`` after login): each valid request moves ``expires_at`` on.
    """
    if not token:
        return None
    now = now or utcnow()
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(sessions, users.c.role, users.c.office)
            .join(users, users.c.username == sessions.c.username)
            .where(sessions.c.token_hash == _hash(token))
        ).first()
        if row is None or (as_utc(row.expires_at) or now) < now:
            return None
        created = as_utc(row.created_at) or now
        expires = min(
            created + timedelta(hours=SESSION_HOURS), now + timedelta(minutes=idle_minutes)
        )
        conn.execute(
            sa.update(sessions)
            .where(sessions.c.token_hash == row.token_hash)
            .values(expires_at=expires)
        )
    return User(row.username, row.role, row.office), row.csrf


def end_session(engine: sa.engine.Engine, token: str) -> None:
    """Deletes the session of this cookie token (logout)."""
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _hash(token)))


def audit(
    engine: sa.engine.Engine, actor: str, action: str, target: str | None, detail: str = ""
) -> None:
    """Appends to the audit log (never updated or deleted by the app)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(audit_log).values(
                at=utcnow(), actor=actor, action=action, target=target, detail=redact(detail)[:500]
            )
        )


def login_required(handler: Handler) -> Handler:
    """Sets ``request.ctx.user`` / ``csrf``; redirects to the login page otherwise.
    POST requests must carry the session's CSRF token."""

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        found = await asyncio.to_thread(
            load_session,
            request.app.ctx.engine,
            request.cookies.get(COOKIE),
            request.app.ctx.settings.staff_idle_minutes,
        )
        if found is None:
            return redirect("/staff/login")
        request.ctx.user, request.ctx.csrf = found
        if request.method == "POST":
            sent = (request.form or {}).get("csrf") or ""
            if not hmac.compare_digest(_b(str(sent)), _b(request.ctx.csrf)):
                return html("<h1>Ungültige Anfrage (CSRF)</h1>", status=403)
        return await handler(request, *args, **kwargs)

    return wrapper


def role_required(roles: Collection[str], message: str) -> Callable[[Handler], Handler]:
    """Only users whose role is in ``roles``; others get :func:`error_page` 403 with
    ``message``. Goes after :func:`login_required` (it needs ``request.ctx.user``)."""

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            if request.ctx.user.role not in roles:
                return error_page(request, 403, message)
            return await handler(request, *args, **kwargs)

        return wrapper

    return decorator


# --- pages ------------------------------------------------------------------------------


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """Renders a staff template with the user and CSRF token."""
    tpl = request.app.ctx.templates.get_template(template)
    return html(
        tpl.render(
            user=getattr(request.ctx, "user", None),
            csrf=getattr(request.ctx, "csrf", ""),
            statuses=STATUSES,
            reasons=REASON_LABELS,
            close_reasons=CLOSE_REASONS,
            **context,
        ),
        status=status,
        headers={"Cache-Control": "no-store"},
    )


def now_utc(request: Request) -> datetime:
    """The app's clock (BOT_FIXED_NOW in tests), in UTC like every stored ticket time."""
    return request.app.ctx.settings.now().astimezone(timezone.utc)


def cookie_secure(request: Request) -> bool:
    """Whether the session cookie gets ``Secure`` (HTTPS, or WEB_COOKIE_SECURE behind TLS)."""
    return request.scheme == "https" or request.app.ctx.cookie_secure


def error_page(request: Request, status: int, message: str, **context: Any) -> HTTPResponse:
    """The staff error page: not found, refused, conflict (``staff_error.html``)."""
    return render(request, "staff_error.html", status=status, message=message, **context)
