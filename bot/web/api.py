"""JSON API for integrations and tests: ``GET /api/handoffs`` (Bearer token)."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

import sqlalchemy as sa
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.store import tickets

bp = Blueprint("api", url_prefix="/api")
FIELDS = (
    "id",
    "reference",
    "sender_id",
    "channel",
    "reason",
    "status",
    "office",
    "created_at",
    "due_at",
)


def authorized(request: Request) -> bool:
    """True when the request carries ``Authorization: Bearer $HANDOFF_API_TOKEN``."""
    expected = request.app.ctx.handoff_api_token
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token, expected)


def _rows(engine: sa.engine.Engine, sender_id: str | None) -> list[dict[str, Any]]:
    query = sa.select(*[tickets.c[f] for f in FIELDS]).order_by(tickets.c.id)
    if sender_id:
        query = query.where(tickets.c.sender_id == sender_id)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
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
