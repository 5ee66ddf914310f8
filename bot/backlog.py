"""The trainers' backlog: questions the assistant could not answer, redacted."""

from __future__ import annotations

import logging
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import runtime
from bot.handoff.redact import redact
from bot.store import backlog

logger = logging.getLogger(__name__)
MAX_TEXT = 500


def record_unanswered(
    text: str, channel: str | None, kind: str = "fallback", engine: Engine | None = None
) -> None:
    """Stores a question for the trainers, with identifiers removed.

    Never raises: a failing store must not cost the citizen the answer.
    """
    clean = redact(text.strip())[:MAX_TEXT]
    if not clean:
        return
    try:
        with (engine or runtime.handoff_engine()).begin() as conn:
            conn.execute(
                sa.insert(backlog).values(
                    text=clean,
                    kind=kind,
                    channel=channel,
                    created_at=runtime.now().astimezone(timezone.utc),
                    status="open",
                )
            )
    except Exception:
        logger.exception("could not record a backlog question")
