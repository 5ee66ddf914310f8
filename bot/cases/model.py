"""A case's states and the one overdue rule, shared by the inbox, the jobs and analytics."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa

from bot.store import tickets
from bot.timeutil import as_utc


class Status(str, enum.Enum):
    """The ``tickets.status`` values (stored as these strings)."""

    NEW = "neu"
    NEW_MESSAGE = "neue_nachricht"  # the citizen wrote again since staff last acted
    IN_PROGRESS = "in_bearbeitung"
    WAITING = "wartet"  # for the citizen
    CLOSED = "erledigt"


CLOSED = Status.CLOSED.value


def is_open(status: str) -> bool:
    """Every state but closed."""
    return status != CLOSED


def open_clause() -> sa.ColumnElement[bool]:
    """WHERE clause: the case is not closed."""
    return tickets.c.status != CLOSED


def is_overdue(
    status: str, due_at: datetime | None, first_response_at: datetime | None, now: datetime
) -> bool:
    """Overdue: open, no staff reply yet, and the due time has passed."""
    due = as_utc(due_at)
    return is_open(status) and first_response_at is None and due is not None and due < now


def overdue_clause(now: datetime) -> sa.ColumnElement[bool]:
    """:func:`is_overdue` as a WHERE clause."""
    return sa.and_(open_clause(), tickets.c.first_response_at.is_(None), tickets.c.due_at < now)


# A citizen message during the case moves it to "neue_nachricht" only from these states
# (a "neu" case stays "neu" and is shown as unread).
MOVES_TO_NEW_MESSAGE = (Status.WAITING.value, Status.IN_PROGRESS.value)


class InvalidTransition(ValueError):
    """A status change the one rule does not allow."""


def check_transition(current: str, target: str) -> None:
    """The one transition rule: an open case may move to any state; a closed case only
    back to "in_bearbeitung" (reopened). Unknown states are refused."""
    known = {s.value for s in Status}
    if current not in known or target not in known:
        raise InvalidTransition(f"{current} -> {target}")
    if not is_open(current) and target != Status.IN_PROGRESS.value:
        raise InvalidTransition(f"{current} -> {target}")
