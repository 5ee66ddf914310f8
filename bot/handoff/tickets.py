"""Tickets: idempotent, durable creation (with an outbox), lookups, staff actions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store import tickets

logger = logging.getLogger(__name__)

STATUSES = {
    "neu": "neu",
    "neue_nachricht": "neue Nachricht",  # the citizen wrote again since staff last acted
    "in_bearbeitung": "in Bearbeitung",
    "wartet": "wartet auf Bürger",
    "erledigt": "erledigt",
}
REASON_LABELS = {
    "request_human": "Wunsch nach Mitarbeiter/in",
    "case_specific": "eigener Vorgang",
    "personal_data": "persönliche Daten",
    "sensitive_topic": "sensibles Thema",
    "complain": "Beschwerde",
    "emergency": "Notfall",
}
CLOSE_REASONS = {
    "erledigt": "erledigt",
    "keine_rueckmeldung": "keine Rückmeldung",
    "hassrede": "Hassrede",
    "weitergeleitet": "weitergeleitet",
}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_reference() -> str:
    """A case reference citizens can read out on the phone: ``MS-7K4P-Q2XD``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"MS-{chars[:4]}-{chars[4:]}"


@dataclass
class NewTicket:
    """Everything needed to create a ticket (also what the outbox stores)."""

    reference: str
    idem_key: str
    sender_id: str
    channel: str
    reason: str
    office: str
    created_at: datetime
    due_at: datetime
    triggers: list[str] = field(default_factory=list)
    summary: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    redacted: bool = False

    def to_json(self) -> dict[str, Any]:
        """Serialisable form for the outbox."""
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["due_at"] = self.due_at.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> NewTicket:
        """Inverse of :meth:`to_json`."""
        d = dict(d)
        d["created_at"] = datetime.fromisoformat(d["created_at"])
        d["due_at"] = datetime.fromisoformat(d["due_at"])
        return cls(**d)


def insert_ticket(engine: Engine, t: NewTicket) -> tuple[str, bool]:
    """Creates the ticket unless one with the same idempotency key exists.

    Returns:
        ``(reference, created)``; the existing ticket's reference when it was a repeat.
    """
    values = {
        "reference": t.reference,
        "idem_key": t.idem_key,
        "sender_id": t.sender_id,
        "channel": t.channel,
        "reason": t.reason,
        "triggers": json.dumps(t.triggers),
        "status": "neu",
        "office": t.office,
        "summary": t.summary,
        "transcript": json.dumps(t.transcript, ensure_ascii=False),
        "redacted": t.redacted,
        "created_at": t.created_at,
        "due_at": t.due_at,
    }
    with engine.begin() as conn:
        existing = conn.execute(
            sa.select(tickets.c.reference).where(tickets.c.idem_key == t.idem_key)
        ).scalar()
        if existing:
            return str(existing), False
        with contextlib.suppress(sa.exc.IntegrityError):  # a concurrent insert won
            conn.execute(sa.insert(tickets).values(**values))
    with engine.connect() as conn:
        ref = conn.execute(
            sa.select(tickets.c.reference).where(tickets.c.idem_key == t.idem_key)
        ).scalar_one()
    return str(ref), ref == t.reference


class Outbox:
    """Ticket requests that could not be stored yet, one fsynced JSON file each.

    Delivery is idempotent (the ticket's idempotency key), so an item delivered twice
    after a crash still makes one ticket.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def put(self, t: NewTicket) -> Path:
        """Stores a request durably (write, fsync, rename)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(t.idem_key.encode()).hexdigest()[:32] + ".json"
        final = self.directory / name
        tmp = final.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(t.to_json(), fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        """Files waiting for delivery, oldest first."""
        if not self.directory.exists():
            return []
        return sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)

    def drain(self, deliver: Callable[[NewTicket], Any]) -> int:
        """Delivers what it can, in order; stops at the first failure. Returns the count."""
        delivered = 0
        with self._lock:
            for path in self.pending():
                try:
                    t = NewTicket.from_json(json.loads(path.read_text(encoding="utf-8")))
                    deliver(t)
                except Exception:
                    logger.warning(
                        "outbox: delivery failed, %d item(s) waiting", len(self.pending())
                    )
                    break
                path.unlink(missing_ok=True)
                delivered += 1
        if delivered:
            logger.info("outbox: delivered %d ticket(s)", delivered)
        return delivered


def submit(engine_factory: Callable[[], Engine], outbox: Outbox, t: NewTicket) -> bool:
    """Stores the ticket, or puts it into the outbox when the store is unavailable.

    Returns:
        True when stored now, False when it waits in the outbox.
    """
    try:
        outbox.drain(lambda item: insert_ticket(engine_factory(), item))
        insert_ticket(engine_factory(), t)
        return True
    except Exception:
        logger.exception("ticket store unavailable; ticket kept in the outbox")
        outbox.put(t)
        return False
