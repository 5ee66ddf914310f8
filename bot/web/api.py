"""JSON API: ``GET /api/handoffs`` (Bearer token) for integrations and tests, and
``POST /api/feedback`` for the website widget's ratings."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.cases import store as cases
from bot.channels.guard import secret_bytes as _b
from bot.feedback import (
    COMMENT_INPUT_MAX,
    FeedbackError,
    TooManyRatings,
    conversation_topic,
    record_feedback,
)

bp = Blueprint("api", url_prefix="/api")
FIELDS = cases.API_FIELDS


def authorized(request: Request) -> bool:
    """True when the request carries ``Authorization: Bearer $HANDOFF_API_TOKEN``."""
    expected = request.app.ctx.handoff_api_token
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(_b(token), _b(expected))
    )


def _rows(engine: Any, sender_id: str | None) -> list[dict[str, Any]]:
    rows = cases.api_list(engine, sender_id)
    for r in rows:
        for key in ("created_at", "due_at"):
            r[key] = r[key].isoformat() if r[key] else None
    return rows


@bp.get("/handoffs")
async def list_handoffs(request: Request) -> HTTPResponse:
    """Tickets, optionally of one conversation (``?sender_id=``)."""
    if not authorized(request):
        return json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})
    sender = request.args.get("sender_id")
    rows = await asyncio.to_thread(_rows, request.app.ctx.engine, sender)
    return json(rows)


@bp.post("/feedback")
async def post_feedback(request: Request) -> HTTPResponse:
    """A citizen's rating of the latest answer on the website.

    Body: ``{"sender_id": "...", "rating": 1 | -1, "comment": "...", "topic": "..."}``
    (comment and topic optional). The topic and channel are taken from the tracker store
    when the conversation is known there; the widget's topic is only a fallback.
    Answers 201, 400 for a bad body, 429 after too many ratings in a minute.
    """
    if (request.content_type or "").split(";")[0].strip() != "application/json":
        return json({"error": "Content-Type must be application/json"}, status=400)
    try:
        body = request.json
    except Exception:
        return json({"error": "invalid JSON"}, status=400)
    if not isinstance(body, dict):
        return json({"error": "expected a JSON object"}, status=400)
    sender_id, rating = body.get("sender_id"), body.get("rating")
    comment, topic = body.get("comment"), body.get("topic")
    if not isinstance(sender_id, str) or not sender_id.strip():
        return json({"error": "sender_id missing"}, status=400)
    if comment is not None and (not isinstance(comment, str) or len(comment) > COMMENT_INPUT_MAX):
        return json(
            {"error": f"comment must be text of at most {COMMENT_INPUT_MAX} characters"}, status=400
        )
    tracked_topic, channel = await asyncio.to_thread(
        conversation_topic, request.app.ctx.tracker_engine, sender_id
    )
    try:
        await asyncio.to_thread(
            lambda: record_feedback(
                request.app.ctx.engine,
                sender_id=sender_id,
                channel=channel or "socketio",
                rating=rating,  # type: ignore[arg-type]  # validated there
                comment=comment,
                topic=tracked_topic or topic,
                now=request.app.ctx.settings.now(),
            )
        )
    except FeedbackError as err:
        return json({"error": str(err)}, status=400)
    except TooManyRatings:
        return json({"error": "too many ratings"}, status=429, headers={"Retry-After": "60"})
    return json({"ok": True}, status=201)
