"""The staff inbox: login, tickets, transcript, reply, notes, assign, forward, hand back."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any

import sqlalchemy as sa
import yaml
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect
from sanic.response import json as json_response

from bot import texts
from bot.cases import access
from bot.cases import store as cases
from bot.cases.delivery import Delivery
from bot.cases.model import Status, is_open, is_overdue
from bot.cases.store import CaseClosed, Denied, NotFound
from bot.channels.window import staff_view
from bot.handoff.detect import find_identifiers
from bot.handoff.tickets import CLOSE_REASON_LABELS, CLOSE_REASONS, REASON_LABELS, STATUSES
from bot.handoff.transcript import transcript
from bot.store import audit_log, users
from bot.timeutil import as_utc, utcnow
from bot.web import inbox_live
from bot.web.auth import verify_user
from bot.web.base import (
    COOKIE,
    SESSION_HOURS,
    Handler,
    audit,
    cookie_secure,
    create_session,
    deny,
    desk,
    end_session,
    error_page,
    known_offices,
    login_required,
    now_utc,
    render,
)
from bot.web.inbox_query import UNASSIGNED, InboxQuery, Labels
from bot.web.rasa_client import RasaError

logger = logging.getLogger(__name__)
bp = Blueprint("staff", url_prefix="/staff")
HANDBACK_TEXT = texts.text(texts.DEFAULT_LANGUAGE, "staff.handback")  # data/texts/


def with_ticket(handler: Handler) -> Handler:
    """Loads the ticket named in the URL and passes its row; 404 when there is none."""

    @wraps(handler)
    async def wrapper(request: Request, reference: str, **kwargs: Any) -> HTTPResponse:
        try:
            row = await asyncio.to_thread(desk(request).get, reference)
        except NotFound:
            return error_page(request, 404, "Vorgang nicht gefunden.")
        except Denied:
            return await deny(request, reference)
        try:
            return await handler(request, reference, row, **kwargs)
        except Denied:  # forwarded away meanwhile
            return await deny(request, reference)
        except CaseClosed:  # closed meanwhile (another tab, a colleague)
            return _closed(request, reference)

    return wrapper


def open_ticket(handler: Handler) -> Handler:
    """Refuses changes to a closed ticket (409) until it is reopened; after ``with_ticket``."""

    @wraps(handler)
    async def wrapper(request: Request, reference: str, row: Any, **kwargs: Any) -> HTTPResponse:
        if not is_open(row.status):
            return _closed(request, reference)
        return await handler(request, reference, row, **kwargs)

    return wrapper


def case_action(path: str, *, open_only: bool = True) -> Callable[[Handler], Handler]:
    """``POST /staff/tickets/<reference>/<path>``: logged in (CSRF checked), the case
    loaded and within the user's reach (:func:`with_ticket`), and, unless
    ``open_only=False``, not closed (:func:`open_ticket`)."""

    def decorator(handler: Handler) -> Handler:
        checked = login_required(with_ticket(open_ticket(handler) if open_only else handler))
        bp.post(f"/tickets/<reference>/{path}")(checked)
        return checked

    return decorator


def _closed(request: Request, reference: str) -> HTTPResponse:
    return error_page(
        request,
        409,
        "Der Vorgang ist abgeschlossen. Um weiterzuarbeiten, öffnen Sie ihn bitte zuerst wieder.",
        reference=reference,
    )


# --- login ------------------------------------------------------------------------------


@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    """The login page."""
    return render(request, "staff_login.html")


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    """Checks the password (argon2) and starts a session."""
    form = request.form or {}
    username = str(form.get("username") or "")[:80]
    password = str(form.get("password") or "")[:200]
    engine = request.app.ctx.engine
    settings = request.app.ctx.settings
    ip = _client_ip(request)
    locked = await asyncio.to_thread(_login_locked, request, username, ip)
    if locked:
        await asyncio.to_thread(audit, engine, username or "?", "login_locked", None, locked)
        return render(
            request,
            "staff_login.html",
            status=429,
            error="Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in "
            f"{settings.login_lockout_minutes} Minuten erneut.",
        )
    user = await asyncio.to_thread(verify_user, engine, username, password)
    if user is None:
        request.app.ctx.login_failures.allow(ip)
        await asyncio.to_thread(audit, engine, username or "?", "login_failed", None)
        return render(
            request, "staff_login.html", status=401, error="Benutzername oder Passwort falsch."
        )
    token, _ = await asyncio.to_thread(
        create_session, engine, user.username, settings.staff_idle_minutes
    )
    await asyncio.to_thread(audit, engine, user.username, "login", None)
    response = redirect("/staff/")
    response.cookies[COOKIE] = token
    cookie = response.cookies[COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/staff"
    cookie["max-age"] = SESSION_HOURS * 3600  # the server ends idle sessions earlier
    if cookie_secure(request):
        cookie["secure"] = True
    return response


def _client_ip(request: Request) -> str:
    from bot.ratelimit import client_ip, trusted_networks

    trusted = trusted_networks(request.app.ctx.settings.trusted_proxies)
    return client_ip(request.ip or "", request.headers.get("x-forwarded-for"), trusted)


def _login_locked(request: Request, username: str, ip: str) -> str:
    """Why a login attempt is refused unseen ("" when it may go ahead).

    Per account: ``LOGIN_FAILURES_PER_ACCOUNT`` failures (from the audit log, so every
    instance agrees) within ``LOGIN_LOCKOUT_MINUTES``. Per client IP:
    ``LOGIN_FAILURES_PER_IP`` failures in that time (in memory).
    """
    settings = request.app.ctx.settings
    if request.app.ctx.login_failures.exceeded(ip):
        return "ip"
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    with request.app.ctx.engine.connect() as conn:
        failures = conn.execute(
            sa.select(sa.func.count())
            .select_from(audit_log)
            .where(
                audit_log.c.actor == (username or "?"),
                audit_log.c.action == "login_failed",
                audit_log.c.at >= since,
            )
        ).scalar_one()
    return "account" if failures >= settings.login_failures_per_account else ""


@bp.post("/logout")
@login_required
async def logout(request: Request) -> HTTPResponse:
    """Ends the session."""
    engine = request.app.ctx.engine
    await asyncio.to_thread(end_session, engine, request.cookies.get(COOKIE) or "")
    await asyncio.to_thread(audit, engine, request.ctx.user.username, "logout", None)
    response = redirect("/staff/login")
    del response.cookies[COOKIE]
    return response


# --- inbox ------------------------------------------------------------------------------


def _ticket_view(
    row: Any, now: datetime, offices: dict[str, str], labels: Labels | None = None
) -> dict[str, Any]:
    d = dict(row._mapping)
    created = as_utc(d["created_at"])
    due = as_utc(d["due_at"])
    assert created is not None and due is not None
    d["created_at"], d["due_at"] = created, due
    d["age"] = _age(now - created)
    d["overdue"] = is_overdue(d["status"], due, d["first_response_at"], now)
    d["office_name"] = offices.get(d["office"] or "", d["office"] or "–")
    d["status_label"] = STATUSES.get(d["status"], d["status"])
    d["reason_label"] = REASON_LABELS.get(d["reason"], d["reason"])
    d["closed"] = not is_open(d["status"])
    if d["closed"] and d.get("close_reason") and d["close_reason"] != "erledigt":
        # one label: "erledigt – keine Rückmeldung", never "erledigt (erledigt)"
        reason = str(d["close_reason"])
        d["status_label"] += " – " + CLOSE_REASON_LABELS.get(reason, reason)
    if labels is not None:
        d["channel_label"] = labels.channel(d["channel"])
        d["urgent"] = d["reason"] in labels.urgent_reasons
    else:
        d["channel_label"], d["urgent"] = d["channel"], False
    return d


def _labels(request: Request) -> Labels:
    """Channel names and urgent reasons (data/knowledge/inbox.yml), read once per app."""
    labels = getattr(request.app.ctx, "inbox_labels", None)
    if labels is None:
        labels = request.app.ctx.inbox_labels = Labels.load(
            request.app.ctx.settings.knowledge_dir / "inbox.yml"
        )
    return labels


def _anchors(request: Request) -> dict[tuple[str, str], int]:
    anchors = getattr(request.app.ctx, "inbox_anchors", None)
    if anchors is None:
        anchors = request.app.ctx.inbox_anchors = {}
    return anchors


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} Min."
    if minutes < 48 * 60:
        return f"{minutes // 60} Std."
    return f"{minutes // 1440} Tage"


def _local(value: datetime | None) -> str:
    if value is None:
        return "–"
    from bot.config import TIMEZONE

    return f"{value.astimezone(TIMEZONE):%d.%m.%Y %H:%M}"


def _inbox_data(request: Request) -> dict[str, Any]:
    """The inbox page's tickets (one page of the query) with live state; runs in a thread."""
    user = request.ctx.user
    query = InboxQuery.from_args(request.args)
    labels = _labels(request)
    engine = request.app.ctx.engine
    rows, total = desk(request).inbox(
        query, statuses=STATUSES, urgent_reasons=labels.urgent_reasons
    )
    states = inbox_live.sync(
        engine,
        getattr(request.app.ctx, "tracker_engine", None),
        rows,
        user.username,
        _anchors(request),
    )
    knowledge = request.app.ctx.knowledge()
    offices = {o.id: o.name for o in knowledge.city_offices()}
    now = now_utc(request)
    views = []
    for r in rows:
        d = _ticket_view(r, now, offices, labels)
        state = states.get(d["reference"])
        if state is not None and state.moved:
            d["status"] = Status.NEW_MESSAGE.value
            d["status_label"] = STATUSES[Status.NEW_MESSAGE.value]
        d["unread"] = bool(state and state.unread)
        views.append(d)
    undelivered = cases.undelivered_replies(engine, [v["id"] for v in views])
    for v in views:
        v["undelivered"] = undelivered.get(v["id"], 0)
    unread_total = sum(1 for v in views if v["unread"])
    pages = max(1, -(-total // 25))
    return {
        "tickets": views,
        "total": total,
        "pages": pages,
        "query": query,
        "offices": offices,
        "channels": labels.channels,
        "staff_names": _staff_names(
            engine, user.office if user.role == "staff" else None, known_offices(request)
        ),
        "unread": unread_total,
        "unassigned": UNASSIGNED,
    }


@bp.get("/")
@login_required
async def inbox(request: Request) -> HTTPResponse:
    """Tickets: search, filters, sortable columns, paging; live updates by staff.js."""
    user = request.ctx.user
    if not access.sees_cases(user):  # trainers and the privacy role see no case
        return redirect("/staff/privacy/" if user.role == "privacy" else "/staff/backlog/")
    office = request.args.get("office")
    if office and not access.may_reach(user, office, known_offices(request)):
        return await deny(request, f"office:{office[:60]}")
    data = await asyncio.to_thread(_inbox_data, request)
    q = data["query"]
    return render(
        request,
        "staff_inbox.html",
        filters={"status": q.status, "office": q.office, "reason": q.reason},
        local=_local,
        **data,
    )


@bp.get("/inbox.json")
@login_required
async def inbox_json(request: Request) -> HTTPResponse:
    """The same query as the page, for live updates: the rendered rows, counts and the
    references with unread citizen messages (polled by staff.js)."""
    data = await asyncio.to_thread(_inbox_data, request)
    tpl = request.app.ctx.templates.get_template("staff_inbox_rows.html")
    rows_html = tpl.render(
        tickets=data["tickets"], local=_local, query=data["query"], user=request.ctx.user
    )
    return json_response(
        {
            "total": data["total"],
            "unread": data["unread"],
            "unread_references": [t["reference"] for t in data["tickets"] if t["unread"]],
            "references": [t["reference"] for t in data["tickets"]],
            "rows_html": rows_html,
        },
        headers={"Cache-Control": "no-store"},
    )


def _canned(request: Request, ticket: dict[str, Any]) -> list[dict[str, str]]:
    knowledge = request.app.ctx.knowledge()
    office = knowledge.offices.get(ticket.get("office") or "")
    path = request.app.ctx.settings.knowledge_dir / "canned_replies.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values = {
        "office": office.name if office else "Bürgerbüro",
        "office_acc": office.the("acc") if office else "das Bürgerbüro",
        "office_at": office.at() if office else "beim Bürgerbüro",
        "phone": (office.phone if office else None) or "",
        "email": (office.email if office else None) or "",
        "appointment_url": (office.appointment_url if office else None) or "",
        "reference": ticket["reference"],
    }
    out = []
    for item in raw.get("canned_replies") or []:
        try:
            text = str(item["text"]).format(**values)
        except (KeyError, IndexError, ValueError):
            text = str(item["text"])
        out.append({"id": str(item["id"]), "title": str(item["title"]), "text": text})
    return out


def _conversation(events: list[dict[str, Any]], redacted: bool) -> list[dict[str, Any]]:
    return [
        {**line, "at": datetime.fromtimestamp(line["at"], timezone.utc) if line["at"] else None}
        for line in transcript(events, redacted)
    ]


@bp.get("/tickets/<reference>")
@login_required
@with_ticket
async def ticket_page(request: Request, reference: str, row: Any) -> HTTPResponse:
    """The ticket with transcript, notes, replies and actions."""
    engine = request.app.ctx.engine
    knowledge = request.app.ctx.knowledge()
    offices = {o.id: o.name for o in knowledge.city_offices()}
    ticket = _ticket_view(row, now_utc(request), offices, _labels(request))
    try:
        events = await request.app.ctx.rasa.tracker_events(ticket["sender_id"])
        conversation = _conversation(events, bool(ticket["redacted"]))
        live = True
    except (RasaError, OSError, asyncio.TimeoutError):
        conversation = [
            {"from": m["from"], "text": m["text"], "at": None}
            for m in json.loads(ticket["transcript"] or "[]")
        ]
        live = False
    messages = await asyncio.to_thread(desk(request).messages, row)
    if live:  # the citizen's messages during the case are in the live conversation
        messages = [m for m in messages if m["kind"] != "citizen"]
    window = await asyncio.to_thread(  # WhatsApp's 24-hour window: text or template?
        staff_view,
        engine,
        row.channel,
        row.sender_id,
        now_utc(request),
        request.app.ctx.settings.whatsapp_template_name,
    )
    staff_names = await asyncio.to_thread(
        _staff_names, engine, ticket["office"], known_offices(request)
    )
    others = await asyncio.to_thread(
        inbox_live.viewers, engine, reference, request.ctx.user.username
    )
    await asyncio.to_thread(desk(request).viewed, row)
    reports = await asyncio.to_thread(cases.report_rows, engine, row.id)
    photos = await asyncio.to_thread(cases.report_photo_list, engine, row.id) if reports else []
    return render(
        request,
        "staff_ticket.html",
        ticket=ticket,
        reports=reports,
        report_kind=_report_kind(knowledge, reports),
        photos=photos,
        conversation=conversation,
        live=live,
        messages=messages,
        canned=_canned(request, ticket),
        offices=offices,
        staff_names=staff_names,
        triggers=json.loads(ticket["triggers"] or "[]"),
        others=others,
        held_by_other=bool(ticket["assignee"]) and ticket["assignee"] != request.ctx.user.username,
        window=window,
        local=_local,
        notice=request.args.get("ok"),
        error=request.args.get("error"),
    )


def _staff_names(
    engine: sa.engine.Engine, office: str | None, known_offices: set[str]
) -> list[str]:
    """Accounts that may work on a case of ``office`` (possible assignees)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(users.c.username, users.c.role, users.c.office).order_by(users.c.username)
        )
        return [r.username for r in rows if access.may_reach(r, office, known_offices)]


def _back(reference: str, ok: str = "", error: str = "") -> HTTPResponse:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in (("ok", ok), ("error", error)) if v})
    return redirect(f"/staff/tickets/{reference}" + (f"?{query}" if query else ""))


@case_action("reply")
async def reply(request: Request, reference: str, row: Any) -> HTTPResponse:
    """Delivers a staff reply into the citizen's conversation."""
    text = str((request.form or {}).get("text") or "").strip()
    if not text:
        return _back(reference, error="Die Antwort ist leer.")
    if len(text) > 4000:
        return _back(reference, error="Die Antwort ist zu lang (höchstens 4.000 Zeichen).")
    trusted = row.channel in request.app.ctx.handoff_config().trusted_channels
    if not trusted and find_identifiers(text):
        return _back(
            reference,
            error="Die Antwort enthält persönliche Daten (z. B. IBAN, Telefonnummer, Aktenzeichen) "
            "und kann nicht über einen Messenger gesendet werden.",
        )
    # Stored first (not delivered); the channel confirms what arrived (bot.cases.delivery).
    message_id = await asyncio.to_thread(desk(request).reply, row, text, False, now_utc(request))
    return await _deliver(request, row, text, message_id)


async def _deliver(request: Request, row: Any, text: str, message_id: int) -> HTTPResponse:
    """Sends a stored reply and tells the caseworker honestly what happened."""
    engine = request.app.ctx.engine
    before = await asyncio.to_thread(cases.message, engine, message_id)
    attempts = int((before or {}).get("delivery_attempts") or 0)
    reachable = True
    try:
        await request.app.ctx.rasa.send_staff_message(
            row.sender_id, text, request.ctx.user.username, message_id
        )
    except (RasaError, OSError, asyncio.TimeoutError):
        logger.warning("staff reply %s not delivered", message_id)
        reachable = False
    msg = await asyncio.to_thread(cases.message, engine, message_id)
    reported = int((msg or {}).get("delivery_attempts") or 0) > attempts
    state = (msg or {}).get("delivery_state") if reported else None
    if msg is not None and msg["delivered"]:
        return _back(row.reference, ok="Antwort gesendet.")
    if state == Delivery.WAITING.value:
        return _back(
            row.reference,
            ok="Die Antwort ist gespeichert und wird zugestellt, sobald die Person wieder "
            "schreibt (WhatsApp: 24-Stunden-Fenster).",
        )
    if state is None:  # nobody reported: Rasa down, or a channel without confirmation
        why = "assistant not reachable" if not reachable else "channel did not confirm it"
        await asyncio.to_thread(
            cases.record_delivery,
            engine,
            message_id,
            Delivery.FAILED,
            row.channel,
            why,
            now_utc(request),
        )
    if not reachable and state is None:
        reason = "der Assistent ist nicht erreichbar"
    elif state is None:
        reason = "der Kanal bestätigt keine Zustellung"
    elif row.channel == "socketio":
        reason = "der Chat der Bürgerin oder des Bürgers ist gerade nicht geöffnet"
    else:
        reason = "der Messenger hat sie nicht angenommen"
    return _back(
        row.reference,
        error=f"Die Antwort wurde gespeichert, aber nicht zugestellt: {reason}. "
        "Sie steht unten mit „Erneut senden“; oder rufen Sie die Person an, wenn eine "
        "Telefonnummer bekannt ist.",
    )


@case_action("resend/<message_id:int>")
async def resend(request: Request, reference: str, row: Any, message_id: int) -> HTTPResponse:
    """Sends a reply that was not delivered once more (audited as ``resend``)."""
    try:
        msg = await asyncio.to_thread(desk(request).resend, row, message_id)
    except NotFound:
        return _back(reference, error="Diese Antwort ist bereits zugestellt oder unbekannt.")
    return await _deliver(request, row, str(msg["text"]), int(msg["id"]))


@case_action("note")
async def note(request: Request, reference: str, row: Any) -> HTTPResponse:
    """An internal note (never shown to the citizen)."""
    text = str((request.form or {}).get("text") or "").strip()[:4000]
    if not text:
        return _back(reference, error="Notiz ist leer.")
    await asyncio.to_thread(desk(request).note, row, text)
    return _back(reference, ok="Notiz gespeichert.")


@case_action("update")
async def update(request: Request, reference: str, row: Any) -> HTTPResponse:
    """Assign, forward to another office, change status."""
    engine = request.app.ctx.engine
    form = request.form or {}
    known = known_offices(request)
    office = str(form.get("office") or "")
    if not (office and office != row.office and office in known):
        office = ""
    target_office = office or row.office
    names = await asyncio.to_thread(_staff_names, engine, target_office, known)
    assignee = str(form.get("assignee") or "")
    status = str(form.get("status") or "")
    await asyncio.to_thread(
        lambda: desk(request).change(
            row,
            office=office or None,
            assignee=assignee if assignee and assignee in names else None,
            status=status if status in STATUSES and is_open(status) else None,
            clear_assignee=row.assignee not in names,
        )
    )
    if not access.may_reach(request.ctx.user, target_office, known):
        return redirect("/staff/")  # forwarded out of this person's reach
    return _back(reference, ok="Vorgang aktualisiert.")


@case_action("handback")
async def handback(request: Request, reference: str, row: Any) -> HTTPResponse:
    """Gives the conversation back to the assistant."""
    try:
        handback_text = texts.text(texts.language_of_summary(row.summary), "staff.handback")
        await request.app.ctx.rasa.hand_back(row.sender_id, handback_text)
    except (RasaError, OSError, asyncio.TimeoutError):
        return _back(
            reference, error="Der Assistent ist nicht erreichbar; bitte später erneut versuchen."
        )
    await asyncio.to_thread(desk(request).handed_back, row, "An den Assistenten zurückgegeben")
    return _back(reference, ok="Das Gespräch ist an den Assistenten zurückgegeben.")


@case_action("close")
async def close(request: Request, reference: str, row: Any) -> HTTPResponse:
    """Closes the ticket with a reason."""
    reason = str((request.form or {}).get("close_reason") or "")
    if reason not in CLOSE_REASONS:
        return _back(reference, error="Bitte einen Abschlussgrund wählen.")
    await asyncio.to_thread(desk(request).close, row, reason, now_utc(request))
    return _back(reference, ok="Vorgang abgeschlossen.")


def _report_kind(knowledge: Any, reports: list[dict[str, Any]]) -> str:
    """The name of the report's kind (its service) as in the data."""
    if not reports:
        return ""
    service = knowledge.services.get(reports[0]["kind"])
    return service.name if service else str(reports[0]["kind"])


def _place(report: dict[str, Any]) -> str:
    return f"{report['street']} {report['house_number']}".strip()


@case_action("report-done")
async def report_done(request: Request, reference: str, row: Any) -> HTTPResponse:
    """A report is done: every citizen who reported the place hears it on their channel
    (with the optional public note), and the case is closed as "erledigt"."""
    from bot.dialogue.report import done_notice

    if row.reason != cases.REPORT:
        return _back(reference, error="Dieser Vorgang ist keine Meldung.")
    note = str((request.form or {}).get("note") or "").strip()
    if len(note) > 1000:
        return _back(reference, error="Der Hinweis ist zu lang (höchstens 1.000 Zeichen).")
    engine = request.app.ctx.engine
    trusted = request.app.ctx.handoff_config().trusted_channels
    reports = await asyncio.to_thread(cases.report_rows, engine, row.id)
    if note and find_identifiers(note) and any(r["channel"] not in trusted for r in reports):
        return _back(
            reference,
            error="Der Hinweis enthält persönliche Daten und kann nicht über einen Messenger "
            "gesendet werden.",
        )
    knowledge = request.app.ctx.knowledge()
    service = knowledge.services.get(reports[0]["kind"]) if reports else None
    place = _place(reports[0]) if reports else ""

    def notice(language: str) -> str:
        lang = texts.normalise(language)
        kind = service.name if service else ""
        if service is not None and lang != texts.DEFAULT_LANGUAGE and service.gloss(lang):
            kind = texts.text(lang, "names.glossed", name=service.name, gloss=service.gloss(lang))
        return done_notice(lang, row.reference, kind, place, note)

    sent = await asyncio.to_thread(desk(request).report_done, row, notice, now_utc(request))
    delivered = 0
    for message_id, sender_id in sent:
        text = str((await asyncio.to_thread(cases.message, engine, message_id) or {}).get("text"))
        try:
            await request.app.ctx.rasa.send_staff_message(
                sender_id, text, request.ctx.user.username, message_id
            )
        except (RasaError, OSError, asyncio.TimeoutError):
            logger.warning("done notice %s not delivered", message_id)
        msg = await asyncio.to_thread(cases.message, engine, message_id)
        if msg is not None and msg["delivered"]:
            delivered += 1
        elif msg is not None and msg.get("delivery_state") is None:
            await asyncio.to_thread(
                cases.record_delivery,
                engine,
                message_id,
                Delivery.FAILED,
                row.channel,
                "channel did not confirm it",
                now_utc(request),
            )
    return _back(
        reference,
        ok=f"Meldung als erledigt abgeschlossen; Nachricht an {delivered} von {len(sent)} "
        "meldenden Personen zugestellt.",
    )


@bp.get("/tickets/<reference>/photos/<photo_id:int>")
@login_required
@with_ticket
async def report_photo(request: Request, reference: str, row: Any, photo_id: int) -> HTTPResponse:
    """A photo of a report (already stripped of its metadata when it was stored)."""
    from sanic.response import raw

    photo = await asyncio.to_thread(cases.report_photo, request.app.ctx.engine, row.id, photo_id)
    if photo is None:
        return error_page(request, 404, "Foto nicht gefunden.")
    return raw(
        photo["data"],
        content_type=photo["content_type"],
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@case_action("reopen", open_only=False)
async def reopen(request: Request, reference: str, row: Any) -> HTTPResponse:
    """Reopens a closed ticket ("in Bearbeitung", assigned to whoever reopens it)."""
    if not await asyncio.to_thread(desk(request).reopen, row):
        return _back(reference, error="Der Vorgang ist nicht abgeschlossen.")
    return _back(reference, ok="Vorgang wieder geöffnet.")


@case_action("claim")
async def claim(request: Request, reference: str, row: Any) -> HTTPResponse:
    """The caseworker takes the case ("Übernehmen"); others then see who holds it."""
    if not await asyncio.to_thread(desk(request).claim, row):
        return _back(reference, ok="Sie bearbeiten diesen Vorgang bereits.")
    return _back(reference, ok="Sie bearbeiten diesen Vorgang jetzt.")


@bp.get("/tickets/<reference>/presence.json")
@login_required
@with_ticket
async def presence(request: Request, reference: str, row: Any) -> HTTPResponse:
    """Who else has the case open and who holds it (polled by the case page)."""
    others = await asyncio.to_thread(
        inbox_live.viewers, request.app.ctx.engine, reference, request.ctx.user.username
    )
    return json_response(
        {"others": others, "assignee": row.assignee, "status": row.status},
        headers={"Cache-Control": "no-store"},
    )
