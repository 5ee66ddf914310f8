"""Resuming a messenger case on the website: a single-use, expiring capability.

The readable reference (``MS-7K4P-Q2XD``) only names a case; it grants nothing. A case
that must leave a messenger gets a resume token (``secrets.token_urlsafe``, 192 bits) whose
SHA-256 is stored in ``resume_tokens``; only the token is in the link. The first resume
binds the case to that website conversation; a later attempt from another conversation is
refused and audited, as are unknown and expired tokens. Resuming works only on the
website channel, and failed attempts are rate-limited per client.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.cases.model import CLOSED
from bot.channels.guard import RateLimiter
from bot.store import audit_log, resume_tokens, tickets
from bot.timeutil import as_utc

TOKEN_BYTES = 24  # 192 bits of randomness, 32 URL-safe characters
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
WEBSITE_CHANNEL = "socketio"


class Outcome(enum.Enum):
    """The result of one resume attempt."""

    RESUMED = "resumed"  # the case now belongs to this conversation
    ALREADY_HERE = "already_here"  # the same conversation opened the link again
    REFUSED = "refused"  # unknown, expired, closed or already used by someone else
    WRONG_CHANNEL = "wrong_channel"  # only the website may resume
    RATE_LIMITED = "rate_limited"  # too many failed attempts from this client


@dataclass(frozen=True)
class Grant:
    """A fresh resume token; ``token`` goes into the link, ``token_hash`` into the store."""

    token: str
    token_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class Request:
    """A resume link opened in a conversation.

    Attributes:
        token: the token from the link (as sent by the widget).
        sender_id: the website conversation that opened the link.
        channel: the input channel of the message; only the website is accepted.
        client: a key for the client (a pseudonymous hash of its IP address).
    """

    token: str
    sender_id: str
    channel: str
    client: str


@dataclass(frozen=True)
class Attempt:
    """What a resume attempt found."""

    outcome: Outcome
    ticket: Any = None  # the ticket row when resumed (or already here)


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token: what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_grant(now: datetime, hours: float) -> Grant:
    """A new token valid for ``hours`` from ``now``."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return Grant(token, hash_token(token), now.astimezone(timezone.utc) + timedelta(hours=hours))


def store_grant(
    conn: Connection, ticket_id: int, token_hash: str, expires_at: datetime, now: datetime
) -> None:
    """Stores a grant's hash for a ticket (inside the ticket's transaction)."""
    conn.execute(
        sa.insert(resume_tokens).values(
            token_hash=token_hash,
            ticket_id=ticket_id,
            created_at=now.astimezone(timezone.utc),
            expires_at=expires_at.astimezone(timezone.utc),
        )
    )


def _audit(conn: Connection, now: datetime, action: str, target: str | None, detail: str) -> None:
    conn.execute(
        sa.insert(audit_log).values(
            at=now.astimezone(timezone.utc),
            actor="citizen",
            action=action,
            target=target,
            detail=detail[:500],
        )
    )


def redeem(engine: Engine, request: Request, now: datetime, failures: RateLimiter) -> Attempt:
    """Moves the case of the request's token to its website conversation, once.

    Args:
        engine: the project's store.
        request: the link's token, the conversation, its channel and client.
        now: the current time (injected).
        failures: failed attempts per client; above its limit nothing is looked up.
    """
    token = str(request.token or "").strip()
    sender_id, channel, client = request.sender_id, request.channel, request.client
    if channel != WEBSITE_CHANNEL:
        with engine.begin() as conn:
            _audit(conn, now, "resume_refused", None, f"channel={channel[:40]}")
        return Attempt(Outcome.WRONG_CHANNEL)
    if failures.exceeded(client):
        return Attempt(Outcome.RATE_LIMITED)
    utc_now = now.astimezone(timezone.utc)
    with engine.begin() as conn:
        found = (
            conn.execute(
                sa.select(resume_tokens, tickets)
                .join(tickets, tickets.c.id == resume_tokens.c.ticket_id)
                .where(resume_tokens.c.token_hash == hash_token(token))
            ).first()
            if TOKEN_PATTERN.match(token)
            else None
        )
        reason = ""
        if found is None:
            reason = "unknown token"
        elif found.status == CLOSED:
            reason = "case closed"
        elif found.used_at is not None:
            if found.sender_id == sender_id and found.channel == WEBSITE_CHANNEL:
                return Attempt(Outcome.ALREADY_HERE, found)
            reason = "token already used"
        elif (as_utc(found.expires_at) or utc_now) <= utc_now:
            reason = "token expired"
        if found is not None and not reason:
            claimed = conn.execute(
                sa.update(resume_tokens)
                .where(
                    resume_tokens.c.token_hash == found.token_hash,
                    resume_tokens.c.used_at.is_(None),
                )
                .values(used_at=utc_now)
            ).rowcount
            if claimed != 1:  # a concurrent attempt won
                reason = "token already used"
        if reason or found is None:
            _audit(conn, now, "resume_refused", found.reference if found else None, reason)
        else:
            conn.execute(
                sa.update(tickets)
                .where(tickets.c.id == found.id)
                .values(
                    sender_id=sender_id,
                    channel=channel,
                    origin_channel=found.origin_channel or found.channel,
                    origin_sender_id=found.origin_sender_id or found.sender_id,
                )
            )
            _audit(conn, now, "resume", found.reference, f"from={found.channel}")
    if reason or found is None:
        failures.allow(client)
        return Attempt(Outcome.REFUSED)
    return Attempt(Outcome.RESUMED, found)
