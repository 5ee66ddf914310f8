"""The trainers' backlog: questions the assistant could not answer, grouped and counted.

Shown to trainers and admins only. Texts were redacted when recorded (bot.backlog). A
trainer dismisses a group, or assigns it:

- as a synonym of a service: written into ``data/knowledge/services.yml`` (comments and
  layout kept); the matcher uses it at once, ``make train`` teaches it to the NLU;
- as a training example of an existing intent: written into ``data/nlu/backlog.yml``;
- as another wording of a FAQ question: written into ``data/knowledge/faq.yml``.

The last two take effect with the next ``make train``. Nothing that still contains a
redaction placeholder ("[IBAN entfernt]") can become training data.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import sqlalchemy as sa
from rapidfuzz import fuzz
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from bot.knowledge.matching import STOPWORDS, words
from bot.store import backlog
from bot.validation import nlu_examples, normalise_example
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
    "unknown_faq": "keine FAQ-Antwort",
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


BACKLOG_NLU_FILE = "backlog.yml"
BACKLOG_NLU_HEADER = (
    "# Trainingsbeispiele aus dem Trainer-Backlog (/staff/backlog/), von Trainer/innen\n"
    "# übernommen. Darf von Hand bearbeitet werden; danach `make validate` und `make train`.\n"
)
# Intents that only the system sets or that are generated from data/knowledge/.
NOT_TRAINABLE = frozenset({"ask_faq", "handoff_detected", "inform"})


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml: Any = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def trainable_intents(nlu_dir: Path) -> list[str]:
    """Intents with hand-written examples in ``data/nlu/*.yml``, sorted."""
    found = {intent for _, intent, _ in nlu_examples(sorted(nlu_dir.glob("*.yml")))}
    return sorted(found - NOT_TRAINABLE)


def clean_example(text: str) -> str | None:
    """The example as it will be stored, or None when it cannot be training data."""
    text = " ".join(text.split())
    if not 3 <= len(text) <= 200 or _PLACEHOLDER.search(text) or text.startswith("/"):
        return None
    return text


def add_example(nlu_dir: Path, intent: str, text: str) -> str | None:
    """Adds ``text`` as a training example of ``intent`` to ``data/nlu/backlog.yml``.

    Returns:
        None when added, else the reason (German, for the trainer).
    """
    from ruamel.yaml.scalarstring import LiteralScalarString

    example = clean_example(text)
    if example is None:
        return "Das Beispiel ist leer, zu lang oder enthält noch einen entfernten Teil."
    if intent not in trainable_intents(nlu_dir):
        return "Unbekannte Absicht."
    key = normalise_example(example)
    files = sorted(nlu_dir.glob("*.yml")) + sorted((nlu_dir / "generated").glob("*.yml"))
    for _, other, existing in nlu_examples(files):
        if normalise_example(existing) == key:
            return f"Dieses Beispiel gibt es schon (Absicht {other})."
    path = nlu_dir / BACKLOG_NLU_FILE
    yaml = _yaml()
    if path.exists():
        data = yaml.load(path.read_text(encoding="utf-8"))
    else:
        data = yaml.load(BACKLOG_NLU_HEADER + 'version: "3.1"\nnlu: []\n')
    items = data.setdefault("nlu", [])
    item = next((i for i in items if i.get("intent") == intent), None)
    if item is None:
        item = {"intent": intent, "examples": ""}
        items.append(item)
    item["examples"] = LiteralScalarString(f"{item['examples']}- {example}\n")
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return None


def add_faq_question(faq_file: Path, faq_id: str, question: str) -> str | None:
    """Adds ``question`` to a FAQ entry in ``data/knowledge/faq.yml`` (comments kept).

    Returns:
        None when added, else the reason (German, for the trainer).
    """
    text = clean_example(question)
    if text is None:
        return "Die Frage ist leer, zu lang oder enthält noch einen entfernten Teil."
    yaml = _yaml()
    data = yaml.load(faq_file.read_text(encoding="utf-8")) if faq_file.exists() else None
    entries = (data or {}).get("faq") or []
    entry = next((e for e in entries if e.get("id") == faq_id), None)
    if entry is None:
        return "Unbekannter FAQ-Eintrag."
    key = " ".join(words(text))
    if any(" ".join(words(str(q))) == key for e in entries for q in e.get("questions") or []):
        return "Diese Frage gibt es schon."
    entry["questions"].append(text)
    with faq_file.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return None


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
