"""Builders for the tests' own data: cases as the dialogue creates them, recorded payloads."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.handoff.tickets import NewTicket


def new_ticket(reference: str, sender_id: str, created: datetime, **fields: Any) -> NewTicket:
    """A case of ``sender_id`` opened at ``created``: by default on the website, about the
    citizen's own case, for the Bürgerbüro Mitte, due a day later, with the reference as
    idempotency key; ``fields`` set anything else (``office``, ``summary``, ``due_at``, ...)."""
    values: dict[str, Any] = {
        "reference": reference,
        "idem_key": reference,
        "sender_id": sender_id,
        "channel": "socketio",
        "reason": "case_specific",
        "office": "buergerbuero_mitte",
        "created_at": created,
        "due_at": created + timedelta(days=1),
    }
    return NewTicket(**{**values, **fields})


CONNECTORS = Path(__file__).resolve().parent / "data" / "connectors"


def connector_shapes(file_name: str) -> Any:
    """Recorded payloads of a messenger platform (``tests/data/connectors/<file_name>``)."""
    return json.loads((CONNECTORS / file_name).read_text())
