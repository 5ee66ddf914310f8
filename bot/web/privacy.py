"""Erasure on request (GDPR Art. 17) in the staff web app: ``/staff/privacy/``.

Staff enter a conversation id (sender id) or a case reference, see what is stored about
it (counts only), confirm, and everything is deleted (:mod:`bot.privacy`). Lookup and
deletion are POST requests with the session's CSRF token, so a sender id never appears
in a URL or an access log. The deletion is written to the audit log with counts only;
its target is the case reference or a keyed hash of the sender id.
"""

from __future__ import annotations

import asyncio
from functools import wraps
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot import privacy
from bot.web.staff import Handler, _now, login_required, render

bp = Blueprint("privacy", url_prefix="/staff/privacy")
ROLES = ("staff", "admin")
MAX_QUERY = 200
COUNT_LABELS = {
    "conversations": "Gespräche (Gesprächs-IDs)",
    "events": "gespeicherte Gesprächsereignisse (Nachrichten, Antworten, Aktionen)",
    "tickets": "Vorgänge",
    "ticket_messages": "Antworten und Notizen zu Vorgängen",
    "feedback": "Rückmeldungen (Bewertungen)",
    "outbox": "Vorgänge, die noch auf ihre Speicherung warten",
}


def privacy_role_required(handler: Handler) -> Handler:
    """Only staff and admins erase data (trainers do not see cases)."""

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if request.ctx.user.role not in ROLES:
            return render(
                request,
                "staff_error.html",
                status=403,
                message="Diese Seite ist für Ihre Rolle nicht freigegeben.",
            )
        return await handler(request, *args, **kwargs)

    return wrapper


def _query(request: Request) -> str:
    return str((request.form or {}).get("query") or "").strip()[:MAX_QUERY]


async def _scope(request: Request, query: str) -> privacy.ErasureScope:
    ctx = request.app.ctx
    outbox = ctx.settings.state_dir / "outbox"  # as bot.runtime.outbox()
    return await asyncio.to_thread(
        privacy.erasure_scope, ctx.tracker_engine, ctx.engine, query, outbox
    )


@bp.get("/")
@login_required
@privacy_role_required
async def form(request: Request) -> HTTPResponse:
    """The lookup form."""
    return render(request, "staff_privacy.html", labels=COUNT_LABELS)


@bp.post("/")
@login_required
@privacy_role_required
async def preview(request: Request) -> HTTPResponse:
    """What would be deleted for the query (counts only); nothing is changed."""
    query = _query(request)
    if not query:
        return render(
            request,
            "staff_privacy.html",
            status=400,
            labels=COUNT_LABELS,
            error="Bitte geben Sie eine Gesprächs-ID oder eine Vorgangsnummer ein.",
        )
    scope = await _scope(request, query)
    return render(request, "staff_privacy.html", labels=COUNT_LABELS, scope=scope, query=query)


@bp.post("/delete")
@login_required
@privacy_role_required
async def delete(request: Request) -> HTTPResponse:
    """Deletes everything about the query after the explicit confirmation."""
    query = _query(request)
    if (request.form or {}).get("confirm") != "ja":
        scope = await _scope(request, query)
        return render(
            request,
            "staff_privacy.html",
            status=400,
            labels=COUNT_LABELS,
            scope=scope,
            query=query,
            error="Bitte bestätigen Sie die Löschung mit dem Kontrollkästchen.",
        )
    scope = await _scope(request, query)
    if scope.empty:
        return render(
            request,
            "staff_privacy.html",
            status=404,
            labels=COUNT_LABELS,
            error="Zu dieser Eingabe ist nichts (mehr) gespeichert.",
        )
    ctx = request.app.ctx
    deleted = await asyncio.to_thread(
        privacy.erase,
        ctx.tracker_engine,
        ctx.engine,
        scope,
        request.ctx.user.username,
        _now(request),
        ctx.settings.web_secret_key,
    )
    return render(request, "staff_privacy.html", labels=COUNT_LABELS, deleted=deleted)
