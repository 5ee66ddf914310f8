"""The project's own relational store: tickets, resume tokens, staff, trainers' backlog, citizens'
feedback, audit log.

SQLite in STATE_DIR by default, PostgreSQL by ``HANDOFF_DB_URL``: the same SQLAlchemy
Core tables on both. Engines are created by :func:`make_engine`, never at import time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()


def _moment(name: str, nullable: bool = False, index: bool | None = None) -> sa.Column:
    """A point in time; every one is stored with its time zone."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, index=index)


BATCH = 500  # ids per IN (...) clause: well below SQLite's and PostgreSQL's limits


def chunks(items: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``, for queries with an ``IN (...)`` clause."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(20), nullable=False, unique=True),
    sa.Column("idem_key", sa.String(200), nullable=False, unique=True),
    sa.Column("sender_id", sa.String(200), nullable=False, index=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("origin_channel", sa.String(40), nullable=True),  # before a resume on the website
    sa.Column("origin_sender_id", sa.String(200), nullable=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("triggers", sa.Text, nullable=False, default="[]"),
    sa.Column("status", sa.String(20), nullable=False, default="neu", index=True),
    sa.Column("office", sa.String(60), nullable=True),
    sa.Column("assignee", sa.String(80), nullable=True),
    sa.Column("summary", sa.Text, nullable=False, default=""),
    sa.Column("transcript", sa.Text, nullable=False, default="[]"),
    sa.Column("redacted", sa.Boolean, nullable=False, default=False),
    _moment("created_at"),
    _moment("due_at"),
    _moment("first_response_at", nullable=True),
    _moment("interim_sent_at", nullable=True),
    _moment("notified_at", nullable=True),
    _moment("overdue_notified_at", nullable=True),
    _moment("closed_at", nullable=True),
    sa.Column("close_reason", sa.String(40), nullable=True),
)

ticket_messages = sa.Table(
    "ticket_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),  # reply | note | interim | system
    sa.Column("author", sa.String(80), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    _moment("created_at"),
    sa.Column("delivered", sa.Boolean, nullable=False, default=False),
)

# Reports of what is broken (bot.dialogue.report): one row per citizen's report. The first
# report of a place makes the case (reason "report"); a duplicate (same kind, same street,
# house numbers close, within the window) is a further row on the same case, so the
# caseworker sees the count and every reporter hears when it is done. Owned by
# bot.cases.store.
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("idem_key", sa.String(200), nullable=False, unique=True),
    sa.Column("reference", sa.String(20), nullable=False),  # what this citizen was told
    sa.Column("sender_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("language", sa.String(8), nullable=False, default="de"),
    sa.Column("kind", sa.String(60), nullable=False, index=True),  # a service id
    sa.Column("street", sa.String(120), nullable=False, default=""),
    sa.Column("house_number", sa.String(10), nullable=False, default=""),
    sa.Column("observed", sa.String(120), nullable=False, default=""),  # "seit Wochen"
    sa.Column("description", sa.Text, nullable=False, default=""),  # redacted
    sa.Column("duplicate", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # SHA-256 of the token in the website citizen's status link (/meldung/<token>); the
    # token itself is only in the link (bot.cases.resume.hash_token)
    sa.Column("status_token_hash", sa.String(64), nullable=True, unique=True),
    # the news this reporter got when the case was done (their language, public note)
    sa.Column("done_notice", sa.Text, nullable=True),
)

# A photo sent with a report on the website: re-encoded without metadata (EXIF, GPS).
report_photos = sa.Table(
    "report_photos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# How the channel answered when a staff reply was sent: confirmed by the citizen's client
# (website: the widget acknowledged the socket.io event) or the platform (messenger API
# answered 2xx), waiting (WhatsApp: for the 24-hour window), or not delivered (with why).
# ``ticket_messages.delivered`` is true only when confirmed. Owned by bot.cases.store.
message_deliveries = sa.Table(
    "message_deliveries",
    metadata,
    sa.Column("message_id", sa.Integer, sa.ForeignKey("ticket_messages.id"), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),  # zugestellt | wartet | nicht_zugestellt
    sa.Column("channel", sa.String(40), nullable=True),
    sa.Column("detail", sa.String(200), nullable=True),
    _moment("at"),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
)

# Resume links (messenger -> website): a single-use capability per case, separate from the
# readable reference. Only the SHA-256 of the token is stored (bot/cases/resume.py).
resume_tokens = sa.Table(
    "resume_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    _moment("created_at"),
    _moment("expires_at"),
    _moment("used_at", nullable=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # staff | trainer | admin
    sa.Column("office", sa.String(60), nullable=True),
    sa.Column("email", sa.String(200), nullable=True),
    _moment("created_at"),
)

backlog = sa.Table(
    "backlog",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),  # redacted
    sa.Column("kind", sa.String(30), nullable=False),  # fallback | out_of_scope | unknown_*
    sa.Column("channel", sa.String(40), nullable=True),
    _moment("created_at"),
    sa.Column("status", sa.String(20), nullable=False, default="open", index=True),
    sa.Column("resolution", sa.String(200), nullable=True),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(200), nullable=False, index=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("rating", sa.SmallInteger, nullable=False),  # +1 helpful, -1 not helpful
    sa.Column("comment", sa.Text, nullable=True),  # redacted, at most 500 characters
    sa.Column("topic", sa.String(60), nullable=True),  # intent of the rated answer
    _moment("created_at", index=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    _moment("created_at"),
    _moment("expires_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _moment("at"),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(200), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
)


# Messenger webhooks already processed, so that a redelivered webhook (platforms retry
# when an answer is slow or lost) is processed once. The key is a SHA-256 of channel,
# sender and the platform's message id: no identifier of the citizen is stored. Owned by
# bot.channels.dedup.
webhook_seen = sa.Table(
    "webhook_seen",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    _moment("seen_at", index=True),
)

# When a messenger contact last wrote (WhatsApp's 24-hour customer-service window) and
# the staff messages waiting for the window to reopen. Keyed by a SHA-256 of channel and
# recipient. Owned by bot.channels.window.
messenger_windows = sa.Table(
    "messenger_windows",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    _moment("last_inbound_at"),
    sa.Column("pending", sa.Text, nullable=False, default="[]"),
)

# The audit log is append-only: the app only inserts (tests/unit/test_privacy_web.py
# checks the source), and on SQLite these triggers refuse UPDATE and DELETE outright.
# PostgreSQL: see docs/OPERATIONS.md ("Audit log") for the trigger or REVOKE to apply.
AUDIT_APPEND_ONLY_SQLITE = tuple(
    f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for op in ("UPDATE", "DELETE")
)


def sqlite_pragmas(engine: Engine, *pragmas: str) -> None:
    """Runs ``pragmas`` on every new SQLite connection of ``engine``."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in pragmas:
            cur.execute(pragma)
        cur.close()


def make_engine(url: str) -> Engine:
    """Creates an engine for ``url`` and the tables if missing.

    SQLite files get their directory created and WAL mode for concurrent readers.
    """
    # hide_parameters: an error message never quotes the values (transcripts, names)
    kwargs: dict[str, object] = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        sqlite_pragmas(engine, "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")
    metadata.create_all(engine)
    if url.startswith("sqlite"):
        with engine.begin() as conn:
            for statement in AUDIT_APPEND_ONLY_SQLITE:
                conn.execute(sa.text(statement))
    return engine


def ping(engine: Engine) -> None:
    """Raises when the database does not answer."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
