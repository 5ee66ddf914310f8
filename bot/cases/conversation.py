"""A citizen's messages while their case is open: the case of a conversation, its
messages, and the citizen ending it ("Hat sich erledigt").

Beside :mod:`bot.cases.store` (the owner of the case tables; its message and audit
helpers are used here, so rows look the same) because these are the dialogue's
operations, not the staff desk's.

The queries of ``actions/case.py`` (through :mod:`bot.dialogue.case`) and of the session
start. Each citizen message during a case is stored as a ``ticket_messages`` row of kind
``citizen`` (redacted like the case's transcript), so that the inbox's search finds it
and the live inbox (:mod:`bot.web.inbox_live`) sees it even without the tracker store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.cases.model import CLOSED, open_clause
from bot.cases.store import REPORT, _add_message, _audit
from bot.store import audit_log, resume_tokens, tickets

CITIZEN = "citizen"  # ticket_messages.kind and audit actor of the citizen's own actions
CLOSED_BY_CITIZEN = "buerger"  # tickets.close_reason when the citizen ended the case
MAX_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class OpenCase:
    """What the conversation needs to know about its open case."""

    id: int
    reference: str
    office: str | None
    channel: str
    redacted: bool
    status: str


def _row_to_case(row: sa.engine.Row) -> OpenCase:
    return OpenCase(
        id=row.id,
        reference=row.reference,
        office=row.office,
        channel=row.channel,
        redacted=bool(row.redacted),
        status=row.status,
    )


def open_case(engine: Engine, sender_id: str) -> OpenCase | None:
    """The newest open case of this conversation.

    A messenger case that was switched to the website (it still holds an unused resume
    token) is not a case of the messenger conversation: it continues on the website. A
    case staff gave back to the assistant ("An den Assistenten zurückgeben") is no longer
    the conversation's case either, though it stays open in the inbox. Nor is a report
    of what is broken (reason ``report``): the citizen asks on freely after it, and the
    done notice reaches them as a staff reply.
    """
    pending_switch = (
        sa.select(resume_tokens.c.ticket_id)
        .where(resume_tokens.c.ticket_id == tickets.c.id, resume_tokens.c.used_at.is_(None))
        .exists()
    )
    handed_back = (
        sa.select(audit_log.c.id)
        .where(audit_log.c.action == "handback", audit_log.c.target == tickets.c.reference)
        .exists()
    )
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(tickets)
            .where(
                tickets.c.sender_id == sender_id,
                tickets.c.reason != REPORT,
                open_clause(),
                ~pending_switch,
                ~handed_back,
            )
            .order_by(tickets.c.created_at.desc(), tickets.c.id.desc())
            .limit(1)
        ).first()
    return _row_to_case(row) if row is not None else None


def add_citizen_message(engine: Engine, case: OpenCase, text: str, now: datetime) -> None:
    """Stores a citizen's message in the case (``text`` already redacted where needed)."""
    with engine.begin() as conn:
        at = now.astimezone(timezone.utc)
        _add_message(conn, case.id, CITIZEN, "", text[:MAX_MESSAGE_CHARS], True, at)


def close_by_citizen(engine: Engine, case: OpenCase, now: datetime, note: str) -> bool:
    """Closes the case with reason "by citizen", audited; False if it was already closed.

    ``note`` is the line the caseworker reads in the case's log.
    """
    at = now.astimezone(timezone.utc)
    with engine.begin() as conn:
        changed = conn.execute(
            sa.update(tickets)
            .where(tickets.c.id == case.id, tickets.c.status != CLOSED)
            .values(status=CLOSED, closed_at=at, close_reason=CLOSED_BY_CITIZEN)
        ).rowcount
        if not changed:
            return False
        _add_message(conn, case.id, "system", "", note, True, at)
        _audit(
            conn,
            CITIZEN,
            "close",
            case.reference,
            f"reason={CLOSED_BY_CITIZEN} (status was {case.status})",
        )
    return True
