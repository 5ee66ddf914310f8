"""The one owner of the ``tickets`` and ``ticket_messages`` tables.

Every query and every state change of a case is a named function here; the web routes,
the background jobs, analytics, retention and erasure, the dialogue (creation) and the
JSON API call them and write no SQL on those tables themselves (``tests/unit/
test_case_store.py`` checks the sources).

Two kinds of callers:

- **The system** (dialogue, jobs, retention, analytics, API with its own token): the
  module-level functions below. They act for the city, not for a person, and are not
  scoped.
- **A staff member** (the inbox): only through :class:`Desk`, made for one user. The desk
  applies :mod:`bot.cases.access` itself: its queries carry the user's scope, and every
  read or change of one case checks the case's *current* office inside the same
  transaction (:class:`Denied`), so no route can reach a case it was not given. Each
  change writes its audit entry in that transaction.

State changes follow one rule (:func:`bot.cases.model.check_transition`): a closed case
changes only by being reopened.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.cases import access
from bot.cases.model import (
    CLOSED,
    MOVES_TO_NEW_MESSAGE,
    Status,
    check_transition,
    is_open,
    open_clause,
    overdue_clause,
)
from bot.handoff.redact import redact
from bot.store import (
    audit_log,
    chunks,
    message_deliveries,
    report_photos,
    reports,
    resume_tokens,
    ticket_messages,
    tickets,
)
from bot.timeutil import as_utc, utcnow

if TYPE_CHECKING:
    from bot.cases.delivery import Delivery
    from bot.cases.inbox import InboxQuery
    from bot.cases.photos import CleanPhoto
    from bot.handoff.tickets import NewTicket

SYSTEM_ACTOR = "system"
REPORT = "report"  # tickets.reason of a report of what is broken (kind "Meldung")


class NotFound(LookupError):
    """No case with that reference."""


class Denied(PermissionError):
    """The case (or office) is outside the user's reach (role, office)."""


class CaseClosed(RuntimeError):
    """The change needs an open case; reopen it first."""


def _audit(conn: Connection, actor: str, action: str, target: str | None, detail: str = "") -> None:
    """One audit row (append-only log), in the caller's transaction."""
    conn.execute(
        sa.insert(audit_log).values(
            at=utcnow(), actor=actor, action=action, target=target, detail=redact(detail)[:500]
        )
    )


def _add_message(
    conn: Connection,
    ticket_id: int,
    kind: str,
    author: str,
    text: str,
    delivered: bool,
    at: datetime | None = None,
) -> int:
    result = conn.execute(
        sa.insert(ticket_messages).values(
            ticket_id=ticket_id,
            kind=kind,
            author=author,
            text=text,
            created_at=at or utcnow(),
            delivered=delivered,
        )
    )
    return int(result.inserted_primary_key[0])


# --- creation (the dialogue, through bot.handoff.tickets.submit and the outbox) ----------


def create(engine: Engine, t: NewTicket) -> tuple[str, bool]:
    """Creates the case unless one with the same idempotency key exists.

    Returns:
        ``(reference, created)``; the existing case's reference when it was a repeat.
    """
    from bot.cases.resume import store_grant

    if t.report is not None:
        return _create_report(engine, t)
    values = _ticket_values(t)
    with engine.begin() as conn:
        existing = conn.execute(
            sa.select(tickets.c.reference).where(tickets.c.idem_key == t.idem_key)
        ).scalar()
        if existing:
            return str(existing), False
        with contextlib.suppress(sa.exc.IntegrityError):  # a concurrent insert won
            result = conn.execute(sa.insert(tickets).values(**values))
            if t.resume_token_hash and t.resume_expires_at is not None:
                ticket_id = result.inserted_primary_key[0]
                store_grant(conn, ticket_id, t.resume_token_hash, t.resume_expires_at, t.created_at)
    with engine.connect() as conn:
        ref = conn.execute(
            sa.select(tickets.c.reference).where(tickets.c.idem_key == t.idem_key)
        ).scalar_one()
    return str(ref), ref == t.reference


def _ticket_values(t: NewTicket) -> dict[str, Any]:
    return {
        "reference": t.reference,
        "idem_key": t.idem_key,
        "sender_id": t.sender_id,
        "channel": t.channel,
        "reason": t.reason,
        "triggers": json.dumps(t.triggers),
        "status": Status.NEW.value,
        "office": t.office,
        "summary": t.summary,
        "transcript": json.dumps(t.transcript, ensure_ascii=False),
        "redacted": t.redacted,
        "created_at": t.created_at,
        "due_at": t.due_at,
    }


def _house_number(value: str) -> int | None:
    digits = "".join(itertools.takewhile(str.isdigit, value or ""))
    return int(digits) if digits else None


def _same_place(a: str, b: str, distance: int) -> bool:
    """Both without a house number, or both with numbers at most ``distance`` apart."""
    na, nb = _house_number(a), _house_number(b)
    if na is None or nb is None:
        return na is None and nb is None
    return abs(na - nb) <= distance


def _duplicate_of(conn: Connection, t: NewTicket, report: Mapping[str, Any]) -> Any:
    """The open report case of the same kind and place within the window, oldest first."""
    since = t.created_at - timedelta(days=int(report.get("window_days", 14)))
    rows = conn.execute(
        sa.select(tickets.c.id, tickets.c.reference, reports.c.house_number)
        .select_from(tickets.join(reports, reports.c.ticket_id == tickets.c.id))
        .where(
            tickets.c.reason == REPORT,
            open_clause(),
            tickets.c.created_at >= since,
            reports.c.duplicate.is_(False),
            reports.c.kind == str(report.get("kind") or ""),
            reports.c.street == str(report.get("street") or ""),
        )
        .order_by(tickets.c.created_at, tickets.c.id)
    )
    distance = int(report.get("house_numbers", 0))
    for row in rows:
        if _same_place(row.house_number, str(report.get("house_number") or ""), distance):
            return row
    return None


def _create_report(engine: Engine, t: NewTicket) -> tuple[str, bool]:
    """A report: a new case, or one more report on the open case of the same place.

    Returns:
        ``(reference, created)``: the case's reference; ``created`` is False for a repeat
        of the same request and for a duplicate (see :func:`report_outcome`).
    """
    report = dict(t.report or {})
    with engine.begin() as conn:
        seen = conn.execute(
            sa.select(reports.c.reference).where(reports.c.idem_key == t.idem_key)
        ).scalar()
        if seen:
            return str(seen), False
        first = _duplicate_of(conn, t, report)
        if first is None:
            result = conn.execute(sa.insert(tickets).values(**_ticket_values(t)))
            ticket_id, reference = int(result.inserted_primary_key[0]), t.reference
        else:
            ticket_id, reference = int(first.id), str(first.reference)
            count = conn.execute(
                sa.select(sa.func.count()).where(reports.c.ticket_id == ticket_id)
            ).scalar_one()
            _add_message(
                conn,
                ticket_id,
                "system",
                "",
                f"Weitere Meldung derselben Stelle ({int(count) + 1}. Meldung): "
                f"{report.get('description') or ''}"[:MAX_REPORT_TEXT],
                True,
                t.created_at,
            )
        conn.execute(
            sa.insert(reports).values(
                ticket_id=ticket_id,
                idem_key=t.idem_key,
                reference=reference,
                sender_id=t.sender_id,
                channel=t.channel,
                language=str(report.get("language") or "de")[:8],
                kind=str(report.get("kind") or "")[:60],
                street=str(report.get("street") or "")[:120],
                house_number=str(report.get("house_number") or "")[:10],
                observed=str(report.get("observed") or "")[:120],
                description=str(report.get("description") or "")[:MAX_REPORT_TEXT],
                duplicate=first is not None,
                created_at=t.created_at,
                status_token_hash=report.get("status_token_hash") or None,
            )
        )
    return reference, first is None


MAX_REPORT_TEXT = 1000


@dataclass(frozen=True)
class ReportStatus:
    """What the status page of one citizen's report shows: nothing personal."""

    reference: str
    language: str
    kind: str  # a service id
    street: str
    house_number: str
    office: str  # an office id
    open: bool
    due_at: datetime | None
    closed_at: datetime | None
    done_notice: str | None  # set when the case was done ("erledigt")


def report_status(engine: Engine, token_hash: str) -> ReportStatus | None:
    """The state of the report whose status link has this token (None: no such link)."""
    if not token_hash:
        return None
    query = (
        sa.select(
            reports.c.reference,
            reports.c.language,
            reports.c.kind,
            reports.c.street,
            reports.c.house_number,
            reports.c.done_notice,
            tickets.c.office,
            tickets.c.status,
            tickets.c.due_at,
            tickets.c.closed_at,
        )
        .join(tickets, tickets.c.id == reports.c.ticket_id)
        .where(reports.c.status_token_hash == token_hash)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return ReportStatus(
        reference=str(row.reference),
        language=str(row.language or "de"),
        kind=str(row.kind),
        street=str(row.street or ""),
        house_number=str(row.house_number or ""),
        office=str(row.office or ""),
        open=is_open(str(row.status)),
        due_at=as_utc(row.due_at),
        closed_at=as_utc(row.closed_at),
        done_notice=row.done_notice,
    )


@dataclass(frozen=True)
class ReportOutcome:
    """What became of a report request: its case and whether it joined an earlier one."""

    reference: str
    duplicate: bool


def report_outcome(engine: Engine, idem_key: str) -> ReportOutcome | None:
    """The case a report request went to (None: not stored, e.g. waiting in the outbox)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(reports.c.reference, reports.c.duplicate).where(
                reports.c.idem_key == idem_key
            )
        ).first()
    return None if row is None else ReportOutcome(str(row.reference), bool(row.duplicate))


def report_rows(engine: Engine, ticket_id: int) -> list[dict[str, Any]]:
    """The reports on a case, first report first (for the case page and the done notice)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(reports).where(reports.c.ticket_id == ticket_id).order_by(reports.c.id)
        )
        return [dict(r._mapping) for r in rows]


def add_report_photo(
    engine: Engine,
    reference: str,
    sender_id: str,
    photo: CleanPhoto,
    now: datetime,
    max_photos: int = 3,
) -> bool:
    """Stores a (cleaned) photo with the report ``reference`` that ``sender_id`` made (the
    reference alone grants nothing); False when there is no such report, it is closed,
    or it has ``max_photos`` already."""
    with engine.begin() as conn:
        ticket_id = conn.execute(
            sa.select(reports.c.ticket_id)
            .select_from(reports.join(tickets, tickets.c.id == reports.c.ticket_id))
            .where(
                reports.c.reference == reference, reports.c.sender_id == sender_id, open_clause()
            )
        ).scalar()
        if ticket_id is None:
            return False
        stored = conn.execute(
            sa.select(sa.func.count()).where(report_photos.c.ticket_id == ticket_id)
        ).scalar_one()
        if int(stored) >= max_photos:
            return False
        conn.execute(
            sa.insert(report_photos).values(
                ticket_id=ticket_id,
                content_type=photo.content_type,
                data=photo.data,
                width=photo.size[0],
                height=photo.size[1],
                created_at=now,
            )
        )
        _add_message(conn, ticket_id, "system", "", "Foto zur Meldung erhalten", True, now)
    return True


def report_photo_list(engine: Engine, ticket_id: int) -> list[dict[str, Any]]:
    """The photos of a case without their bytes (id, type, size, time)."""
    p = report_photos.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(p.id, p.content_type, p.width, p.height, p.created_at)
            .where(p.ticket_id == ticket_id)
            .order_by(p.id)
        )
        return [dict(r._mapping) for r in rows]


def report_photo(engine: Engine, ticket_id: int, photo_id: int) -> dict[str, Any] | None:
    """One photo of a case with its bytes."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(report_photos).where(
                report_photos.c.id == photo_id, report_photos.c.ticket_id == ticket_id
            )
        ).first()
    return None if row is None else dict(row._mapping)


# --- system reads -------------------------------------------------------------------------


def by_reference(engine: Engine, reference: str) -> Any:
    """The case row of ``reference`` (None when there is none); unscoped: system use."""
    with engine.connect() as conn:
        return conn.execute(sa.select(tickets).where(tickets.c.reference == reference)).first()


def _with_delivery() -> sa.sql.Select:
    """Messages joined with what their channel reported (``delivery_state``,
    ``delivery_detail``, ``delivery_attempts``; None: nothing)."""
    d = message_deliveries.c
    return sa.select(
        ticket_messages,
        d.state.label("delivery_state"),
        d.detail.label("delivery_detail"),
        d.attempts.label("delivery_attempts"),
    ).select_from(
        ticket_messages.outerjoin(message_deliveries, d.message_id == ticket_messages.c.id)
    )


def messages(engine: Engine, ticket_id: int) -> list[dict[str, Any]]:
    """Replies, notes, interim and system messages of a case, oldest first, each with what
    its channel reported (``delivery_state``, ``delivery_detail``; None: nothing)."""
    with engine.connect() as conn:
        rows = conn.execute(
            _with_delivery()
            .where(ticket_messages.c.ticket_id == ticket_id)
            .order_by(ticket_messages.c.id)
        )
        return [dict(r._mapping) for r in rows]


def message(engine: Engine, message_id: int) -> dict[str, Any] | None:
    """One message with its delivery state (see :func:`messages`)."""
    with engine.connect() as conn:
        row = conn.execute(_with_delivery().where(ticket_messages.c.id == message_id)).first()
    return None if row is None else dict(row._mapping)


def undelivered_replies(engine: Engine, ticket_ids: Collection[int]) -> dict[int, int]:
    """Ticket id -> staff replies not (yet) confirmed as delivered (the inbox marks them)."""
    out: dict[int, int] = {}
    with engine.connect() as conn:
        for batch in chunks(sorted(ticket_ids)):
            for ticket_id, n in conn.execute(
                sa.select(ticket_messages.c.ticket_id, sa.func.count())
                .where(
                    ticket_messages.c.kind == "reply",
                    ticket_messages.c.delivered.is_(False),
                    ticket_messages.c.ticket_id.in_(batch),
                )
                .group_by(ticket_messages.c.ticket_id)
            ):
                out[int(ticket_id)] = int(n)
    return out


def open_cases(engine: Engine) -> list[Any]:
    """Every open case (the background jobs)."""
    with engine.connect() as conn:
        return list(conn.execute(sa.select(tickets).where(open_clause())))


API_FIELDS = (
    "id",
    "reference",
    "sender_id",
    "channel",
    "reason",
    "status",
    "office",
    "created_at",
    "due_at",
)


def api_list(engine: Engine, sender_id: str | None = None) -> list[dict[str, Any]]:
    """Cases for the JSON API (``GET /api/handoffs``), optionally of one conversation."""
    query = sa.select(*[tickets.c[f] for f in API_FIELDS]).order_by(tickets.c.id)
    if sender_id:
        query = query.where(tickets.c.sender_id == sender_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def latest_citizen_messages(engine: Engine, ticket_ids: Collection[int]) -> dict[int, datetime]:
    """Ticket id -> newest ``citizen`` message stored with the case (raw, as stored)."""
    if not ticket_ids:
        return {}
    out: dict[int, datetime] = {}
    with engine.connect() as conn:
        for batch in chunks(sorted(ticket_ids)):
            for ticket_id, latest in conn.execute(
                sa.select(ticket_messages.c.ticket_id, sa.func.max(ticket_messages.c.created_at))
                .where(ticket_messages.c.kind == "citizen", ticket_messages.c.ticket_id.in_(batch))
                .group_by(ticket_messages.c.ticket_id)
            ):
                out[int(ticket_id)] = latest
    return out


# --- system changes -----------------------------------------------------------------------


def record_delivery(
    engine: Engine,
    message_id: int,
    state: Delivery | str,
    channel: str,
    detail: str,
    now: datetime,
) -> None:
    """What the channel reported for a stored staff message (bot.cases.delivery).

    ``zugestellt`` marks the message delivered and, for the case's first delivered reply,
    sets the first response time; other states leave it not delivered. A later attempt
    overwrites the state and counts the attempts.
    """
    value = str(getattr(state, "value", state))
    with engine.begin() as conn:
        msg = conn.execute(
            sa.select(ticket_messages.c.ticket_id, ticket_messages.c.kind).where(
                ticket_messages.c.id == message_id
            )
        ).first()
        if msg is None:
            return  # erased meanwhile
        seen = conn.execute(
            sa.select(message_deliveries.c.attempts).where(
                message_deliveries.c.message_id == message_id
            )
        ).scalar()
        values = {"state": value, "channel": channel[:40], "detail": detail[:200], "at": now}
        if seen is None:
            conn.execute(sa.insert(message_deliveries).values(message_id=message_id, **values))
        else:
            conn.execute(
                sa.update(message_deliveries)
                .where(message_deliveries.c.message_id == message_id)
                .values(attempts=int(seen) + 1, **values)
            )
        if value == "zugestellt":
            conn.execute(
                sa.update(ticket_messages)
                .where(ticket_messages.c.id == message_id)
                .values(delivered=True)
            )
            if msg.kind == "reply":
                conn.execute(
                    sa.update(tickets)
                    .where(tickets.c.id == msg.ticket_id, tickets.c.first_response_at.is_(None))
                    .values(first_response_at=now)
                )


def mark_notified(engine: Engine, ticket_id: int, now: datetime) -> None:
    """The office's mailbox was told about the new case."""
    with engine.begin() as conn:
        conn.execute(sa.update(tickets).where(tickets.c.id == ticket_id).values(notified_at=now))


def mark_overdue_notified(engine: Engine, ticket_id: int, now: datetime) -> None:
    """The office's mailbox was told that the case is overdue."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(tickets).where(tickets.c.id == ticket_id).values(overdue_notified_at=now)
        )


def record_interim(engine: Engine, ticket_id: int, text: str, now: datetime) -> None:
    """The citizen got the one interim message (stored as a delivered message)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(tickets).where(tickets.c.id == ticket_id).values(interim_sent_at=now)
        )
        _add_message(conn, ticket_id, "interim", "System", text, True, now)


def move_to_new_message(engine: Engine, rows: Iterable[Any]) -> list[str]:
    """Cases with a citizen message newer than staff's last action move to "neue_nachricht"
    (only from "wartet" / "in_bearbeitung"; audited as the system). Returns the references
    that moved."""
    moved: list[str] = []
    rows = list(rows)
    if not rows:
        return moved
    with engine.begin() as conn:
        for row in rows:
            changed = conn.execute(
                sa.update(tickets)
                .where(tickets.c.id == row.id, tickets.c.status.in_(MOVES_TO_NEW_MESSAGE))
                .values(status=Status.NEW_MESSAGE.value)
            ).rowcount
            if changed:
                _audit(
                    conn,
                    SYSTEM_ACTOR,
                    "new_message",
                    row.reference,
                    f"status {row.status} -> {Status.NEW_MESSAGE.value}",
                )
                moved.append(row.reference)
    return moved


def erasure_requests(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    """Open erasure requests, newest first: requested cases that still exist."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.target, audit_log.c.detail)
            .select_from(audit_log.join(tickets, tickets.c.reference == audit_log.c.target))
            .where(audit_log.c.action == "erasure_requested")
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]


# --- analytics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFigures:
    """What analytics needs of the cases created in a period."""

    by_reason: list[tuple[str, int]]
    overdue_now: int
    # (sender_id, status, created_at, due_at, first_response_at, interim_sent_at)
    rows: list[tuple[Any, ...]]


def figures(engine: Engine, start: datetime, end: datetime, now: datetime) -> CaseFigures:
    """Cases created in ``[start, end)`` by reason, their timing, and overdue cases now."""
    t = tickets.c
    created_in_range = sa.and_(t.created_at >= start, t.created_at < end)
    by_reason = (
        sa.select(t.reason, sa.func.count())
        .where(created_in_range)
        .group_by(t.reason)
        .order_by(sa.func.count().desc(), t.reason)
    )
    rows = sa.select(
        t.sender_id, t.status, t.created_at, t.due_at, t.first_response_at, t.interim_sent_at
    ).where(created_in_range)
    overdue = sa.select(sa.func.count()).where(overdue_clause(now))
    with engine.connect() as conn:
        return CaseFigures(
            by_reason=[(r, int(n)) for r, n in conn.execute(by_reason)],
            overdue_now=int(conn.execute(overdue).scalar() or 0),
            rows=[tuple(r) for r in conn.execute(rows)],
        )


@dataclass(frozen=True)
class ReportFigures:
    """Reports made in a period: counts by kind and street, and the days to done."""

    by_kind: list[tuple[str, int]]  # every report, duplicates included
    by_street: list[tuple[str, int]]
    cases: int  # places (first reports)
    duplicates: int
    done_days: list[float]  # per case closed as done: days from the first report


def report_figures(engine: Engine, start: datetime, end: datetime) -> ReportFigures:
    """Reports created in ``[start, end)``; nothing personal (no sender, no text)."""
    r = reports.c
    in_range = sa.and_(r.created_at >= start, r.created_at < end)
    by_kind = sa.select(r.kind, sa.func.count()).where(in_range).group_by(r.kind).order_by(r.kind)
    by_street = (
        sa.select(r.street, sa.func.count()).where(in_range).group_by(r.street).order_by(r.street)
    )
    dup = sa.select(r.duplicate, sa.func.count()).where(in_range).group_by(r.duplicate)
    done = sa.select(tickets.c.created_at, tickets.c.closed_at).where(
        tickets.c.reason == REPORT,
        tickets.c.created_at >= start,
        tickets.c.created_at < end,
        tickets.c.status == CLOSED,
        tickets.c.close_reason == "erledigt",
        tickets.c.closed_at.is_not(None),
    )
    with engine.connect() as conn:
        counts = {bool(d): int(n) for d, n in conn.execute(dup)}
        days = [
            (_aware(closed) - _aware(created)).total_seconds() / 86400
            for created, closed in conn.execute(done)
        ]
        return ReportFigures(
            by_kind=[(k, int(n)) for k, n in conn.execute(by_kind)],
            by_street=[(st or "", int(n)) for st, n in conn.execute(by_street)],
            cases=counts.get(False, 0),
            duplicates=counts.get(True, 0),
            done_days=days,
        )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- retention and erasure (bot.privacy) --------------------------------------------------


def open_case_senders(engine: Engine) -> set[str]:
    """Sender ids of every open case, including where a case came from (messenger)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(tickets.c.sender_id, tickets.c.origin_sender_id).where(open_clause())
        )
        return {s for row in rows for s in row if s}


def closed_before(engine: Engine, cutoff: datetime) -> list[int]:
    """Ids of cases closed before ``cutoff`` (without ``closed_at``: created before)."""
    closed_at = sa.func.coalesce(tickets.c.closed_at, tickets.c.created_at)
    query = sa.select(tickets.c.id).where(tickets.c.status == CLOSED, closed_at < cutoff)
    with engine.connect() as conn:
        return [row.id for row in conn.execute(query)]


def delete_cases(conn: Connection, ids: list[int], delete: bool = True) -> tuple[int, int]:
    """Deletes the cases ``ids`` with their messages and resume tokens (in ``conn``'s
    transaction), or only counts them. Returns ``(cases, messages)``."""
    n_tickets = n_messages = 0
    for batch in chunks(ids):
        msgs = ticket_messages.c.ticket_id.in_(batch)
        if delete:
            conn.execute(
                sa.delete(message_deliveries).where(
                    message_deliveries.c.message_id.in_(
                        sa.select(ticket_messages.c.id).where(msgs).scalar_subquery()
                    )
                )
            )
            n_messages += conn.execute(sa.delete(ticket_messages).where(msgs)).rowcount or 0
            conn.execute(sa.delete(resume_tokens).where(resume_tokens.c.ticket_id.in_(batch)))
            conn.execute(sa.delete(reports).where(reports.c.ticket_id.in_(batch)))
            conn.execute(sa.delete(report_photos).where(report_photos.c.ticket_id.in_(batch)))
            n_tickets += (
                conn.execute(sa.delete(tickets).where(tickets.c.id.in_(batch))).rowcount or 0
            )
        else:
            n_messages += conn.execute(sa.select(sa.func.count()).where(msgs)).scalar_one()
            n_tickets += len(batch)
    return n_tickets, n_messages


def delete_reports_of(conn: Connection, senders: Collection[str]) -> int:
    """Deletes the reports ``senders`` made on other citizens' cases (a duplicate of a
    place reported first by someone else; their own cases go with :func:`delete_cases`)."""
    n = 0
    for batch in chunks(sorted(senders)):
        n += conn.execute(sa.delete(reports).where(reports.c.sender_id.in_(batch))).rowcount or 0
    return n


def id_of_reference(conn: Connection, reference: str) -> int | None:
    """The id of the case ``reference`` (None when there is none)."""
    row = conn.execute(sa.select(tickets.c.id).where(tickets.c.reference == reference)).first()
    return None if row is None else int(row.id)


def related(conn: Connection, senders: Collection[str], ids: Collection[int]) -> list[Any]:
    """Cases of ``senders`` (also as the messenger origin of a resumed case) or ``ids``:
    rows of ``(id, reference, sender_id, origin_sender_id, status)``."""
    senders = sorted(senders)
    cond = [tickets.c.sender_id.in_(senders), tickets.c.origin_sender_id.in_(senders)]
    if ids:
        cond.append(tickets.c.id.in_(sorted(ids)))
    query = sa.select(
        tickets.c.id,
        tickets.c.reference,
        tickets.c.sender_id,
        tickets.c.origin_sender_id,
        tickets.c.status,
    ).where(sa.or_(*cond))
    return list(conn.execute(query))


def count_messages(conn: Connection, ids: Collection[int]) -> int:
    """How many messages the cases ``ids`` hold."""
    total = 0
    for batch in chunks(sorted(ids)):
        total += conn.execute(
            sa.select(sa.func.count()).where(ticket_messages.c.ticket_id.in_(batch))
        ).scalar_one()
    return int(total)


# --- the staff member's desk (scoped) -----------------------------------------------------


class Desk:
    """The cases one staff member may reach, and what they may do with them.

    Every method checks :mod:`bot.cases.access` itself (role, office of the case as it is
    stored now) and raises :class:`Denied`; changes to a closed case raise
    :class:`CaseClosed`. Each change writes its audit entry in the same transaction.
    """

    def __init__(self, engine: Engine, user: Any, known_offices: Collection[str]) -> None:
        self.engine = engine
        self.user = user
        self.known_offices = frozenset(known_offices)

    # -- reading

    def may_reach(self, office: str | None) -> bool:
        """Whether the user may see and act on a case of ``office``."""
        return access.may_reach(self.user, office, self.known_offices)

    def scope(self) -> sa.ColumnElement[bool] | None:
        """The user's cases as a WHERE clause (None: all)."""
        return access.scope(self.user, self.known_offices)

    def get(self, reference: str) -> Any:
        """The case row; :class:`NotFound` or :class:`Denied`."""
        row = by_reference(self.engine, reference)
        if row is None:
            raise NotFound(reference)
        if not self.may_reach(row.office):
            raise Denied(reference)
        return row

    def messages(self, row: Any) -> list[dict[str, Any]]:
        """The case's messages (the case re-checked)."""
        self.get(row.reference)
        return messages(self.engine, row.id)

    def inbox(
        self,
        query: InboxQuery,
        *,
        statuses: Mapping[str, str],
        urgent_reasons: frozenset[str],
        per_page: int | None = None,
    ) -> tuple[list[Any], int]:
        """One page of the inbox query within the user's scope, and the total."""
        from bot.cases import inbox

        if not access.sees_cases(self.user):
            return [], 0
        return inbox.run(
            self.engine,
            inbox.build(
                query,
                username=self.user.username,
                statuses=statuses,
                urgent_reasons=urgent_reasons,
                scope=self.scope(),
                per_page=per_page or inbox.PER_PAGE,
            ),
        )

    def viewed(self, row: Any, detail: str = "") -> None:
        """Records that the user opened the case (every view of a transcript is audited)."""
        with self.engine.begin() as conn:
            self._current(conn, row.id)
            _audit(conn, self.user.username, "view", row.reference, detail)

    # -- changing

    def _current(self, conn: Connection, ticket_id: int, need_open: bool = False) -> Any:
        row = conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).first()
        if row is None:
            raise NotFound(str(ticket_id))
        if not self.may_reach(row.office):
            raise Denied(row.reference)
        if need_open and not is_open(row.status):
            raise CaseClosed(row.reference)
        return row

    def _set(self, conn: Connection, ticket_id: int, **values: Any) -> None:
        conn.execute(sa.update(tickets).where(tickets.c.id == ticket_id).values(**values))

    def reply(self, row: Any, text: str, delivered: bool, now: datetime) -> int:
        """Stores a staff reply; the case waits for the citizen, the first delivered reply
        counts as the first response, an unassigned case goes to the replier.
        Returns the message id."""
        username = self.user.username
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            message_id = _add_message(conn, current.id, "reply", username, text, delivered)
            values: dict[str, Any] = {"status": Status.WAITING.value}
            check_transition(current.status, Status.WAITING.value)
            if current.first_response_at is None and delivered:
                values["first_response_at"] = now
            if current.assignee is None:
                values["assignee"] = username
            self._set(conn, current.id, **values)
            _audit(conn, username, "reply", current.reference)
        return message_id

    def resend(self, row: Any, message_id: int) -> dict[str, Any]:
        """A reply not yet delivered, to be sent again (audited as ``resend``);
        :class:`NotFound` when the message is not an undelivered reply of this case."""
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            msg = conn.execute(
                sa.select(ticket_messages).where(
                    ticket_messages.c.id == message_id,
                    ticket_messages.c.ticket_id == current.id,
                    ticket_messages.c.kind == "reply",
                    ticket_messages.c.delivered.is_(False),
                )
            ).first()
            if msg is None:
                raise NotFound(f"{current.reference}/{message_id}")
            _audit(conn, self.user.username, "resend", current.reference, f"message {msg.id}")
        return dict(msg._mapping)

    def request_erasure(self, row: Any, reason: str) -> None:
        """Staff ask the privacy role to erase a case they can reach (Art. 17 GDPR):
        audited as ``erasure_requested`` with the reason; nothing is deleted."""
        with self.engine.begin() as conn:
            current = self._current(conn, row.id)
            _audit(conn, self.user.username, "erasure_requested", current.reference, reason)

    def note(self, row: Any, text: str) -> None:
        """An internal note (never shown to the citizen)."""
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            _add_message(conn, current.id, "note", self.user.username, text, False)
            _audit(conn, self.user.username, "note", current.reference)

    def change(
        self,
        row: Any,
        *,
        office: str | None = None,
        assignee: str | None = None,
        status: str | None = None,
        clear_assignee: bool = False,
    ) -> dict[str, Any]:
        """Forward to another office, assign, set an open status; returns what changed."""
        values: dict[str, Any] = {}
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            if office and office != current.office and office in self.known_offices:
                values["office"] = office  # forwarding moves the case to that office
            if assignee:
                values["assignee"] = assignee
            elif clear_assignee and "office" in values:
                values["assignee"] = None  # the new office picks it up
            if status:
                check_transition(current.status, status)
                values["status"] = status
            if values:
                self._set(conn, current.id, **values)
                detail = ", ".join(f"{k}={v}" for k, v in values.items())
                _audit(conn, self.user.username, "update", current.reference, detail)
        return values

    def report_done(
        self, row: Any, notice: Callable[[str], str], now: datetime
    ) -> list[tuple[int, str]]:
        """A report is done: the notice (``notice(language)``) is stored as a reply for
        every citizen who reported the place (not yet delivered), and the case is closed
        as "erledigt", audited. Returns ``(message id, sender id)`` per reporter."""
        username = self.user.username
        out: list[tuple[int, str]] = []
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            if current.reason != REPORT:
                raise NotFound(f"{current.reference} is no report")
            check_transition(current.status, CLOSED)
            reporters = conn.execute(
                sa.select(reports.c.id, reports.c.sender_id, reports.c.language)
                .where(reports.c.ticket_id == current.id)
                .order_by(reports.c.id)
            ).all()
            for report_id, sender_id, language in reporters:
                text = notice(str(language or ""))
                out.append(
                    (_add_message(conn, current.id, "reply", username, text, False), sender_id)
                )
                # also for the status page of a website citizen who has left the chat
                conn.execute(
                    sa.update(reports).where(reports.c.id == report_id).values(done_notice=text)
                )
            self._set(conn, current.id, status=CLOSED, closed_at=now, close_reason="erledigt")
            if current.assignee is None:
                self._set(conn, current.id, assignee=username)
            _audit(conn, username, "report_done", current.reference, f"{len(out)} reporter(s)")
        return out

    def handed_back(self, row: Any, text: str) -> None:
        """The conversation went back to the assistant (a system message in the case)."""
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            _add_message(conn, current.id, "system", self.user.username, text, True)
            _audit(conn, self.user.username, "handback", current.reference)

    def close(self, row: Any, reason: str, now: datetime) -> None:
        """Closes the case with a reason."""
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            check_transition(current.status, CLOSED)
            self._set(conn, current.id, status=CLOSED, closed_at=now, close_reason=reason)
            _audit(conn, self.user.username, "close", current.reference, reason)

    def reopen(self, row: Any) -> bool:
        """Reopens a closed case ("in Bearbeitung", assigned to whoever reopens it).
        False when the case is not closed."""
        with self.engine.begin() as conn:
            current = self._current(conn, row.id)
            if is_open(current.status):
                return False
            check_transition(current.status, Status.IN_PROGRESS.value)
            self._set(
                conn,
                current.id,
                status=Status.IN_PROGRESS.value,
                closed_at=None,
                close_reason=None,
                assignee=self.user.username,
            )
            _audit(
                conn,
                self.user.username,
                "reopen",
                current.reference,
                f"was {current.close_reason or ''}",
            )
        return True

    def claim(self, row: Any) -> bool:
        """The user takes the case ("Übernehmen"); False when they already hold it."""
        username = self.user.username
        with self.engine.begin() as conn:
            current = self._current(conn, row.id, need_open=True)
            if current.assignee == username:
                return False
            values: dict[str, Any] = {"assignee": username}
            if current.status == Status.NEW.value:
                check_transition(current.status, Status.IN_PROGRESS.value)
                values["status"] = Status.IN_PROGRESS.value
            self._set(conn, current.id, **values)
            _audit(conn, username, "claim", current.reference, f"from {current.assignee or '-'}")
        return True
