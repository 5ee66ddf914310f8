"""The one reading of a Rasa conversation as lines for staff: the case's stored transcript
(:mod:`bot.dialogue.handoff`) and the inbox's live view (:mod:`bot.web.staff`)."""

from __future__ import annotations

from typing import Any

from bot.handoff.redact import redact


def transcript(
    events: list[dict[str, Any]], redacted: bool, limit: int | None = None
) -> list[dict[str, Any]]:
    """The citizen's, the assistant's and staff texts of Rasa events, oldest first.

    Args:
        events: the tracker's events (Rasa's JSON form).
        redacted: whether identifiers are removed from the texts.
        limit: keep only the last ``limit`` lines (None: all).

    Returns:
        One line per text: ``from`` (``citizen``, ``bot`` or ``staff``: a bot event a staff
        member sent), ``text`` and ``at`` (Rasa's timestamp, epoch seconds, or None).
        Buttons' payloads the citizen sent ("/intent") are left out.
    """
    lines = []
    for e in events:
        if e.get("event") not in ("user", "bot") or not e.get("text"):
            continue
        text = str(e["text"])
        if e["event"] == "user" and text.startswith("/"):
            continue
        if e["event"] == "user":
            who = "citizen"
        else:
            who = "staff" if (e.get("metadata") or {}).get("staff") else "bot"
        lines.append(
            {"from": who, "text": redact(text) if redacted else text, "at": e.get("timestamp")}
        )
    return lines if limit is None else lines[-limit:]
