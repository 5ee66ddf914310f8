"""Input guard for every channel: empty, huge, binary or control-character messages.

Such a message never reaches NLU as is: it is turned into an intent payload
(``/input_empty``, ``/input_too_long``, ``/input_not_text``) that the domain answers
with a clear German notice. Nothing is lost: an excerpt of the original goes into the
message metadata (``guard``) and so into the tracker.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_CHARS = 2000
EXCERPT_CHARS = 2000
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class Guarded:
    """The text to process and, when the input was rejected, why."""

    text: str
    problem: str | None = None  # "empty" | "too_long" | "not_text"
    excerpt: str | None = None


def _looks_binary(text: str) -> bool:
    if "\x00" in text or "\ufffd" in text:
        return True
    if not text:
        return False
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    return controls / len(text) > 0.1


def guard(raw: Any) -> Guarded:
    """Checks one incoming message text.

    Button payloads (``/intent{...}``) pass unchanged; normal text is NFC-normalised and
    stripped of control and invisible direction characters.
    """
    if raw is None:
        return Guarded("/input_empty", "empty")
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = str(raw)
    if _looks_binary(text):
        return Guarded("/input_not_text", "not_text", excerpt=_excerpt(text))
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()
    if not text:
        return Guarded("/input_empty", "empty")
    if len(text) > MAX_CHARS:
        return Guarded("/input_too_long", "too_long", excerpt=text[:EXCERPT_CHARS])
    return Guarded(text)


def _excerpt(text: str) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[:200])
    return clean


def guarded_message(message: Any) -> Any:
    """Applies :func:`guard` to a Rasa ``UserMessage`` in place and returns it."""
    result = guard(message.text)
    if result.problem:
        metadata = dict(message.metadata or {})
        metadata["guard"] = {"problem": result.problem, "excerpt": result.excerpt}
        message.metadata = metadata
    message.text = result.text
    return message
