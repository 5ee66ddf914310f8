"""Data protection: retention (scheduled deletion) and erasure on request (GDPR Art. 17).

Two stores hold personal data: the tracker store (Rasa's ``events`` table: every message
of every conversation) and the handoff store (``tickets`` with their transcript,
``ticket_messages``, and a ``feedback`` table when the project has one).

- :func:`run_retention` deletes conversations whose *last* event is older than
  ``RETENTION_CONVERSATION_DAYS`` and closed tickets older than ``RETENTION_TICKET_DAYS``
  (0 keeps forever). Open tickets and the conversations they belong to are never touched.
- :func:`erasure_scope` / :func:`erase` find and delete everything about one
  conversation or case reference (the staff page ``/staff/privacy/``).

Every function takes the engines and, where time matters, ``now``: nothing here reads the
clock or the environment, so the web app's daily job, ``python -m bot.cli retention`` and
the tests share the same code. Deletions are recorded in the append-only ``audit_log``
with counts only, never content; a sender id appears there only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import store
from bot.cases import store as cases
from bot.cases.model import CLOSED
from bot.handoff.redact import redact
from bot.handoff.reference import reference_pattern
from bot.rasa_events import events
from bot.store import audit_log, backlog, chunks

logger = logging.getLogger(__name__)


def _has_events(engine: Engine) -> bool:
    """False before Rasa has stored its first conversation (no ``events`` table yet)."""
    return sa.inspect(engine).has_table("events")


def sender_hash(sender_id: str, key: str = "") -> str:
    """A stable pseudonym of a sender id for the audit log (HMAC-SHA256 when keyed)."""
    data = sender_id.encode()
    digest = (
        hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
        if key
        else hashlib.sha256(data).hexdigest()
    )
    return f"sender:{digest[:16]}"


def _audit(
    conn: Connection, now: datetime, actor: str, action: str, target: str | None, detail: str
) -> None:
    """Appends one audit row (the audit log is insert-only; see docs/OPERATIONS.md)."""
    conn.execute(
        sa.insert(audit_log).values(
            at=now, actor=actor, action=action, target=target, detail=detail[:500]
        )
    )


# --- retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionPolicy:
    """How long data is kept; 0 days keeps it forever."""

    conversation_days: int = 90
    ticket_days: int = 365
    dry_run: bool = False


@dataclass
class RetentionResult:
    """What one retention run deleted (or, in a dry run, would delete)."""

    conversations: int = 0
    events: int = 0
    tickets: int = 0
    ticket_messages: int = 0
    feedback: int = 0
    backlog: int = 0
    log_files: int = 0
    dry_run: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """For the structured log and the CLI's JSON output."""
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


def protected_senders(handoff: Engine) -> set[str]:
    """Sender ids of every open ticket, including where a case came from (messenger)."""
    return cases.open_case_senders(handoff)


def expired_conversations(tracker: Engine, cutoff: datetime) -> list[str]:
    """Sender ids whose newest event is older than ``cutoff``."""
    if not _has_events(tracker):
        return []
    query = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff.timestamp())
    )
    with tracker.connect() as conn:
        return [row.sender_id for row in conn.execute(query)]


def _events_of(conn: Connection, senders: Iterable[str], delete: bool) -> int:
    total = 0
    for batch in chunks(senders):
        where = events.c.sender_id.in_(batch)
        if delete:
            total += conn.execute(sa.delete(events).where(where)).rowcount or 0
        else:
            total += conn.execute(sa.select(sa.func.count()).where(where)).scalar_one()
    return total


def expire_conversations(
    tracker: Engine, handoff: Engine, now: datetime, days: int, dry_run: bool = False
) -> tuple[int, int]:
    """Deletes conversations idle for more than ``days`` (none when 0).

    Returns:
        ``(conversations, events)`` deleted, or that would be deleted in a dry run.
    """
    if days <= 0:
        return 0, 0
    stale = expired_conversations(tracker, now - timedelta(days=days))
    if not stale:
        return 0, 0
    keep = protected_senders(handoff)
    senders = [s for s in stale if s not in keep]
    if dry_run:
        with tracker.connect() as conn:
            return len(senders), _events_of(conn, senders, delete=False)
    deleted = 0
    for batch in chunks(senders):  # one short transaction per batch: Rasa keeps writing
        with tracker.begin() as conn:
            deleted += _events_of(conn, batch, delete=True)
    return len(senders), deleted


def expire_feedback(handoff: Engine, now: datetime, days: int, dry_run: bool = False) -> int:
    """Deletes citizens' ratings (and their comments) older than ``days`` (none when 0).

    Ratings belong to a conversation and expire with the same period.
    """
    table = feedback_table()
    if days <= 0 or table is None or "created_at" not in table.c:
        return 0
    cutoff = now - timedelta(days=days)
    where = table.c.created_at < cutoff
    if dry_run:
        with handoff.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(where)).scalar() or 0)
    with handoff.begin() as conn:
        return int(conn.execute(sa.delete(table).where(where)).rowcount or 0)


def expire_tickets(
    handoff: Engine, now: datetime, days: int, dry_run: bool = False
) -> tuple[int, int]:
    """Deletes tickets closed more than ``days`` ago, with their messages (none when 0).

    Open tickets are never deleted, however old. A closed ticket without ``closed_at``
    (closed before that column was written) counts from its creation.

    Returns:
        ``(tickets, ticket_messages)`` deleted, or that would be deleted in a dry run.
    """
    if days <= 0:
        return 0, 0
    ids = cases.closed_before(handoff, now - timedelta(days=days))
    if not ids:
        return 0, 0
    if dry_run:
        with handoff.connect() as conn:
            return cases.delete_cases(conn, ids, delete=False)
    with handoff.begin() as conn:
        return cases.delete_cases(conn, ids, delete=True)


def expire_backlog(handoff: Engine, now: datetime, days: int, dry_run: bool = False) -> int:
    """Deletes trainers' backlog entries (redacted citizen questions) older than ``days``.

    They come from conversations and expire with the same period (none when 0).
    """
    if days <= 0:
        return 0
    where = backlog.c.created_at < now - timedelta(days=days)
    if dry_run:
        with handoff.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(where)).scalar() or 0)
    with handoff.begin() as conn:
        return int(conn.execute(sa.delete(backlog).where(where)).rowcount or 0)


def expire_log_files(log_dir: Path | None, now: datetime, days: int, dry_run: bool = False) -> int:
    """Deletes rotated log files (``*.jsonl.1`` …, ``*.log.1`` …) last written before ``days``.

    The current files are left alone (a process is writing them); rotation keeps them small.
    """
    if days <= 0 or log_dir is None or not log_dir.is_dir():
        return 0
    cutoff = (now - timedelta(days=days)).timestamp()
    old = [
        p
        for p in log_dir.iterdir()
        if p.is_file() and re.search(r"\.(jsonl|log)\.\d+$", p.name) and p.stat().st_mtime < cutoff
    ]
    if not dry_run:
        for path in old:
            path.unlink(missing_ok=True)
    return len(old)


def run_retention(
    tracker: Engine,
    handoff: Engine,
    now: datetime,
    policy: RetentionPolicy,
    log_dir: Path | None = None,
) -> RetentionResult:
    """One retention run: expired conversations, closed tickets, backlog, old log files.

    Logs the counts (no identifiers) and, unless it is a dry run that deleted nothing,
    appends them to the audit log as action ``retention``.
    """
    started = time.monotonic()
    now = now.astimezone(timezone.utc)
    conversations, n_events = expire_conversations(
        tracker, handoff, now, policy.conversation_days, policy.dry_run
    )
    n_tickets, n_messages = expire_tickets(handoff, now, policy.ticket_days, policy.dry_run)
    n_feedback = expire_feedback(handoff, now, policy.conversation_days, policy.dry_run)
    n_backlog = expire_backlog(handoff, now, policy.conversation_days, policy.dry_run)
    n_logs = expire_log_files(log_dir, now, policy.conversation_days, policy.dry_run)
    result = RetentionResult(
        conversations=conversations,
        events=n_events,
        tickets=n_tickets,
        ticket_messages=n_messages,
        feedback=n_feedback,
        backlog=n_backlog,
        log_files=n_logs,
        dry_run=policy.dry_run,
        seconds=time.monotonic() - started,
    )
    logger.info("retention %s", json.dumps(result.as_dict(), sort_keys=True))
    if not policy.dry_run and (conversations or n_tickets or n_feedback or n_backlog or n_logs):
        detail = (
            f"conversations={conversations} events={n_events} tickets={n_tickets} "
            f"ticket_messages={n_messages} feedback={n_feedback} "
            f"backlog={n_backlog} log_files={n_logs} "
            f"(conversation_days={policy.conversation_days}, "
            f"ticket_days={policy.ticket_days})"
        )
        with handoff.begin() as conn:
            _audit(conn, now, "system", "retention", None, detail)
    return result


# --- erasure on request ------------------------------------------------------------------


@dataclass
class ErasureScope:
    """Everything stored about one conversation or case (counts for the staff page)."""

    query: str
    by_reference: bool
    senders: set[str] = field(default_factory=set)
    ticket_ids: list[int] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    open_tickets: int = 0
    events: int = 0
    ticket_messages: int = 0
    feedback: int = 0
    outbox: list[Path] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing is stored about the query."""
        return not (self.events or self.ticket_ids or self.feedback or self.outbox)

    def counts(self) -> dict[str, int]:
        """The numbers shown to staff and written to the audit log."""
        return {
            "conversations": len(self.senders),
            "events": self.events,
            "tickets": len(self.ticket_ids),
            "ticket_messages": self.ticket_messages,
            "feedback": self.feedback,
            "outbox": len(self.outbox),
        }

    def audit_target(self, key: str = "") -> str:
        """The case reference when asked by one, else the hashed sender id."""
        if self.by_reference:
            return self.query
        return sender_hash(self.query, key)


def normalise_query(raw: str) -> tuple[str, bool]:
    """``(query, is_reference)``: case references are matched case-insensitively."""
    text = raw.strip()
    upper = text.upper()
    if reference_pattern(strict=False).fullmatch(upper):
        return upper, True
    return text, False


def feedback_table() -> sa.Table | None:
    """The ``feedback`` table when the project defines one with a ``sender_id`` column."""
    table = store.metadata.tables.get("feedback")
    if table is None or "sender_id" not in table.c:
        return None
    return table


def _outbox_items(outbox_dir: Path | None) -> list[tuple[Path, dict[str, Any]]]:
    """Tickets waiting in the outbox (``STATE_DIR/outbox``: the store was unavailable)."""
    if outbox_dir is None or not outbox_dir.is_dir():
        return []
    items = []
    for path in sorted(outbox_dir.glob("*.json")):
        try:
            items.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # delivered (and removed) meanwhile, or half written
    return items


def erasure_scope(
    tracker: Engine, handoff: Engine, raw_query: str, outbox_dir: Path | None = None
) -> ErasureScope:
    """What would be deleted for a sender id or a case reference (nothing is changed).

    Starting from the query, the scope takes every ticket of the sender (also as the
    messenger origin of a case resumed on the website) and every sender of those tickets,
    until nothing new is found: one person's conversation on two channels is one scope.
    Tickets still waiting in the outbox (``outbox_dir``) count as well.
    """
    query, by_reference = normalise_query(raw_query)
    scope = ErasureScope(query=query, by_reference=by_reference)
    if not query:
        return scope
    pending = _outbox_items(outbox_dir)
    with handoff.connect() as conn:
        ids: set[int] = set()
        if by_reference:
            found_id = cases.id_of_reference(conn, query)
            if found_id is not None:
                ids.add(found_id)
            scope.senders |= {
                str(item["sender_id"])
                for _, item in pending
                if item.get("reference") == query and item.get("sender_id")
            }
            if found_id is None and not scope.senders:
                return scope
        else:
            scope.senders.add(query)
        rows: list[Any] = []
        for _ in range(5):  # a chain longer than messenger → website does not occur
            rows = cases.related(conn, scope.senders, ids)
            found = {s for r in rows for s in (r.sender_id, r.origin_sender_id) if s}
            ids |= {r.id for r in rows}
            if found <= scope.senders:
                break
            scope.senders |= found
        scope.ticket_ids = sorted(ids)
        scope.outbox = [path for path, item in pending if item.get("sender_id") in scope.senders]
        scope.references = sorted(
            {r.reference for r in rows}
            | {str(i.get("reference")) for p, i in pending if p in scope.outbox}
        )
        scope.open_tickets = sum(1 for r in rows if r.status != CLOSED)
        scope.ticket_messages = cases.count_messages(conn, scope.ticket_ids)
        fb = feedback_table()
        if fb is not None and scope.senders:
            scope.feedback = conn.execute(
                sa.select(sa.func.count()).where(fb.c.sender_id.in_(sorted(scope.senders)))
            ).scalar_one()
    if scope.senders and _has_events(tracker):
        with tracker.connect() as tconn:
            scope.events = _events_of(tconn, sorted(scope.senders), delete=False)
    return scope


def erase(
    tracker: Engine,
    handoff: Engine,
    scope: ErasureScope,
    actor: str,
    now: datetime,
    *,
    hash_key: str = "",
    reason: str = "",
) -> dict[str, int]:
    """Deletes everything in ``scope`` and records it in the audit log: who (``actor``),
    when (``now``), what (counts, the reference or the hashed sender id) and why
    (``reason``: the request it answers, e.g. "Antrag vom 23.11.2026, schriftlich").

    Waiting outbox files go first (so they cannot be delivered meanwhile), then the
    tracker events (their own database), then feedback, tickets, messages and the audit
    row in one transaction of the handoff store. Run again after a failure: the scope is
    simply smaller.

    Returns:
        The counts actually deleted.
    """
    deleted = {"conversations": len(scope.senders), "events": 0, "tickets": 0}
    deleted |= {"ticket_messages": 0, "feedback": 0, "outbox": 0}
    for path in scope.outbox:  # before the store: the outbox worker could deliver it
        if path.exists():
            path.unlink(missing_ok=True)
            deleted["outbox"] += 1
    if scope.senders and _has_events(tracker):
        with tracker.begin() as tconn:
            deleted["events"] = _events_of(tconn, sorted(scope.senders), delete=True)
    with handoff.begin() as conn:
        fb = feedback_table()
        if fb is not None and scope.senders:
            for batch in chunks(sorted(scope.senders)):
                deleted["feedback"] += (
                    conn.execute(sa.delete(fb).where(fb.c.sender_id.in_(batch))).rowcount or 0
                )
        deleted["tickets"], deleted["ticket_messages"] = cases.delete_cases(
            conn, scope.ticket_ids, delete=True
        )
        cases.delete_reports_of(conn, scope.senders)  # a further report on another's case
        from bot.channels.window import forget  # WhatsApp: last-message time, waiting texts

        forget(conn, sorted(scope.senders))
        detail = " ".join(f"{k}={v}" for k, v in deleted.items())
        if reason:
            detail += f" reason={redact(reason)[:300]}"
        _audit(conn, now, actor, "delete", scope.audit_target(hash_key), detail)
    logger.info("erasure %s", json.dumps(deleted, sort_keys=True))
    return deleted
