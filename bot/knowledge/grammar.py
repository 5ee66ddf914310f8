"""German articles for office names: "an das Steueramt", "bei der Ausländerbehörde".

Offices carry their grammatical gender in the data (``article: der | die | das`` in
offices.yml). Without it the gender is taken from the last part of the compound name
("…amt" → das, "…behörde" → die); when no rule fits, the name is quoted after
"die Stelle", which is correct German for any name.
"""

from __future__ import annotations

ARTICLES = ("der", "die", "das")

# The article of the whole name follows its last noun ("Straßenverkehrs- und Tiefbauamt").
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("behörde", "die"),
    ("stelle", "die"),
    ("bibliothek", "die"),
    ("agentur", "die"),
    ("versicherung", "die"),
    ("verwaltung", "die"),
    ("kasse", "die"),
    ("abteilung", "die"),
    ("amt", "das"),
    ("büro", "das"),
    ("gericht", "das"),
    ("zentrum", "das"),
    ("hof", "der"),
    ("dienst", "der"),
    ("betrieb", "der"),
)

# Accusative and dative forms of the definite article.
_CASES = {
    "nom": {"der": "der", "die": "die", "das": "das"},
    "acc": {"der": "den", "die": "die", "das": "das"},
    "dat": {"der": "dem", "die": "der", "das": "dem"},
}


def guess_article(name: str) -> str | None:
    """The article for ``name`` from its last word, or None when no rule fits."""
    words = name.replace("-", " ").split()
    if not words:
        return None
    # "Finanzamt Musterstadt", "Agentur für Arbeit Musterstadt": the head noun comes first
    # when a place or "für …" follows; try the last word, then the first.
    for word in (words[-1], words[0]):
        low = word.lower()
        for suffix, article in _SUFFIXES:
            if low.endswith(suffix):
                return article
    return None


def with_article(name: str, article: str | None, case: str = "nom") -> str:
    """``name`` with its definite article in ``case`` (``nom``, ``acc``, ``dat``).

    >>> with_article("Steueramt", "das", "acc")
    'das Steueramt'
    >>> with_article("Ausländerbehörde", "die", "dat")
    'der Ausländerbehörde'
    """
    art = article if article in ARTICLES else guess_article(name)
    if art is None:
        return f"{_CASES[case]['die']} Stelle „{name}“"
    return f"{_CASES[case][art]} {name}"


def at_office(name: str, article: str | None) -> str:
    """ "beim Steueramt", "bei der Ausländerbehörde" (bei + dative, contracted)."""
    phrase = with_article(name, article, "dat")
    return "beim " + phrase[4:] if phrase.startswith("dem ") else "bei " + phrase
