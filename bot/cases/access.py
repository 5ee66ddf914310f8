"""Who may reach which case.

- ``admin``: every case.
- ``staff``: the cases of their own office, plus the unassigned queue (cases without an
  office, or whose office is no longer one of the city's offices). Forwarding moves a case
  to another office, and so out of the forwarding person's reach.
- ``trainer``: no case and no transcript (they work on the trainers' backlog).

Denials are answered with 403 and written to the audit log by the web layer.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from bot.store import tickets


def sees_cases(user: Any) -> bool:
    """False for trainers: they see no case at all."""
    return str(user.role) in ("staff", "admin")


def may_reach(user: Any, office: str | None, known_offices: Collection[str]) -> bool:
    """Whether ``user`` may see and act on a case of ``office``."""
    if user.role == "admin":
        return True
    if user.role != "staff":
        return False
    if not office or office not in known_offices:
        return True  # the unassigned queue
    return bool(user.office) and office == user.office


def scope(user: Any, known_offices: Collection[str]) -> sa.ColumnElement[bool] | None:
    """The tickets ``user`` may list, as a WHERE clause (None: all of them)."""
    if user.role == "admin":
        return None
    if user.role != "staff":
        return sa.false()
    unassigned = sa.or_(
        tickets.c.office.is_(None), tickets.c.office.not_in(list(known_offices) or [""])
    )
    if not user.office:
        return unassigned
    return sa.or_(tickets.c.office == user.office, unassigned)
