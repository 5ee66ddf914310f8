"""The inbox's search, filters, sorting and paging as one SQL query on the cases.

``InboxQuery.from_args`` reads the inbox URL (``?q=…&status=…&sort=due&page=2``) and
``build`` turns it into SQLAlchemy selects. Who may see which cases (office / role
scoping) is not decided here: :class:`bot.cases.store.Desk` passes it as ``scope``, a WHERE
clause that is ANDed to every query, so the list, the count and the live updates see the
same cases. Staff routes call the desk, never :func:`run` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from bot.cases.model import CLOSED
from bot.config import TIMEZONE
from bot.handoff.reference import compact_reference
from bot.store import ticket_messages, tickets

PER_PAGE = 25
MAX_QUERY = 200
# Sortable columns: URL name -> column. "priority" = urgent first, then due time.
SORTS: dict[str, Any] = {
    "priority": tickets.c.due_at,
    "reference": tickets.c.reference,
    "status": tickets.c.status,
    "reason": tickets.c.reason,
    "channel": tickets.c.channel,
    "office": tickets.c.office,
    "created": tickets.c.created_at,
    "due": tickets.c.due_at,
    "assignee": tickets.c.assignee,
}
UNASSIGNED = "-"


@dataclass(frozen=True)
class InboxQuery:
    """What the caseworker asked the inbox for."""

    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: str = "offen"  # offen | alle | a status key
    office: str = ""
    reason: str = ""
    channel: str = ""
    assignee: str = ""  # "" anyone, "-" nobody, else a username
    mine: bool = False
    sort: str = "priority"
    desc: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, Any], default_office: str = "") -> InboxQuery:
        """Parses request args (Sanic's ``request.args`` or a plain dict); bad values are
        dropped, never an error. ``default_office`` applies when ``office`` is absent."""

        def arg(name: str) -> str:
            value = args.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value or "").strip()

        sort = arg("sort")
        try:
            page = max(1, min(10_000, int(arg("page") or 1)))
        except ValueError:
            page = 1
        return cls(
            q=arg("q")[:MAX_QUERY],
            date_from=_date(arg("from")),
            date_to=_date(arg("to")),
            status=arg("status") or "offen",
            office=arg("office") if "office" in args else default_office,
            reason=arg("reason"),
            channel=arg("channel"),
            assignee=arg("assignee"),
            mine=arg("mine") in ("1", "true", "on", "ja"),
            sort=sort if sort in SORTS else "priority",
            desc=arg("dir") == "desc",
            page=page,
        )

    def params(self, **changes: Any) -> str:
        """The URL query string of this query with ``changes`` (for sort and page links)."""
        q = replace(self, **changes)
        out: dict[str, str] = {}
        for f in fields(q):
            value = getattr(q, f.name)
            key = {"date_from": "from", "date_to": "to", "desc": "dir"}.get(f.name, f.name)
            if f.name == "desc":
                if value:
                    out[key] = "desc"
            elif f.name == "mine":
                if value:
                    out[key] = "1"
            elif f.name == "office":
                out[key] = value  # kept even when empty: "all offices" differs from default
            elif f.name == "page":
                if value != 1:
                    out[key] = str(value)
            elif value not in ("", None) and not (f.name == "status" and value == "offen"):
                out[key] = value.isoformat() if isinstance(value, date) else str(value)
            if f.name == "sort" and value == "priority":
                out.pop(key, None)
        return urlencode(out)

    def sort_link(self, column: str) -> str:
        """The query sorted by ``column``; the same column again flips the direction."""
        desc = not self.desc if self.sort == column else False
        return self.params(sort=column, desc=desc, page=1)


def _as_reference(text: str) -> str:
    """A reference as typed or read out, in its stored form (the city's prefix)."""
    return compact_reference(text)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TIMEZONE).astimezone(timezone.utc)


def _like(column: Any, text: str) -> Any:
    return sa.func.lower(column).contains(text.lower(), autoescape=True)


def conditions(
    query: InboxQuery,
    *,
    username: str,
    statuses: Mapping[str, str],
    urgent_reasons: frozenset[str] = frozenset(),
) -> list[Any]:
    """The WHERE clauses of ``query`` (without scoping)."""
    where: list[Any] = []
    if query.status == "offen":
        where.append(tickets.c.status != CLOSED)
    elif query.status == "dringend":
        where.append(tickets.c.status != CLOSED)
        where.append(tickets.c.reason.in_(sorted(urgent_reasons)))
    elif query.status in statuses:
        where.append(tickets.c.status == query.status)
    if query.office:
        where.append(tickets.c.office == query.office)
    if query.reason:
        where.append(tickets.c.reason == query.reason)
    if query.channel:
        where.append(tickets.c.channel == query.channel)
    if query.mine:
        where.append(tickets.c.assignee == username)
    elif query.assignee == UNASSIGNED:
        where.append(tickets.c.assignee.is_(None))
    elif query.assignee:
        where.append(tickets.c.assignee == query.assignee)
    if query.date_from:
        where.append(tickets.c.created_at >= _local_midnight_utc(query.date_from))
    if query.date_to:
        where.append(tickets.c.created_at < _local_midnight_utc(query.date_to + timedelta(days=1)))
    text = query.q.strip()
    if text:
        compact = _as_reference(text)
        in_messages = sa.exists().where(
            ticket_messages.c.ticket_id == tickets.c.id, _like(ticket_messages.c.text, text)
        )
        matches = [
            _like(tickets.c.summary, text),
            _like(tickets.c.transcript, text),
            in_messages,
        ]
        if compact:
            matches.append(tickets.c.reference.contains(compact, autoescape=True))
        else:
            matches.append(_like(tickets.c.reference, text))
        where.append(sa.or_(*matches))
    return where


def build(
    query: InboxQuery,
    *,
    username: str,
    statuses: Mapping[str, str],
    urgent_reasons: frozenset[str],
    scope: Any = None,
    per_page: int = PER_PAGE,
) -> tuple[sa.sql.Select, sa.sql.Select]:
    """``(page select, count select)`` for ``query``.

    Args:
        scope: an optional WHERE clause limiting what the user may see (office, role);
            ANDed to both selects.
    """
    where = conditions(query, username=username, statuses=statuses, urgent_reasons=urgent_reasons)
    if scope is not None:
        where.append(scope)
    urgent_first = sa.case((tickets.c.reason.in_(sorted(urgent_reasons)), 0), else_=1)
    column = SORTS[query.sort]
    order: list[Any]
    if query.sort == "priority":
        order = [urgent_first, tickets.c.due_at.desc() if query.desc else tickets.c.due_at]
    else:
        order = [column.desc() if query.desc else column.asc(), tickets.c.due_at]
    order.append(tickets.c.id)
    page = (
        sa.select(tickets)
        .where(*where)
        .order_by(*order)
        .limit(per_page)
        .offset((query.page - 1) * per_page)
    )
    count = sa.select(sa.func.count()).select_from(tickets).where(*where)
    return page, count


def run(
    engine: sa.engine.Engine, selects: tuple[sa.sql.Select, sa.sql.Select]
) -> tuple[list[Any], int]:
    """The rows of the requested page and the total number of matches (``selects``: what
    :func:`build` made for the query)."""
    page, count = selects
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar() or 0)
        rows = list(conn.execute(page))
    return rows, total
