"""Fitting replies to what a messenger can show: length limits and numbered choices.

A messenger that cannot show the buttons of a reply (too many, payload too long) gets
them as numbered text choices; the citizen answers with the number, which
:class:`ChoiceMemory` maps back to the button's payload.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from bot import texts

STAFF_PREFIX = texts.text(texts.DEFAULT_LANGUAGE, "staff.message_prefix")  # data/texts/


def split_text(text: str, limit: int) -> list[str]:
    """Splits ``text`` into parts of at most ``limit`` characters at paragraph, line or
    word boundaries (hard cut only inside a single over-long word)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for token in _tokens(text):
        if len(current) + len(token) <= limit:
            current += token
            continue
        if current.strip():
            parts.append(current.strip())
        while len(token) > limit:
            parts.append(token[:limit])
            token = token[limit:]
        current = token
    if current.strip():
        parts.append(current.strip())
    return parts


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    word = ""
    for ch in text:
        word += ch
        if ch in " \n":
            out.append(word)
            word = ""
    if word:
        out.append(word)
    return out


def numbered_choices(text: str, buttons: list[dict[str, Any]]) -> str:
    """The reply with its buttons as a numbered list."""
    lines = [text.rstrip(), "", texts.text(texts.DEFAULT_LANGUAGE, "channels.answer_with_number")]
    lines += [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1)]
    return "\n".join(lines)


class ChoiceMemory:
    """The last numbered choices offered to each recipient (bounded, thread-safe)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._data: OrderedDict[str, list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, recipient_id: str, buttons: list[dict[str, Any]]) -> None:
        """Stores the payloads offered to a recipient."""
        with self._lock:
            self._data[str(recipient_id)] = [str(b.get("payload", "")) for b in buttons]
            self._data.move_to_end(str(recipient_id))
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def resolve(self, recipient_id: str, text: str) -> str:
        """The payload for a numeric answer, else the text unchanged."""
        stripped = (text or "").strip().rstrip(".")
        if not stripped.isdigit():
            return text
        with self._lock:
            payloads = self._data.get(str(recipient_id))
        index = int(stripped) - 1
        if payloads and 0 <= index < len(payloads) and payloads[index]:
            return payloads[index]
        return text
