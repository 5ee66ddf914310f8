"""Erasure on request (GDPR Art. 17) in the staff web app: ``/staff/privacy/``.

Who may do what (docs/SECURITY.md, "Erasure"): erasure cannot be undone and removes a
case that may still be needed, so only the ``privacy`` role (the city's data-protection
coordination) and admins erase. Staff *request* the erasure of a case they can reach,
with the reason; the request is audited and listed for the privacy role. Trainers do
neither. Every refusal is 403 and audited (``denied``).

The privacy role enters a conversation id (sender id) or a case reference, sees what is
stored about it (counts only), gives the reason (the request it answers) and confirms;
everything is deleted (:mod:`bot.privacy`). Lookup and deletion are POST requests with
the session's CSRF token, so a sender id never appears in a URL or an access log. The
deletion is written to the audit log with who, when, the counts and the reason; its
target is the case reference or a keyed hash of the sender id.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot import privacy
from bot.cases import store as cases
from bot.cases.store import Denied, NotFound
from bot.web.auth import ERASE_ROLES
from bot.web.base import deny, desk, login_required, now_utc, refuse, render, role_required

bp = Blueprint("privacy", url_prefix="/staff/privacy")
ROLES = ERASE_ROLES  # who erases
REQUEST_ROLES = ("staff",)  # who may ask for an erasure (admins and privacy erase)
MAX_QUERY = 200
MAX_REASON = 300
COUNT_LABELS = {
    "conversations": "Gespräche (Gesprächs-IDs)",
    "events": "gespeicherte Gesprächsereignisse (Nachrichten, Antworten, Aktionen)",
    "tickets": "Vorgänge",
    "ticket_messages": "Antworten und Notizen zu Vorgängen",
    "feedback": "Rückmeldungen (Bewertungen)",
    "outbox": "Vorgänge, die noch auf ihre Speicherung warten",
}


REFUSED = (
    "Diese Seite ist für Ihre Rolle nicht freigegeben. Eine Löschung beantragen "
    "Sie als Sachbearbeitung über „Datenschutz“ mit der Vorgangsnummer."
)

privacy_role_required = role_required(ROLES, REFUSED, audit_target="privacy")
"""Only the privacy role and admins look up and erase data; 403 + audit otherwise."""


async def _refused(request: Request) -> HTTPResponse:
    """403 for this role, written to the audit log (``denied``, target ``privacy``)."""
    return await refuse(request, "privacy", REFUSED)


def _query(request: Request) -> str:
    return str((request.form or {}).get("query") or "").strip()[:MAX_QUERY]


def _reason(request: Request) -> str:
    return " ".join(str((request.form or {}).get("reason") or "").split())[:MAX_REASON]


def _requests(request: Request) -> list[dict[str, Any]]:
    return cases.erasure_requests(request.app.ctx.engine)


async def _scope(request: Request, query: str) -> privacy.ErasureScope:
    ctx = request.app.ctx
    outbox = ctx.settings.state_dir / "outbox"  # as bot.runtime.outbox()
    return await asyncio.to_thread(
        privacy.erasure_scope, ctx.tracker_engine, ctx.engine, query, outbox
    )


@bp.get("/")
@login_required
async def form(request: Request) -> HTTPResponse:
    """The lookup form (privacy role, admins) or the request form (staff)."""
    role = request.ctx.user.role
    if role in REQUEST_ROLES:
        return render(
            request, "staff_privacy_request.html", reference=request.args.get("vorgang", "")
        )
    if role not in ROLES:
        return await _refused(request)
    requests = await asyncio.to_thread(_requests, request)
    return render(request, "staff_privacy.html", labels=COUNT_LABELS, requests=requests)


@bp.post("/request")
@login_required
async def request_erasure(request: Request) -> HTTPResponse:
    """Staff ask for the erasure of a case they can reach, with the reason (audited)."""
    if request.ctx.user.role not in REQUEST_ROLES:
        return await _refused(request)
    reference, _ = privacy.normalise_query(_query(request))
    reason = _reason(request)
    if not reference or not reason:
        return render(
            request,
            "staff_privacy_request.html",
            status=400,
            reference=reference,
            error="Bitte geben Sie die Vorgangsnummer und den Grund an "
            "(z. B. „Bürgerin verlangt Löschung am Telefon, 23.11.2026“).",
        )
    try:
        row = await asyncio.to_thread(desk(request).get, reference)
        await asyncio.to_thread(desk(request).request_erasure, row, reason)
    except NotFound:
        return render(
            request,
            "staff_privacy_request.html",
            status=404,
            reference=reference,
            error="Diese Vorgangsnummer ist nicht (mehr) gespeichert.",
        )
    except Denied:
        return await deny(request, reference)
    return render(request, "staff_privacy_request.html", requested=reference)


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
    reason = _reason(request)
    if (request.form or {}).get("confirm") != "ja" or not reason:
        scope = await _scope(request, query)
        return render(
            request,
            "staff_privacy.html",
            status=400,
            labels=COUNT_LABELS,
            scope=scope,
            query=query,
            error="Bitte geben Sie den Grund an (der Antrag, z. B. „Antrag vom 23.11.2026, "
            "schriftlich“) und bestätigen Sie die Löschung mit dem Kontrollkästchen.",
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
        now_utc(request),
        hash_key=ctx.settings.web_secret_key,
        reason=reason,
    )
    return render(request, "staff_privacy.html", labels=COUNT_LABELS, deleted=deleted)
