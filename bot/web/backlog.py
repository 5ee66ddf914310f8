"""The trainers' backlog: questions the assistant could not answer, grouped and counted.

Shown to trainers and admins only. Texts were redacted when recorded (bot.backlog). A
trainer dismisses a group, or assigns it:

- as a synonym of a service: written into ``data/knowledge/services.yml`` (comments and
  layout kept); the matcher uses it at once, ``make train`` teaches it to the NLU;
- as a training example of an existing intent: written into ``data/nlu/backlog.yml``;
- as another wording of a FAQ question: written into ``data/knowledge/faq.yml``.

The last two take effect with the next ``make train``. Nothing that still contains a
redaction placeholder ("[IBAN entfernt]") can become training data. The writers into
those files are :mod:`bot.training_data`; this module is only the pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import sqlalchemy as sa
from rapidfuzz import fuzz
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from bot.knowledge.matching import STOPWORDS, words
from bot.store import backlog
from bot.training_data import (
    PLACEHOLDER,
    add_example,
    add_faq_question,
    add_synonym,
    trainable_intents,
)
from bot.web.auth import TRAINER_ROLES
from bot.web.base import Handler, audit, login_required, render, role_required

bp = Blueprint("backlog", url_prefix="/staff/backlog")
SIMILAR = 80  # token-set ratio from which two questions count as one group
KIND_LABELS = {
    "fallback": "nicht verstanden",
    "out_of_scope": "außerhalb des Angebots",
    "unknown_responsibility": "Leistung unbekannt",
    "unknown_opening_hours": "Amt unbekannt",
    "unknown_road_closures": "Straße unbekannt",
    "unknown_faq": "keine FAQ-Antwort",
}


@dataclass
class Group:
    """Similar questions: the first as example, how many, which kinds."""

    example: str
    ids: list[int] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    key: str = ""


def group_questions(
    rows: list[Any], threshold: int = SIMILAR, noise: frozenset[str] = frozenset()
) -> list[Group]:
    """Greedy grouping by token-set similarity of the folded content words, largest first.

    ``noise``: the city's name (``Knowledge.noise``), no topic of its own."""
    groups: list[Group] = []
    for row in rows:
        text = PLACEHOLDER.sub(" ", row.text)  # "[IBAN entfernt]" says nothing about the topic
        key = " ".join(w for w in words(text) if w not in STOPWORDS and w not in noise)
        for g in groups:
            if fuzz.token_set_ratio(key, g.key) >= threshold:
                g.ids.append(row.id)
                g.kinds.add(row.kind)
                break
        else:
            groups.append(Group(example=row.text, ids=[row.id], kinds={row.kind}, key=key))
    return sorted(groups, key=lambda g: -len(g.ids))


def trainer_required(handler: Handler) -> Handler:
    """Staff login plus the trainer (or admin) role; 403 for other staff."""
    return login_required(role_required(TRAINER_ROLES, "Nur für Trainer/innen.")(handler))


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
        groups=group_questions(rows, noise=knowledge.noise),
        kinds=KIND_LABELS,
        services=sorted(knowledge.services.values(), key=lambda s: s.name),
        intents=trainable_intents(_nlu_dir(request)),
        faq=list(knowledge.faq.values()),
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


def _nlu_dir(request: Request) -> Path:
    """``data/nlu`` beside the knowledge directory the app serves."""
    return Path(request.app.ctx.settings.knowledge_dir).parent / "nlu"


async def _adopt(
    request: Request,
    add: Callable[[str, str], str | None],
    field: str,
    target_field: str,
    resolution: str,
    audit_action: str,
    saved: str,
) -> HTTPResponse:
    """Writes the group's (edited) wording with ``add(target, text)``, then closes it."""
    form = request.form or {}
    target = str(form.get(target_field) or "")
    ids = _ids(request)
    if not ids:
        return redirect("/staff/backlog/?error=Keine+Fragen+ausgew%C3%A4hlt.")
    problem = await asyncio.to_thread(add, target, str(form.get(field) or ""))
    if problem:
        return redirect(f"/staff/backlog/?error={quote_plus(problem)}")
    user = request.ctx.user.username
    engine = request.app.ctx.engine
    await asyncio.to_thread(_close, engine, ids, "assigned", f"{resolution} {target}")
    await asyncio.to_thread(audit, engine, user, audit_action, target)
    return redirect(f"/staff/backlog/?ok={quote_plus(saved + ' Wirkt nach make train.')}")


@bp.post("/example")
@trainer_required
async def example(request: Request) -> HTTPResponse:
    """Adds the group's (edited) wording as a training example of an intent."""
    nlu_dir = _nlu_dir(request)
    return await _adopt(
        request,
        lambda intent, text: add_example(nlu_dir, intent, text),
        "example",
        "intent",
        "Beispiel für",
        "backlog_example",
        "Beispiel gespeichert (data/nlu/backlog.yml).",
    )


@bp.post("/faq")
@trainer_required
async def faq_question(request: Request) -> HTTPResponse:
    """Adds the group's (edited) wording as another question of a FAQ entry."""
    path = Path(request.app.ctx.settings.knowledge_dir) / "faq.yml"
    return await _adopt(
        request,
        lambda faq_id, text: add_faq_question(path, faq_id, text),
        "question",
        "faq",
        "FAQ-Frage für",
        "backlog_faq",
        "Frage gespeichert (data/knowledge/faq.yml).",
    )
