"""What handoff detection decides: reasons, identifier kinds, findings, the decision."""

from __future__ import annotations

from dataclasses import dataclass

REASONS: tuple[str, ...] = (
    "emergency",
    "personal_data",
    "sensitive_topic",
    "case_specific",
    "complain",
    "request_human",
)
"""Handoff reasons, highest priority first."""

INTENT_HINTS: dict[str, str] = {
    "ask_case_status": "case_specific",
    "request_human": "request_human",
    "complain": "complain",
}
"""NLU intents that imply a handoff reason."""


IDENTIFIER_KINDS: tuple[str, ...] = (
    "iban",
    "tax_id",
    "card_number",
    "email",
    "case_number",
    "labelled_number",
    "id_document",
    "birth_date",
    "name",
    "phone",
    "licence_plate",
)
"""Every ``Finding.kind`` that :func:`find_identifiers` produces."""

# Overlapping findings: validated kinds beat labelled ones, which beat heuristic ones.
_RANK = {
    "iban": 0,
    "tax_id": 0,
    "card_number": 0,
    "email": 0,
    "case_number": 1,
    "labelled_number": 1,
    "id_document": 1,
    "birth_date": 1,
    "name": 1,
    "phone": 2,
    "licence_plate": 2,
}


@dataclass(frozen=True)
class Finding:
    """An identifier's position in the text (never its value).

    Attributes:
        kind: one of :data:`IDENTIFIER_KINDS`, e.g. ``"iban"`` or ``"phone"``.
        start: index of the first character.
        end: index after the last character (``text[start:end]`` is the identifier).
    """

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Detection:
    """The handoff decision for one message.

    Attributes:
        reason: the highest-priority reason (:data:`REASONS`) or ``None`` for routine
            messages.
        triggers: non-sensitive labels of everything that matched, highest-priority
            reason first, e.g. ``("iban", "topic:social_benefits")`` — never a matched
            value.
        findings: identifier spans in the original text.
        emergency: danger to life or limb.
        crisis: signs of a personal crisis (suicidal thoughts).
        social: trigger labels of urgent social needs (``social:homeless``, ...), in the
            order of the data file.
        social_responses: the domain responses with the immediate numbers for them.
        urgent_social: one of them makes the case urgent.
    """

    reason: str | None
    triggers: tuple[str, ...]
    findings: tuple[Finding, ...]
    emergency: bool
    crisis: bool
    social: tuple[str, ...] = ()
    social_responses: tuple[str, ...] = ()
    urgent_social: bool = False
