"""Format detection: which adapter reads a closures document (by content)."""

from __future__ import annotations

import codecs

from bot.knowledge.closures.datex2 import parse_datex2
from bot.knowledge.closures.model import FeedFormatError, ParseResult
from bot.knowledge.closures.viz import parse_viz_geojson


def parse_feed(raw: bytes, content_type: str | None = None) -> ParseResult:
    """Parses a closures document, recognising VIZ GeoJSON or DATEX II XML by content.

    Args:
        raw: the document.
        content_type: the HTTP Content-Type, used only when the content is ambiguous.

    Raises:
        FeedFormatError: neither format, or the document is malformed.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return parse_viz_geojson(data)
    if head == b"<":
        return parse_datex2(body.lstrip())  # tolerate whitespace before the declaration
    ctype = (content_type or "").lower()
    if not body.strip():
        raise FeedFormatError("empty document")
    if "json" in ctype:
        return parse_viz_geojson(data)
    if "xml" in ctype:
        return parse_datex2(data)
    raise FeedFormatError("document is neither JSON nor XML")
