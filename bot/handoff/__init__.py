"""Handoff to staff: reasons and identifiers (detect), redaction, policy, tickets.

Import from the modules themselves (``bot.handoff.detect``, ``bot.handoff.redact``, ...).
"""
