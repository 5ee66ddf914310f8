"""A messenger's customer-service window: WhatsApp's 24 hours since the citizen's last message.

WhatsApp Business only delivers free-form messages within 24 hours of the citizen's last
message; after that only an approved template message gets through (Meta's "customer
service window"). A staff reply or interim message after a day of silence must therefore
go out as the template, and the text waits here until the citizen answers it.

The connector records each incoming message's time (the platform's own ``timestamp``);
the staff inbox asks :func:`staff_view` to tell staff what the citizen will see. Contacts
silent for a month with nothing waiting are forgotten.
This module has no Rasa import, so that the web app can use it. Rows are keyed by a
SHA-256 of channel and recipient: no identifier of the citizen is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store import messenger_windows

WINDOWS = {"whatsapp": timedelta(hours=24)}
FORGET_AFTER = timedelta(days=30)


def _key(channel: str, recipient_id: str) -> str:
    return hashlib.sha256(f"{channel}\x1f{recipient_id}".encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Windows:
    """The customer-service windows of one channel, in the project's store."""

    def __init__(
        self,
        channel: str,
        engine_factory: Callable[[], Engine],
        clock: Callable[[], datetime],
    ) -> None:
        self.channel = channel
        self.length = WINDOWS.get(channel, timedelta(days=36500))
        self._engine_factory = engine_factory
        self._clock = clock

    def last_inbound(self, recipient_id: str) -> datetime | None:
        """When the citizen last wrote, or None when never (as far as we know)."""
        with self._engine_factory().connect() as conn:
            row = conn.execute(
                sa.select(messenger_windows.c.last_inbound_at).where(
                    messenger_windows.c.key_hash == _key(self.channel, recipient_id)
                )
            ).first()
        return _utc(row.last_inbound_at) if row else None

    def is_open(self, recipient_id: str, now: datetime | None = None) -> bool:
        """True while free-form messages reach the citizen."""
        last = self.last_inbound(recipient_id)
        now = now or self._clock()
        return last is not None and _utc(now) - last < self.length

    def record_inbound(self, recipient_id: str, sent_at: datetime | None) -> list[str]:
        """Notes a citizen message (its platform time, else now); returns and clears the
        texts that waited for the window to reopen."""
        return [text for text, _ in self.record_inbound_items(recipient_id, sent_at)]

    def record_inbound_items(
        self, recipient_id: str, sent_at: datetime | None
    ) -> list[tuple[str, int | None]]:
        """As :meth:`record_inbound`, with each text's stored staff message id (if any)."""
        at = _utc(sent_at or self._clock())
        key = _key(self.channel, recipient_id)
        with self._engine_factory().begin() as conn:
            row = conn.execute(
                sa.select(messenger_windows).where(messenger_windows.c.key_hash == key)
            ).first()
            if row is None:
                conn.execute(
                    sa.insert(messenger_windows).values(
                        key_hash=key, last_inbound_at=at, pending="[]"
                    )
                )
                # Contacts silent for a month with nothing waiting are forgotten.
                conn.execute(
                    sa.delete(messenger_windows).where(
                        messenger_windows.c.last_inbound_at < at - FORGET_AFTER,
                        messenger_windows.c.pending == "[]",
                    )
                )
                return []
            latest = max(_utc(row.last_inbound_at), at)
            conn.execute(
                sa.update(messenger_windows)
                .where(messenger_windows.c.key_hash == key)
                .values(last_inbound_at=latest, pending="[]")
            )
            return [_item(t) for t in json.loads(row.pending or "[]")]

    def add_pending(self, recipient_id: str, text: str, message_id: int | None = None) -> None:
        """Keeps a text until the citizen answers the template (with the stored staff
        message's id, so that its delivery can be recorded when it goes out)."""
        entry: Any = {"text": text, "message_id": message_id} if message_id else text
        key = _key(self.channel, recipient_id)
        with self._engine_factory().begin() as conn:
            row = conn.execute(
                sa.select(messenger_windows).where(messenger_windows.c.key_hash == key)
            ).first()
            if row is None:
                conn.execute(
                    sa.insert(messenger_windows).values(
                        key_hash=key,
                        last_inbound_at=datetime(1970, 1, 1, tzinfo=timezone.utc),
                        pending=json.dumps([entry]),
                    )
                )
                return
            pending = [*json.loads(row.pending or "[]"), entry]
            conn.execute(
                sa.update(messenger_windows)
                .where(messenger_windows.c.key_hash == key)
                .values(pending=json.dumps(pending[-20:]))
            )


def _item(raw: Any) -> tuple[str, int | None]:
    """A waiting entry: a plain text (older entries) or ``{"text", "message_id"}``."""
    if isinstance(raw, dict):
        mid = raw.get("message_id")
        return str(raw.get("text") or ""), int(mid) if isinstance(mid, int) else None
    return str(raw), None


def staff_view(
    engine: Engine, channel: str, recipient_id: str, now: datetime, template_name: str
) -> dict[str, object] | None:
    """What the staff inbox shows before a reply: None for channels without a window,
    else whether it is closed and which template the citizen will see instead."""
    if channel not in WINDOWS:
        return None
    windows = Windows(channel, lambda: engine, lambda: now)
    return {
        "closed": not windows.is_open(recipient_id),
        "last_inbound": windows.last_inbound(recipient_id),
        "template": template_name,
    }


def forget(conn: sa.engine.Connection, senders: list[str]) -> int:
    """Deletes the windows (and waiting texts) of ``senders`` (erasure on request)."""
    keys = [_key(channel, sender) for channel in WINDOWS for sender in senders]
    if not keys:
        return 0
    where = messenger_windows.c.key_hash.in_(keys)
    return int(conn.execute(sa.delete(messenger_windows).where(where)).rowcount or 0)
