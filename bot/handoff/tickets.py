"""Ticket requests: idempotent, durable creation (with an outbox) and the labels; the cases
themselves (queries, state changes) belong to :mod:`bot.cases.store`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.cases import store as cases
from bot.cases.model import Status
from bot.handoff.reference import new_reference  # noqa: F401 - callers import it from here

logger = logging.getLogger(__name__)

STATUSES = {  # labels of bot.cases.model.Status
    Status.NEW.value: "neu",
    Status.NEW_MESSAGE.value: "neue Nachricht",
    Status.IN_PROGRESS.value: "in Bearbeitung",
    Status.WAITING.value: "wartet auf Bürger",
    Status.CLOSED.value: "erledigt",
}
REASON_LABELS = {
    "request_human": "Wunsch nach Mitarbeiter/in",
    "case_specific": "eigener Vorgang",
    "personal_data": "persönliche Daten",
    "sensitive_topic": "sensibles Thema",
    "complain": "Beschwerde",
    "emergency": "Notfall",
    "urgent_social": "dringende soziale Notlage",
    "report": "Meldung",
}
CLOSE_REASONS = {
    "erledigt": "erledigt",
    "keine_rueckmeldung": "keine Rückmeldung",
    "hassrede": "Hassrede",
    "weitergeleitet": "weitergeleitet",
}
# Every close reason with its label: those staff choose, and the citizen's own
# ("Hat sich erledigt" in the chat, bot.cases.conversation), which staff cannot choose.
CLOSE_REASON_LABELS = {**CLOSE_REASONS, "buerger": "von Bürger/in beendet"}


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
    # A resume link's token, hashed (bot.cases.resume); the token itself is never stored.
    resume_token_hash: str = ""
    resume_expires_at: datetime | None = None
    # A report of what is broken (bot.dialogue.report): kind, street, house_number,
    # observed, description, language, and the duplicate rule (window_days,
    # house_numbers); stored in the ``reports`` table, merged with an open report of the
    # same place (bot.cases.store.create).
    report: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Serialisable form for the outbox."""
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["due_at"] = self.due_at.isoformat()
        if self.resume_expires_at is not None:
            d["resume_expires_at"] = self.resume_expires_at.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> NewTicket:
        """Inverse of :meth:`to_json`."""
        d = dict(d)
        d["created_at"] = datetime.fromisoformat(d["created_at"])
        d["due_at"] = datetime.fromisoformat(d["due_at"])
        if d.get("resume_expires_at"):
            d["resume_expires_at"] = datetime.fromisoformat(d["resume_expires_at"])
        return cls(**d)


def insert_ticket(engine: Engine, t: NewTicket) -> tuple[str, bool]:
    """Creates the ticket unless one with the same idempotency key exists
    (:func:`bot.cases.store.create`).

    Returns:
        ``(reference, created)``; the existing ticket's reference when it was a repeat.
    """
    return cases.create(engine, t)


class Outbox:
    """Ticket requests that could not be stored yet, one fsynced JSON file each.

    Delivery is idempotent (the ticket's idempotency key), so an item delivered twice
    after a crash still makes one ticket.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def put(self, t: NewTicket) -> Path:
        """Stores a request durably (write, fsync, rename); refuses one the store would not take."""
        problem = invalid(t)
        if problem:
            raise ValueError(f"ticket request not storable: {problem}")
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
        """Delivers what it can, in order. Returns the count.

        A store that is down stops the round (the rest waits for the next one); an item
        the store can never take (unreadable, invalid, refused by a constraint) is moved
        to ``rejected/`` for the operator and does not block the items behind it.
        """
        delivered = 0
        with self._lock:
            for path in self.pending():
                try:
                    t = NewTicket.from_json(json.loads(path.read_text(encoding="utf-8")))
                    problem = invalid(t)
                    if problem:
                        raise ValueError(problem)
                except (ValueError, TypeError, KeyError) as exc:
                    self._reject(path, str(exc))
                    continue
                try:
                    deliver(t)
                except (sa.exc.DataError, sa.exc.IntegrityError) as exc:
                    self._reject(path, type(exc).__name__)
                    continue
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

    def _reject(self, path: Path, why: str) -> None:
        target = self.directory / "rejected"
        target.mkdir(parents=True, exist_ok=True)
        os.replace(path, target / path.name)
        logger.error("outbox: item %s can never be stored (%s); moved to rejected/", path.name, why)


# The store's column sizes (bot.store.tickets): checked before anything is queued.
LIMITS = {"reference": 20, "idem_key": 200, "sender_id": 200, "channel": 40, "reason": 40}


def invalid(t: NewTicket) -> str:
    """Why the store would refuse ``t`` ("" when it fits)."""
    for name, size in LIMITS.items():
        value = getattr(t, name)
        if not isinstance(value, str) or not value or len(value) > size:
            return f"{name} missing or longer than {size} characters"
    if t.office and len(t.office) > 60:
        return "office longer than 60 characters"
    return ""


def submit(engine_factory: Callable[[], Engine], outbox: Outbox, t: NewTicket) -> bool:
    """Stores the ticket, or puts it into the outbox when the store is unavailable.

    Returns:
        True when stored now, False when it waits in the outbox.
    """
    problem = invalid(t)
    if problem:
        raise ValueError(f"ticket request not storable: {problem}")
    try:
        outbox.drain(lambda item: insert_ticket(engine_factory(), item))
        insert_ticket(engine_factory(), t)
        return True
    except Exception:
        logger.exception("ticket store unavailable; ticket kept in the outbox")
        outbox.put(t)
        return False
