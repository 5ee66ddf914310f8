"""Citizens' ratings of the assistant's answers: thumbs up/down with an optional comment.

The website widget posts to ``POST /api/feedback`` (bot.web.api); a messenger channel can
call :func:`record_feedback` directly. Comments are redacted (bot.handoff.redact) and
shortened before they are stored; the analytics pages only count them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.handoff.redact import redact
from bot.store import feedback

COMMENT_MAX = 500  # characters stored
COMMENT_INPUT_MAX = 2000  # characters read (and redacted) at most
PER_MINUTE = 5  # ratings per sender id and minute
TOPIC = re.compile(r"[a-z][a-z0-9_]{0,59}")
# The ``topic`` slot names the topic of a follow-up (intent ``inform``).
TOPIC_SLOT_INTENTS = {
    "opening_hours": "ask_opening_hours",
    "responsibility": "ask_responsibility",
    "road_closures": "ask_road_closures",
    "handoff": "request_human",
}


class FeedbackError(ValueError):
    """A rating that cannot be stored (bad rating, sender, channel or topic)."""


class TooManyRatings(Exception):
    """The sender rated more than :data:`PER_MINUTE` times in the last minute."""


def clean_comment(raw: str | None) -> str | None:
    """The comment as stored: control characters removed, redacted, at most 500 chars.

    Redaction runs before shortening, so that an identifier cut in half at the limit
    cannot slip through.
    """
    if not raw:
        return None
    text = "".join(
        ch if ch == "\n" or unicodedata.category(ch)[0] != "C" else " "
        for ch in str(raw)[:COMMENT_INPUT_MAX]
    )
    text = "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    if not text:
        return None
    return redact(text)[:COMMENT_MAX].strip() or None


def record_feedback(
    engine: Engine,
    *,
    sender_id: str,
    channel: str,
    rating: int,
    comment: str | None = None,
    topic: str | None = None,
    now: datetime,
) -> int:
    """Stores one rating; returns its id.

    Args:
        engine: the project's store (``HANDOFF_DB_URL``).
        sender_id: the conversation's sender id in Rasa.
        channel: Rasa's input channel name (``socketio``, ``telegram``, ``facebook``).
        rating: ``1`` (helpful) or ``-1`` (not helpful).
        comment: optional free text; redacted and shortened here.
        topic: the intent of the rated answer (see :func:`conversation_topic`).
        now: the current time (the app's clock).

    Raises:
        FeedbackError: for a bad rating, sender id, channel or topic.
        TooManyRatings: more than :data:`PER_MINUTE` ratings of the sender in a minute.
    """
    if isinstance(rating, bool) or rating not in (1, -1):
        raise FeedbackError("rating must be 1 or -1")
    if not isinstance(sender_id, str) or not 0 < len(sender_id) <= 200:
        raise FeedbackError("sender_id must be a non-empty string of at most 200 characters")
    if not isinstance(channel, str) or not 0 < len(channel) <= 40:
        raise FeedbackError("channel must be a non-empty string of at most 40 characters")
    if topic is not None and (not isinstance(topic, str) or not TOPIC.fullmatch(topic)):
        raise FeedbackError("topic must be an intent name")
    if comment is not None and not isinstance(comment, str):
        raise FeedbackError("comment must be a string")
    at = now.astimezone(timezone.utc)
    text = clean_comment(comment)
    with engine.begin() as conn:
        recent = conn.execute(
            sa.select(sa.func.count()).where(
                feedback.c.sender_id == sender_id,
                feedback.c.created_at > at - timedelta(minutes=1),
            )
        ).scalar_one()
        if recent >= PER_MINUTE:
            raise TooManyRatings(sender_id)
        result = conn.execute(
            sa.insert(feedback).values(
                sender_id=sender_id,
                channel=channel,
                rating=rating,
                comment=text,
                topic=topic,
                created_at=at,
            )
        )
        return int(result.inserted_primary_key[0])


def conversation_topic(tracker_engine: Engine, sender_id: str) -> tuple[str | None, str | None]:
    """The intent and input channel of the sender's latest message in Rasa's tracker store.

    A follow-up (``inform``) counts for the topic the assistant answered it in (the
    ``topic`` slot set after it). Returns ``(None, None)`` when the conversation is
    unknown or the tracker store cannot be read.
    """
    from bot.analytics import rasa_events as ev

    query = (
        sa.select(ev.c.type_name, ev.c.intent_name, ev.c.data)
        .where(ev.c.sender_id == sender_id, ev.c.type_name.in_(("user", "slot")))
        .order_by(ev.c.id.desc())
        .limit(50)
    )
    try:
        with tracker_engine.connect() as conn:
            found = list(conn.execute(query))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return None, None
    topic_slot: str | None = None
    for type_name, intent, data in found:
        try:
            event = json.loads(data or "{}")
        except ValueError:
            continue
        if type_name == "slot":
            if topic_slot is None and event.get("name") == "topic":
                topic_slot = str(event.get("value") or "") or None
            continue
        channel = event.get("input_channel")
        if intent == "inform" and topic_slot in TOPIC_SLOT_INTENTS:
            intent = TOPIC_SLOT_INTENTS[topic_slot]
        if intent is not None and not TOPIC.fullmatch(str(intent)):
            intent = None
        return intent, (str(channel)[:40] if channel else None)
    return None, None
