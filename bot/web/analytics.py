"""The analytics pages: usage, topics, handoffs, response times and satisfaction.

Every logged-in member of staff sees them. Figures come from bot.analytics (counts
only); charts are inline SVG computed here and drawn by the template, each with a data
table beside it, so nothing needs JavaScript. Exports: the shown figures as CSV
(``export.csv``) and the aggregate open data (``open-data.csv`` / ``open-data.json``);
every export is written to the audit log.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from bot import analytics
from bot.analytics import Range, RangeError, Report
from bot.web.base import audit, error_page, login_required, render

bp = Blueprint("analytics", url_prefix="/staff/analytics")
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")  # Okabe–Ito
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


# --- charts -----------------------------------------------------------------------------


@dataclass
class Bar:
    """One rectangle of a chart, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass
class Chart:
    """Geometry of an SVG chart; the template draws it."""

    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)  # x, y, text, anchor
    grid: list[dict[str, Any]] = field(default_factory=list)  # y, text
    legend: list[dict[str, Any]] = field(default_factory=list)  # x, y, color, text
    description: str = ""


def _nice_max(value: int) -> int:
    """A round axis maximum ≥ value (1, 2, 5 × 10ⁿ)."""
    if value <= 4:
        return max(value, 1)
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _legend(
    out: list[dict[str, Any]], channels: list[str], colors: dict[str, str], left: int, right: int
) -> int:
    """Places one legend entry per channel, wrapping into rows; returns the row count."""
    x, row = left, 0
    for chan in channels:
        text = analytics.channel_label(chan)
        advance = 30 + 7 * len(text)  # swatch, gap, ~7 px per character at 12 px
        if x > left and x + advance > right:
            x, row = left, row + 1
        out.append({"x": x, "y": 12 + 18 * row, "color": colors[chan], "text": text})
        x += advance
    return row + 1 if channels else 0


def day_label(day: date) -> str:
    """``Mo 23.11.``"""
    return f"{WEEKDAYS[day.weekday()]} {day:%d.%m.}"


def days_chart(report: Report) -> Chart:
    """Conversations per day, stacked by channel."""
    days = list(report.per_day)
    channels = list(report.channels)
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(channels)}
    left, bottom, right = 40, 40, 10
    width = max(480, min(900, left + right + 72 * len(days)))
    legend: list[dict[str, Any]] = []
    top = 18 + 18 * _legend(legend, channels, colors, left, width - right)
    height = 220 + top
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v["conversations"] for v in report.per_day.values()), default=0))
    chart = Chart(width, height, legend=legend)
    for frac in (0, 0.5, 1):
        value = top_value * frac
        if value != int(value):
            continue
        chart.grid.append({"y": top + plot_h * (1 - frac), "text": f"{int(value)}"})
    slot = plot_w / max(len(days), 1)
    bar_w = max(2.0, slot * 0.7)
    every = max(1, math.ceil(72 / slot))  # date labels at least ~72 px apart
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y = float(top + plot_h)
        for chan in channels:
            n = report.per_day_channel[day].get(chan, 0)
            if not n:
                continue
            h = plot_h * n / top_value
            y -= h
            chart.bars.append(
                Bar(
                    x,
                    y,
                    bar_w,
                    h,
                    colors[chan],
                    f"{day_label(day)}: {n} Gespräche ({analytics.channel_label(chan)})",
                )
            )
        if i % every == 0:
            chart.labels.append(
                {"x": x + bar_w / 2, "y": height - bottom + 16, "text": day_label(day)}
            )
    busiest = max(days, key=lambda d: report.per_day[d]["conversations"]) if days else None
    chart.description = (
        f"Gespräche pro Tag vom {report.range.first:%d.%m.%Y} bis {report.range.last:%d.%m.%Y}, "
        f"nach Kanal gestapelt: insgesamt {report.conversations}"
        + (
            f", am meisten am {day_label(busiest)} ({report.per_day[busiest]['conversations']})."
            if busiest is not None and report.conversations
            else "."
        )
    )
    return chart


def topics_chart(report: Report, limit: int = 10) -> Chart:
    """The most frequent topics (intents) as horizontal bars."""
    items = report.topics[:limit]
    left, right, row = 210, 50, 26
    width, height = 640, max(60, 10 + row * len(items))
    top_value = max((n for _, n in items), default=1) or 1
    chart = Chart(width, height)
    for i, (intent, n) in enumerate(items):
        y = 6 + i * row
        w = (width - left - right) * n / top_value
        label = analytics.intent_label(intent)
        chart.bars.append(Bar(left, y, max(w, 1), row - 8, PALETTE[0], f"{label}: {n}"))
        chart.labels.append({"x": left - 8, "y": y + row / 2, "text": label, "anchor": "end"})
        chart.labels.append(
            {"x": left + w + 6, "y": y + row / 2, "text": str(n), "anchor": "start"}
        )
    chart.description = "Häufigste Themen: " + ", ".join(
        f"{analytics.intent_label(i)} {n}" for i, n in items
    )
    return chart


# --- formatting -------------------------------------------------------------------------


def pct(share: float | None) -> str:
    """``12,5 %`` or ``–``."""
    return "–" if share is None else f"{100 * share:.1f} %".replace(".", ",")


def num(value: float | None, digits: int = 1) -> str:
    """German decimal comma, ``–`` for no value."""
    return "–" if value is None else f"{value:.{digits}f}".replace(".", ",")


def _names(request: Request) -> dict[str, dict[str, str]]:
    knowledge = request.app.ctx.knowledge()
    return {
        "office": {o.id: o.name for o in knowledge.offices.values()},
        "service": {s.id: s.name for s in knowledge.services.values()},
    }


# --- routes -----------------------------------------------------------------------------


async def _report(request: Request) -> Report | str:
    """The report for the request's ``from``/``to``, or the German error message."""
    now = request.app.ctx.settings.now()  # the app's clock (BOT_FIXED_NOW in tests)
    try:
        rng = analytics.parse_range(request.args.get("from"), request.args.get("to"), now)
    except RangeError as err:
        return str(err)
    return await asyncio.to_thread(
        analytics.compute, request.app.ctx.tracker_engine, request.app.ctx.engine, rng, now
    )


def _query(rng: Range) -> str:
    return f"from={rng.first.isoformat()}&to={rng.last.isoformat()}"


@bp.get("/")
@login_required
async def page(request: Request) -> HTTPResponse:
    """The analytics page for a date range (default: the last 7 days)."""
    report = await _report(request)
    if isinstance(report, str):
        return render(
            request,
            "staff_analytics.html",
            status=400,
            error=report,
            report=None,
            form={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        )
    from bot.handoff.tickets import REASON_LABELS

    return render(
        request,
        "staff_analytics.html",
        report=report,
        form={"from": report.range.first.isoformat(), "to": report.range.last.isoformat()},
        query=_query(report.range),
        days_chart=days_chart(report),
        topics_chart=topics_chart(report),
        names=_names(request),
        reason_labels=REASON_LABELS,
        channel_label=analytics.channel_label,
        intent_label=analytics.intent_label,
        day_label=day_label,
        pct=pct,
        num=num,
    )


def _csv(
    rows: list[tuple[Any, ...]],
    header: tuple[str, ...],
    delimiter: str = ";",
    preamble: tuple[str, ...] = (),
) -> bytes:
    """CSV text; ``preamble`` lines come first as ``# …`` comments."""
    out = io.StringIO()
    for line in preamble:
        out.write(f"# {line}\n")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _download(body: bytes, filename: str, content_type: str) -> HTTPResponse:
    return raw(
        body,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def _error(request: Request, message: str) -> HTTPResponse:
    return error_page(request, 400, message)


@bp.get("/export.csv")
@login_required
async def export_csv(request: Request) -> HTTPResponse:
    """The shown figures as CSV (semicolon, UTF-8 with BOM for spreadsheets); audited."""
    report = await _report(request)
    if isinstance(report, str):
        return await _error(request, report)
    rows = analytics.rows(report, _names(request))
    body = "\ufeff".encode() + _csv(rows, ("bereich", "schluessel", "bezeichnung", "wert"))
    await asyncio.to_thread(
        audit,
        request.app.ctx.engine,
        request.ctx.user.username,
        "export",
        "analytics",
        f"{report.range.first}..{report.range.last}",
    )
    name = f"auswertung_{report.range.first}_{report.range.last}.csv"
    return _download(body, name, "text/csv; charset=utf-8")


@bp.get("/open-data.csv")
@login_required
async def open_data_csv(request: Request) -> HTTPResponse:
    """The aggregate open data (counts only) as CSV, license in the leading comments."""
    return await _open_data(request, "csv")


@bp.get("/open-data.json")
@login_required
async def open_data_json(request: Request) -> HTTPResponse:
    """The aggregate open data (counts only) as JSON with title, license and period."""
    return await _open_data(request, "json")


async def _open_data(request: Request, fmt: str) -> HTTPResponse:
    """The aggregate open data in ``fmt``; audited as an export."""
    report = await _report(request)
    if isinstance(report, str):
        return await _error(request, report)
    data = analytics.open_data(report)
    await asyncio.to_thread(
        audit,
        request.app.ctx.engine,
        request.ctx.user.username,
        "export",
        f"open-data.{fmt}",
        f"{report.range.first}..{report.range.last}",
    )
    name = f"buergerservice_nutzung_{report.range.first}_{report.range.last}.{fmt}"
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        return _download(body, name, "application/json; charset=utf-8")
    preamble = (
        data["titel"],
        data["beschreibung"],
        f"Lizenz: {data['lizenz']} ({data['lizenz_url']})",
        f"Zeitraum: {data['zeitraum']['von']} bis {data['zeitraum']['bis']}",
    )
    header = ("zeitraum", "bereich", "schluessel", "wert")
    body = _csv(analytics.open_data_rows(data), header, ",", preamble)
    return _download(body, name, "text/csv; charset=utf-8")
