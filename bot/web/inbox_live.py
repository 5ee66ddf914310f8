"""What changed in a case since staff last looked: citizen messages, unread, who else works on it.

Citizen messages during a case are read where they are: Rasa's tracker store (every
message of a paused conversation is still stored there as a ``user`` event) and
``ticket_messages`` rows of kind ``citizen``. A case counts its citizen messages from the
assistant's message that announced the reference ("… Vorgangsnummer MS-…"); without that
message (tracker store not readable, older cases) from the case's creation time.

Staff activity comes from the audit log, which every staff action writes anyway:

- *unread* for a caseworker: a citizen message newer than that caseworker's last view;
- status "neue_nachricht": a citizen message newer than the last staff action on the case
  (reply, update, claim, reopen) while it was "wartet" or "in_bearbeitung";
- *collision*: someone else viewed the case within the last ``PRESENCE_MINUTES``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.cases import store as cases
from bot.cases.model import CLOSED, MOVES_TO_NEW_MESSAGE
from bot.rasa_events import events as ev
from bot.store import audit_log
from bot.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

TOUCH_ACTIONS = ("reply", "update", "claim", "reopen", "close", "handback")
PRESENCE_MINUTES = 10
SYSTEM_ACTOR = cases.SYSTEM_ACTOR


@dataclass(frozen=True)
class CaseState:
    """A case's live state for one caseworker."""

    last_citizen_at: datetime | None
    unread: bool
    moved: bool = False  # just moved to "neue_nachricht"


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value else None


def _tracker_latest(
    tracker_engine: Engine, row: Any, anchors: MutableMapping[tuple[str, str], int]
) -> datetime | None:
    """The time of the citizen's latest message in the tracker store after the case began."""
    key = (row.reference, row.sender_id)
    with tracker_engine.connect() as conn:
        anchor = anchors.get(key)
        if anchor is None:
            found = conn.execute(
                sa.select(sa.func.min(ev.c.id)).where(
                    ev.c.sender_id == row.sender_id,
                    ev.c.type_name == "bot",
                    ev.c.data.contains(row.reference, autoescape=True),
                )
            ).scalar()
            if found is not None:
                anchor = anchors[key] = int(found)
        q = sa.select(ev.c.timestamp, ev.c.data).where(
            ev.c.sender_id == row.sender_id, ev.c.type_name == "user"
        )
        if anchor is not None:
            q = q.where(ev.c.id > anchor)
        else:
            created = as_utc(row.created_at)
            assert created is not None
            q = q.where(ev.c.timestamp > created.timestamp())
        for timestamp, data in conn.execute(q.order_by(ev.c.id.desc()).limit(20)):
            try:
                text = str(json.loads(data or "{}").get("text") or "")
            except ValueError:
                text = ""
            if text and not text.startswith("/"):  # buttons' payloads are not messages
                return _ts(timestamp)
    return None


def citizen_activity(
    engine: Engine,
    tracker_engine: Engine | None,
    rows: Iterable[Any],
    anchors: MutableMapping[tuple[str, str], int] | None = None,
) -> dict[int, datetime]:
    """Ticket id -> time of the citizen's latest message during the case (if any)."""
    rows = list(rows)
    anchors = {} if anchors is None else anchors
    out: dict[int, datetime] = {}
    if not rows:
        return out
    for ticket_id, latest in cases.latest_citizen_messages(engine, [r.id for r in rows]).items():
        at = as_utc(latest)
        if at is not None:
            out[ticket_id] = at
    if tracker_engine is None:
        return out
    for row in rows:
        try:
            at = _tracker_latest(tracker_engine, row, anchors)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            logger.warning("tracker store not readable; citizen messages from the case only")
            return out
        if at is not None and (row.id not in out or at > out[row.id]):
            out[row.id] = at
    return out


def _latest_by_target(
    engine: Engine, where: list[Any], references: list[str]
) -> dict[str, datetime]:
    if not references:
        return {}
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(audit_log.c.target, sa.func.max(audit_log.c.at))
            .where(audit_log.c.target.in_(references), *where)
            .group_by(audit_log.c.target)
        )
        return {t: at for t, raw in found if (at := as_utc(raw)) is not None}


def sync(
    engine: Engine,
    tracker_engine: Engine | None,
    rows: Iterable[Any],
    username: str,
    anchors: MutableMapping[tuple[str, str], int] | None = None,
) -> dict[str, CaseState]:
    """Live state of ``rows`` for ``username``; moves cases with a new citizen message
    to "neue_nachricht" (audited as the system). Returns reference -> state."""
    rows = [r for r in rows if r.status != CLOSED]
    refs = [r.reference for r in rows]
    latest = citizen_activity(engine, tracker_engine, rows, anchors)
    touched = _latest_by_target(engine, [audit_log.c.action.in_(TOUCH_ACTIONS)], refs)
    viewed = _latest_by_target(
        engine, [audit_log.c.action == "view", audit_log.c.actor == username], refs
    )
    out: dict[str, CaseState] = {}
    moved: list[Any] = []
    for row in rows:
        at = latest.get(row.id)
        seen = viewed.get(row.reference)
        touch = touched.get(row.reference)
        move = (
            at is not None and row.status in MOVES_TO_NEW_MESSAGE and (touch is None or at > touch)
        )
        if move:
            moved.append(row)
        out[row.reference] = CaseState(at, at is not None and (seen is None or at > seen), move)
    cases.move_to_new_message(engine, moved)
    return out


def viewers(
    engine: Engine, reference: str, username: str, now: datetime | None = None
) -> list[str]:
    """Other caseworkers who opened the case within the last ``PRESENCE_MINUTES``."""
    since = (now or utcnow()) - timedelta(minutes=PRESENCE_MINUTES)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(audit_log.c.actor)
            .where(
                audit_log.c.target == reference,
                audit_log.c.action == "view",
                audit_log.c.actor != username,
                audit_log.c.at >= since,
            )
            .group_by(audit_log.c.actor)
            .order_by(audit_log.c.actor)
        )
        return [r.actor for r in found]
