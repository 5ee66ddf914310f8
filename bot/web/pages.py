"""Public pages: the city's service page with the chat, the privacy notice and the
accessibility statement (German and English)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html

from bot.web.accessibility import load_statement

bp = Blueprint("pages")


def render(request: Request, template: str, **context: object) -> HTTPResponse:
    """Renders a Jinja2 template of bot/web/templates."""
    tpl = request.app.ctx.templates.get_template(template)
    return html(tpl.render(settings=request.app.ctx.settings, **context))


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    """The city's service page with the chat widget."""
    return render(request, "index.html")


@bp.post("/meldung/<reference>/foto")
async def report_photo(request: Request, reference: str) -> HTTPResponse:
    """A photo for the citizen's own report, from the chat on the website.

    Multipart form: ``session`` (the chat's session id, the conversation that made the
    report) and ``photo``. The photo is checked against reports.yml and stored without its
    metadata (:mod:`bot.cases.photos`).
    """
    import asyncio

    from sanic.response import json as json_response

    from bot.cases import store as cases
    from bot.cases.photos import PhotoRejected, clean
    from bot.knowledge.reports import load_settings
    from bot.timeutil import utcnow

    session = str((request.form or {}).get("session") or "")[:200]
    upload = (request.files or {}).get("photo")
    if not session or upload is None:
        return json_response({"ok": False, "error": "Bitte wählen Sie ein Foto aus."}, 400)
    settings = load_settings(request.app.ctx.settings.knowledge_dir)
    try:
        photo = await asyncio.to_thread(clean, upload.body, settings)
    except PhotoRejected as exc:
        return json_response({"ok": False, "error": str(exc)}, 400)
    stored = await asyncio.to_thread(
        cases.add_report_photo, request.app.ctx.engine, reference, session, photo, utcnow()
    )
    if not stored:
        return json_response(
            {"ok": False, "error": "Zu dieser Meldung kann kein Foto mehr angehängt werden."}, 404
        )
    return json_response({"ok": True})


@bp.get("/meldung/<token>")
async def report_status(request: Request, token: str) -> HTTPResponse:
    """The state of one citizen's report, from the link the website chat gave them.

    The token is a secret (192 bits; only its SHA-256 is stored). The page shows what was
    reported, where, and whether the office is still on it or done (with its public
    note); nothing personal. Not indexed, not cached.
    """
    import asyncio

    from bot.cases import store as cases
    from bot.cases.resume import TOKEN_PATTERN, hash_token
    from bot.web.report_status import page

    found = None
    if TOKEN_PATTERN.match(token):
        found = await asyncio.to_thread(
            cases.report_status, request.app.ctx.engine, hash_token(token)
        )
    context = page(request.app.ctx.knowledge(), found, request.app.ctx.settings.now())
    response = render(request, "report_status.html", **context)
    response.status = 200 if found else 404
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/datenschutz")
async def privacy(request: Request) -> HTTPResponse:
    """The privacy notice of the chat."""
    return render(request, "datenschutz.html")


STATEMENT_PAGES = {"de": "/barrierefreiheit", "en": "/en/accessibility"}


def statement_page(request: Request, lang: str) -> HTTPResponse:
    """The accessibility statement in ``lang``, from KNOWLEDGE_DIR/accessibility.yml."""
    path = request.app.ctx.settings.knowledge_dir / "accessibility.yml"
    other = "en" if lang == "de" else "de"
    return render(
        request,
        "accessibility.html",
        statement=load_statement(path, lang),
        other={"lang": other, "href": STATEMENT_PAGES[other]},
    )


@bp.get("/barrierefreiheit")
async def accessibility_de(request: Request) -> HTTPResponse:
    """Erklärung zur Barrierefreiheit."""
    return statement_page(request, "de")


@bp.get("/en/accessibility")
async def accessibility_en(request: Request) -> HTTPResponse:
    """The accessibility statement in English."""
    return statement_page(request, "en")
