"""The trainers' backlog: questions the assistant could not answer, grouped and counted.

Shown to trainers and admins only. Texts were redacted when recorded (bot.backlog). A
trainer dismisses a group, or adds its wording as a synonym of a service: the synonym is
written into ``data/knowledge/services.yml`` (comments and layout kept) and the matcher
uses it at once; ``make train`` teaches it to the NLU as well.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from bot.knowledge.matching import STOPWORDS, words
from bot.store import backlog
from bot.web.staff import Handler, audit, login_required, render

bp = Blueprint("backlog", url_prefix="/staff/backlog")
_PLACEHOLDER = re.compile(r"\[[^\]]* entfernt\]")
SIMILAR = 80  # token-set ratio from which two questions count as one group
KIND_LABELS = {
    "fallback": "nicht verstanden",
    "out_of_scope": "außerhalb des Angebots",
    "unknown_responsibility": "Leistung unbekannt",
    "unknown_opening_hours": "Amt unbekannt",
    "unknown_road_closures": "Straße unbekannt",
}


@dataclass
class Group:
    """Similar questions: the first as example, how many, which kinds."""

    example: str
    ids: list[int] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    key: str = ""


def group_questions(rows: list[Any], threshold: int = SIMILAR) -> list[Group]:
    """Greedy grouping by token-set similarity of the folded content words, largest first."""
    groups: list[Group] = []
    for row in rows:
        text = _PLACEHOLDER.sub(" ", row.text)  # "[IBAN entfernt]" says nothing about the topic
        key = " ".join(w for w in words(text) if w not in STOPWORDS)
        for g in groups:
            if fuzz.token_set_ratio(key, g.key) >= threshold:
                g.ids.append(row.id)
                g.kinds.add(row.kind)
                break
        else:
            groups.append(Group(example=row.text, ids=[row.id], kinds={row.kind}, key=key))
    return sorted(groups, key=lambda g: -len(g.ids))


def add_synonym(services_file: Path, service_id: str, synonym: str) -> bool:
    """Appends a synonym to a service in services.yml (round trip: comments stay).

    Returns:
        False when the service does not exist or already has the synonym.
    """
    from ruamel.yaml import YAML

    yaml: Any = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    data = yaml.load(services_file.read_text(encoding="utf-8"))
    for service in data["services"]:
        if service["id"] != service_id:
            continue
        synonyms = service.setdefault("synonyms", [])
        if synonym.lower() in (str(s).lower() for s in synonyms):
            return False
        synonyms.append(synonym)
        with services_file.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
        return True
    return False


def trainer_required(handler: Handler) -> Handler:
    """Staff login plus the trainer (or admin) role; 403 for other staff."""

    @wraps(handler)
    async def wrapper(request: Request) -> HTTPResponse:
        if not request.ctx.user.is_trainer:
            return render(request, "staff_error.html", status=403, message="Nur für Trainer/innen.")
        return await handler(request)

    return login_required(wrapper)


def _open_rows(engine: sa.engine.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(backlog.c.id, backlog.c.text, backlog.c.kind)
                .where(backlog.c.status == "open")
                .order_by(backlog.c.id)
                .limit(2000)
            )
        )


def _close(engine: sa.engine.Engine, ids: list[int], status: str, resolution: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(backlog)
            .where(backlog.c.id.in_(ids), backlog.c.status == "open")
            .values(status=status, resolution=resolution[:200])
        )


def _ids(request: Request) -> list[int]:
    raw = str((request.form or {}).get("ids") or "")
    return [int(x) for x in raw.split(",") if x.strip().isdigit()]


@bp.get("/")
@trainer_required
async def page(request: Request) -> HTTPResponse:
    """The grouped open questions."""
    rows = await asyncio.to_thread(_open_rows, request.app.ctx.engine)
    knowledge = request.app.ctx.knowledge()
    return render(
        request,
        "staff_backlog.html",
        groups=group_questions(rows),
        kinds=KIND_LABELS,
        services=sorted(knowledge.services.values(), key=lambda s: s.name),
        notice=request.args.get("ok"),
        error=request.args.get("error"),
    )


@bp.post("/dismiss")
@trainer_required
async def dismiss(request: Request) -> HTTPResponse:
    """Dismisses a group of questions."""
    ids = _ids(request)
    user = request.ctx.user.username
    await asyncio.to_thread(_close, request.app.ctx.engine, ids, "dismissed", f"verworfen ({user})")
    await asyncio.to_thread(audit, request.app.ctx.engine, user, "backlog_dismiss", f"{len(ids)}")
    return redirect("/staff/backlog/?ok=Verworfen.")


@bp.post("/synonym")
@trainer_required
async def synonym(request: Request) -> HTTPResponse:
    """Adds the group's wording as a synonym of a service (data/knowledge/services.yml)."""
    form = request.form or {}
    service_id = str(form.get("service") or "")
    term = " ".join(str(form.get("synonym") or "").split())[:80]
    ids = _ids(request)
    if not term or not ids:
        return redirect("/staff/backlog/?error=Bitte+ein+Synonym+eingeben.")
    path = request.app.ctx.settings.knowledge_dir / "services.yml"
    added = await asyncio.to_thread(add_synonym, path, service_id, term)
    if not added:
        return redirect("/staff/backlog/?error=Leistung+unbekannt+oder+Synonym+schon+vorhanden.")
    user = request.ctx.user.username
    await asyncio.to_thread(
        _close, request.app.ctx.engine, ids, "assigned", f"Synonym „{term}“ für {service_id}"
    )
    await asyncio.to_thread(
        audit, request.app.ctx.engine, user, "backlog_synonym", service_id, term
    )
    return redirect(
        "/staff/backlog/?ok=Synonym+gespeichert.+Nach+make+train+kennt+es+auch+die+NLU."
    )
