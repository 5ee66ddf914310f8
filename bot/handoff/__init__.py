"""Handoff to staff: reasons and identifiers (detect), redaction, policy, tickets."""

from bot.handoff.detect import REASONS, Detection, Finding, detect, evaluate, find_identifiers
from bot.handoff.redact import PLACEHOLDERS, redact

__all__ = [
    "PLACEHOLDERS",
    "REASONS",
    "Detection",
    "Finding",
    "detect",
    "evaluate",
    "find_identifiers",
    "redact",
]
