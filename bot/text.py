"""Text normalisation shared by every matcher: one table for German umlauts.

Matching compares what citizens type with names from the knowledge and the feeds, so
"Brücke", "Bruecke" and "BRÜCKE" must meet. Every module folds with these helpers
instead of keeping its own table.
"""

from __future__ import annotations

import unicodedata

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
"""Lower-case umlauts and ß to their ASCII spelling (apply after lower-casing)."""


def ascii_umlauts(text: str) -> str:
    """``"grüße"`` → ``"gruesse"``: lower-case umlauts and ß spelt out, nothing else."""
    return text.translate(UMLAUTS)


def strip_accents(text: str) -> str:
    """Accents removed (NFKD, combining marks dropped): ``"café"`` → ``"cafe"``."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case, umlauts transliterated, accents removed: "Brücke" → "bruecke".

    The text is composed (NFC) first, so an umlaut typed as "u" plus a combining
    diaeresis folds like "ü".
    """
    return strip_accents(ascii_umlauts(unicodedata.normalize("NFC", text).lower()))
