"""Street matching: which streets of the feed a citizen's message mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge.closures.model import _ROAD_NUMBER, STREET_MATCH_THRESHOLD, Closure
from bot.text import fold

_WORDS = re.compile(r"[a-z0-9]+")

_PARENTHESIS = re.compile(r"\([^()]*\)")
_STREET_WORD = re.compile(r"stras+e\b|str\.|str\b")
_ALTERNATIVES = re.compile(r"\s*/\s*|\s+-\s+")
_MAX_NGRAM = 6
# Street-type endings (after normalisation). Two names ending in different types are
# different streets ("Spandauer Damm" is not "Spandauer Straße"), and with the same type
# the distinctive part alone must be similar enough ("Fürstendamm" is not "Kurfürstendamm").
_STREET_TYPES = (
    "chaussee",
    "allee",
    "bruecke",
    "damm",
    "gasse",
    "graben",
    "markt",
    "pfad",
    "platz",
    "ring",
    "steig",
    "str",
    "ufer",
    "weg",
)


def normalize_street(text: str) -> list[str]:
    """The tokens of a street name or message, normalised for matching.

    Case and umlauts folded, "Straße"/"Strasse"/"Str."/"Str" → "str", hyphens and
    punctuation removed, parentheses (district) dropped:
    "Goethe-Straße (Mitte)" → ``["goethe", "str"]``.
    """
    text = _PARENTHESIS.sub(" ", fold(text))
    text = _STREET_WORD.sub("str ", text)
    return [_misspelt_street_word(token) for token in _WORDS.findall(text)]


def _misspelt_street_word(token: str) -> str:
    """One typo in "strasse" fixed: "brueckenstase", "goethestarsse" → "brueckenstr", ...."""
    if token.endswith("str") or not token.endswith("e") or len(token) < 6:
        return token
    best: tuple[int, int] | None = None
    for length in (6, 7, 8):
        prefix, tail = token[:-length], token[-length:]
        if len(token) < length or 0 < len(prefix) < 3:
            continue
        distance = OSA.distance(tail, "strasse")
        if distance <= 1 and (best is None or distance < best[0]):
            best = (distance, length)
    return token if best is None else token[: -best[1]] + "str"


def _split_type(compact: str) -> tuple[str, str]:
    """``"kurfuerstendamm"`` → ``("kurfuersten", "damm")``; no known ending → ``(compact, "")``."""
    for ending in _STREET_TYPES:
        if compact.endswith(ending) and len(compact) > len(ending):
            return compact[: -len(ending)], ending
    return compact, ""


@dataclass(frozen=True)
class _Alias:
    compact: str
    exact_only: bool
    tokens: int
    core: str
    ending: str


@lru_cache(maxsize=4096)
def _street_aliases(street: str) -> tuple[_Alias, ...]:
    """The forms under which a street of the feed can be mentioned."""
    names: list[str] = []
    base = " ".join(_PARENTHESIS.sub(" ", street).split())
    names.append(base)
    parts = [p for p in _ALTERNATIVES.split(base) if p.strip()]
    if len(parts) > 1:
        names += parts  # "Stralauer Straße/Holzmarktstraße"
    if _ROAD_NUMBER.match(base):
        names += [m.strip() for m in re.findall(r"\(([^()]*)\)", street)]  # "A100 (Stadtring)"
    aliases: list[_Alias] = []
    for name in names:
        tokens = normalize_street(name)
        compact = "".join(tokens)
        if len(compact) < 3:
            continue
        exact_only = bool(_ROAD_NUMBER.match(name.strip())) or len(compact) < 6
        core, ending = _split_type(compact)
        aliases.append(_Alias(compact, exact_only, len(tokens), core, ending))
    return tuple(aliases)


def _fuzzy_score(gram: str, alias: _Alias, score: float) -> float:
    """The ratio ``score`` of an n-gram and an alias, checked against the street type.

    With a known ending on both sides, the endings must agree and the distinctive parts
    alone must reach the threshold too ("Spandauer Damm" is not "Spandauer Straße").
    """
    if not alias.ending:
        return score
    core, ending = _split_type(gram)
    if not ending:
        return score
    if ending != alias.ending or len(alias.core) < 4:
        return 0.0
    return min(score, float(fuzz.ratio(core, alias.core)))


def match_street(query: str, streets: Iterable[str], limit: int = 3) -> list[tuple[str, float]]:
    """Finds the streets of the feed mentioned in ``query``.

    ``query`` can be a bare street ("goethestr.") or a whole message ("Ist die
    Goethestrasse gesperrt?"). Every word n-gram of the message is compared with every
    street (and with each part of "A-Straße/B-Straße") using rapidfuzz's ratio on the
    normalised, space-free form; the best n-gram counts. Names with the same ending
    (…straße, …damm) must also be similar without it, so "Fürstendamm" is not taken for
    "Kurfürstendamm"; road numbers and very short names must match exactly. Where a
    street matched better on the same words, weaker matches on those words are dropped.

    Args:
        query: the user's words.
        streets: street names as in the feed (duplicates and districts allowed).
        limit: at most this many results.

    Returns:
        ``(street as in the feed, score 0-100)``, best first, only scores >=
        :data:`STREET_MATCH_THRESHOLD`; empty when no street is mentioned. A score
        below 100 is a fuzzy match (typo); the bot should name the street it found.
    """
    tokens = normalize_street(query)
    if not tokens or limit <= 0:
        return []
    candidates: dict[str, tuple[_Alias, ...]] = {}
    for street in streets:
        if street and street not in candidates:
            candidates[street] = _street_aliases(street)
    if not candidates:
        return []
    longest = max((a.tokens for aliases in candidates.values() for a in aliases), default=1)
    max_n = min(_MAX_NGRAM, longest + 1)
    grams: dict[str, tuple[int, int]] = {}
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n + 1):
            grams.setdefault("".join(tokens[i : i + n]), (i, i + n))

    best: dict[str, tuple[float, tuple[int, int]]] = {}
    fuzzy: list[tuple[str, _Alias]] = []
    for street, aliases in candidates.items():
        for alias in aliases:
            if alias.compact in grams:
                best[street] = (100.0, grams[alias.compact])
            elif not alias.exact_only:
                fuzzy.append((street, alias))
    choices = [alias.compact for _street, alias in fuzzy]
    for gram, span in grams.items():
        for _choice, ratio, index in process.extract(
            gram, choices, scorer=fuzz.ratio, score_cutoff=STREET_MATCH_THRESHOLD, limit=None
        ):
            street, alias = fuzzy[index]
            score = _fuzzy_score(gram, alias, float(ratio))
            if score >= STREET_MATCH_THRESHOLD and score > best.get(street, (0.0, span))[0]:
                best[street] = (score, span)
    scored = [(round(score, 1), street, span) for street, (score, span) in best.items()]
    scored.sort(key=lambda item: (-item[0], item[1]))
    accepted: list[tuple[float, str, tuple[int, int]]] = []
    for score, street, span in scored:
        if any(
            other > score and span[0] < other_span[1] and other_span[0] < span[1]
            for other, _street, other_span in accepted
        ):
            continue  # the same words name a better-matching street
        accepted.append((score, street, span))
    return [(street, score) for score, street, _span in accepted[:limit]]


def on_street(closures: Iterable[Closure], query: str, limit: int = 3) -> list[Closure]:
    """The closures on the street(s) that ``query`` mentions (see :func:`match_street`)."""
    items = list(closures)
    matched = {street for street, _ in match_street(query, (c.street for c in items), limit)}
    return [c for c in items if c.street in matched]
