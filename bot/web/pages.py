"""Public pages: the city's service page with the chat, and the privacy notice."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html

bp = Blueprint("pages")


def render(request: Request, template: str, **context: object) -> HTTPResponse:
    """Renders a Jinja2 template of bot/web/templates."""
    tpl = request.app.ctx.templates.get_template(template)
    return html(tpl.render(settings=request.app.ctx.settings, **context))


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    """The city's service page with the chat widget."""
    return render(request, "index.html")


@bp.get("/datenschutz")
async def privacy(request: Request) -> HTTPResponse:
    """The privacy notice of the chat."""
    return render(request, "datenschutz.html")
