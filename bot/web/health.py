"""``GET /health``: 200 only when Rasa (model loaded), actions and the stores are ready."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.store import ping

bp = Blueprint("health")
TIMEOUT = aiohttp.ClientTimeout(total=3)


async def _check_rasa(request: Request) -> dict[str, Any]:
    s = request.app.ctx.settings
    url = f"{s.rasa_url}/status"
    try:
        async with request.app.ctx.http.get(
            url, params={"token": request.app.ctx.bot_api_token}, timeout=TIMEOUT
        ) as resp:
            if resp.status != 200:
                return {"ok": False, "detail": f"HTTP {resp.status}"}
            body = await resp.json()
            model = body.get("model_id") or body.get("model_file")
            return {"ok": bool(model), "detail": "model loaded" if model else "no model"}
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return {"ok": False, "detail": type(exc).__name__}


async def _check_actions(request: Request) -> dict[str, Any]:
    s = request.app.ctx.settings
    try:
        async with request.app.ctx.http.get(f"{s.actions_url}/health", timeout=TIMEOUT) as resp:
            return {"ok": resp.status == 200, "detail": f"HTTP {resp.status}"}
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return {"ok": False, "detail": type(exc).__name__}


async def _check_store(request: Request) -> dict[str, Any]:
    try:
        await asyncio.wait_for(
            asyncio.gather(
                asyncio.to_thread(ping, request.app.ctx.engine),
                asyncio.to_thread(ping, request.app.ctx.tracker_engine),
            ),
            timeout=5,
        )
        return {"ok": True, "detail": "tracker store and handoff store answer"}
    except Exception as exc:
        return {"ok": False, "detail": type(exc).__name__}


@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    """Per-component readiness; 503 until everything is ready."""
    rasa, actions, store = await asyncio.gather(
        _check_rasa(request), _check_actions(request), _check_store(request)
    )
    components = {"rasa": rasa, "actions": actions, "store": store, "web": {"ok": True}}
    ok = all(c["ok"] for c in components.values())
    return json(
        {"status": "ok" if ok else "unavailable", "components": components},
        status=200 if ok else 503,
    )
