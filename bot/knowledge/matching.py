"""Fuzzy matching of citizen wording against names and synonyms from `data/knowledge/`.

Citizens write "Bürgeramt", "buergerbuero", "standesammt" or "Perso". The matcher folds
case, umlauts and punctuation, then scores each candidate term against the message with
rapidfuzz: single-word terms against each word (German compounds included: "Hundesteuer"
contains "Hund"), multi-word terms against word windows of the same length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from bot.text import ascii_umlauts, strip_accents

_WORD = re.compile(r"[a-z0-9]+")

# Words too common in questions to identify anything on their own.
STOPWORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "einen",
        "einem",
        "einer",
        "und",
        "oder",
        "ich",
        "mein",
        "meine",
        "meinen",
        "wir",
        "sie",
        "du",
        "er",
        "es",
        "wo",
        "wer",
        "wie",
        "was",
        "wann",
        "ist",
        "sind",
        "hat",
        "haben",
        "muss",
        "kann",
        "bin",
        "bei",
        "beim",
        "fuer",
        "mit",
        "von",
        "vom",
        "zum",
        "zur",
        "im",
        "in",
        "am",
        "an",
        "auf",
        "aus",
        "nach",
        "noch",
        "bitte",
        "mal",
        "hallo",
        "heute",
        "morgen",
        "jetzt",
        "offen",
        "geoeffnet",
        "zustaendig",
        "stadt",
        "amt",
    ]
)
"""Not the city's name: that comes from the city profile, see :func:`city_noise`."""


def fold(text: str) -> str:
    """Lower-cases and folds German umlauts and accents: "Bürgerbüro" → "buergerbuero"."""
    return strip_accents(ascii_umlauts(text.lower()))


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """The folded words of ``text`` (letters and digits only)."""
    return tuple(_WORD.findall(fold(text)))


@lru_cache(maxsize=16)
def city_noise(city: str) -> frozenset[str]:
    """The words of the city's name (from ``city.yml``) plus "stadt": a question names
    the city ("Finanzamt Musterstadt", "Wie barrierefrei ist Beispielstadt?") without
    that identifying an office, service or FAQ entry. Passed as ``noise`` below."""
    return frozenset({"stadt", *words(city)})


@dataclass(frozen=True)
class Match:
    """A candidate key with the best score any of its terms reached (0-100)."""

    key: str
    score: float
    term: str


def term_score(term: str, message: str, noise: frozenset[str] = frozenset()) -> float:
    """How well ``term`` occurs in ``message`` (0-100), tolerant of typos and compounds.

    ``noise`` are words dropped from the term before matching (the city's name:
    "Finanzamt Musterstadt" is found as "Finanzamt").
    """
    all_words = [w for w in words(term) if w not in noise] or list(words(term))
    t_words = [w for w in all_words if w not in STOPWORDS] or all_words
    m_words = words(message)
    if not t_words or not m_words:
        return 0.0
    if len(all_words) == 1:
        return _word_score(t_words[0], m_words)
    n = len(all_words)
    target = " ".join(all_words)
    best = 0.0
    content = [w for w in m_words if w not in STOPWORDS and w not in noise]
    for seq in (m_words, content):
        for size in (n, n + 1):
            for i in range(max(1, len(seq) - size + 1)):
                window = " ".join(seq[i : i + size])
                best = max(best, fuzz.ratio(target, window))
    if len(t_words) < 2:
        # "neu in der Stadt": one content word only; the whole phrase must match.
        return best
    # All content words of the term present (any order, compounds allowed) is as good.
    per_word = [_word_score(w, m_words) for w in t_words]
    return max(best, min(per_word))


def _word_score(word: str, m_words: Sequence[str]) -> float:
    best = 0.0
    for w in m_words:
        if w == word:
            return 100.0
        if len(word) >= 4 and len(w) > len(word) and (w.startswith(word) or w.endswith(word)):
            # compound: "hundesteuer" / "hundeanmeldung" contain "hund"
            best = max(best, 92.0)
            continue
        if len(word) >= 5 and abs(len(w) - len(word)) <= 2:
            # a typo, not another word: "Personalausweiß", but not "Genehmigung" for
            # "Baugenehmigung"
            best = max(best, fuzz.ratio(word, w))
    return best


def rank(
    message: str,
    terms: Iterable[tuple[str, str]],
    *,
    threshold: float = 85.0,
    noise: frozenset[str] = frozenset(),
) -> list[Match]:
    """Ranks keys by the best-matching of their terms.

    Args:
        message: what the citizen wrote (or the entity text DIET extracted).
        terms: ``(key, term)`` pairs, e.g. ``("buergerbuero_mitte", "Meldeamt")``.
        threshold: minimum score (0-100) for a key to be returned.
        noise: words ignored in terms (the city's name).

    Returns:
        Matches with score >= threshold, best first; one entry per key.
    """
    best: dict[str, Match] = {}
    for key, term in terms:
        score = term_score(term, message, noise)
        if score < threshold:
            continue
        score += specificity(term, noise)
        if key not in best or score > best[key].score:
            best[key] = Match(key, score, term)
    return sorted(best.values(), key=lambda m: -m.score)


def specificity(term: str, noise: frozenset[str] = frozenset()) -> float:
    """A bonus for longer, multi-word terms: "Gewerbe abmelden" beats "abmelden".

    Added to the match score of a term that matched, so that the most specific of
    several matching terms wins (at most +12). The city's name (``noise``) adds nothing.
    """
    content = [w for w in words(term) if w not in STOPWORDS and w not in noise]
    letters = sum(len(w) for w in content)
    return min(letters / 3, 8.0) + 2.0 * min(max(len(content) - 1, 0), 2)


def closest(query: str, terms: Iterable[tuple[str, str]], limit: int = 3) -> list[Match]:
    """The closest keys to ``query`` without a threshold, for "did you mean" lists."""
    scored: dict[str, Match] = {}
    q = " ".join(words(query))
    for key, term in terms:
        score = fuzz.WRatio(q, " ".join(words(term))) if q else 0.0
        if key not in scored or score > scored[key].score:
            scored[key] = Match(key, score, term)
    return sorted(scored.values(), key=lambda m: -m.score)[:limit]


def question_score(question: str, message: str, noise: frozenset[str] = frozenset()) -> float:
    """How close ``message`` comes to a whole ``question`` (0-100), word order ignored.

    The harmonic mean of two coverages over content words (stopwords dropped): how much
    of the question the message covers, and how much of the message the question covers,
    each word scored like :func:`term_score` (compounds and typos count). A message that
    shares one word with a long question scores low; a paraphrase with the same key
    words scores high. The city's name (``noise``) counts on neither side.
    """
    q_words = [w for w in words(question) if w not in STOPWORDS and w not in noise]
    m_words = [w for w in words(message) if w not in STOPWORDS and w not in noise]
    if not q_words or not m_words:
        return 0.0
    recall = sum(_either_way(w, m_words) for w in q_words) / len(q_words)
    precision = sum(_either_way(w, q_words) for w in m_words) / len(m_words)
    if recall + precision == 0:
        return 0.0
    return 2 * recall * precision / (recall + precision)


def _either_way(word: str, others: Sequence[str]) -> float:
    """:func:`_word_score` in both directions: "parkausweis" ~ "anwohnerparkausweis"."""
    return max(_word_score(word, others), max(_word_score(o, [word]) for o in others))


def rank_questions(
    message: str,
    questions: Iterable[tuple[str, str]],
    *,
    threshold: float = 45.0,
    noise: frozenset[str] = frozenset(),
) -> list[Match]:
    """Ranks keys by their best-matching question (FAQ entries), best first."""
    best: dict[str, Match] = {}
    for key, question in questions:
        score = question_score(question, message, noise)
        if score >= threshold and (key not in best or score > best[key].score):
            best[key] = Match(key, score, question)
    return sorted(best.values(), key=lambda m: -m.score)


class TermIndex:
    """An inverted index over the words of many terms, so that a question is scored
    against the few terms that can match instead of every term (imported catalogues have
    thousands).

    A term is a candidate when one of its words can score in :func:`_word_score` against
    a word of the message: the same word, a word of the message that starts or ends with
    it (compounds), or a typo of similar length (rapidfuzz over the vocabulary). Scores
    are then computed by :func:`rank` exactly as without the index; only terms that
    could reach the threshold solely through a whole-window comparison with no word in
    common at all are not found (misspelt phrases of short words).
    """

    TYPO_CUTOFF = 70.0

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.terms: list[tuple[str, str]] = list(terms)
        self._by_word: dict[str, list[int]] = {}
        for i, (_key, term) in enumerate(self.terms):
            for w in set(words(term)):
                self._by_word.setdefault(w, []).append(i)
        self._vocab = list(self._by_word)

    def candidates(self, message: str) -> list[tuple[str, str]]:
        """The terms that share a (possibly compound or misspelt) word with ``message``."""
        from rapidfuzz import process

        found: set[int] = set()
        for m in set(words(message)):
            hits = {m} if m in self._by_word else set()
            for n in range(4, len(m)):
                for part in (m[:n], m[-n:]):
                    if part in self._by_word:
                        hits.add(part)
            if len(m) >= 3:
                for word, _score, _ in process.extract(
                    m, self._vocab, scorer=fuzz.ratio, score_cutoff=self.TYPO_CUTOFF, limit=None
                ):
                    hits.add(word)
            for w in hits:
                found.update(self._by_word[w])
        return [self.terms[i] for i in sorted(found)]

    def rank(
        self, message: str, *, threshold: float = 85.0, noise: frozenset[str] = frozenset()
    ) -> list[Match]:
        """:func:`rank` over the candidate terms only."""
        return rank(message, self.candidates(message), threshold=threshold, noise=noise)
