"""Replace personal identifiers with German placeholders before text is logged or shown.

Used for logs, the trainers' backlog, ticket summaries and transcripts sent through
untrusted channels. :func:`redact` removes exactly what
:func:`bot.handoff.detect.find_identifiers` finds; everything else stays unchanged.
"""

from __future__ import annotations

from bot.handoff.detect import find_identifiers

PLACEHOLDERS: dict[str, str] = {
    "iban": "[IBAN entfernt]",
    "tax_id": "[Steuer-ID entfernt]",
    "card_number": "[Kartennummer entfernt]",
    "email": "[E-Mail entfernt]",
    "case_number": "[Aktenzeichen entfernt]",
    "labelled_number": "[Nummer entfernt]",
    "id_document": "[Ausweisnummer entfernt]",
    "birth_date": "[Geburtsdatum entfernt]",
    "name": "[Name entfernt]",
    "phone": "[Telefonnummer entfernt]",
    "licence_plate": "[Kennzeichen entfernt]",
}
"""Placeholder per ``Finding.kind``."""

_FALLBACK = "[Angabe entfernt]"
_MAX_PASSES = 3


def _redact_once(text: str) -> tuple[str, bool]:
    findings = find_identifiers(text)
    if not findings:
        return text, False
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        parts.append(text[cursor : finding.start])
        parts.append(PLACEHOLDERS.get(finding.kind, _FALLBACK))
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts), True


def redact(text: str) -> str:
    """Replaces every identifier with a placeholder such as ``[IBAN entfernt]``.

    Idempotent: the result contains no identifiers (a replacement can, in rare cases,
    bring two fragments together; the text is scanned again until nothing is found).

    Args:
        text: any text (empty, huge, with control characters).

    Returns:
        The text with identifiers replaced; unchanged when there are none.
    """
    if not text:
        return text
    for _ in range(_MAX_PASSES):
        text, changed = _redact_once(text)
        if not changed:
            break
    return text
