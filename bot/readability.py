"""Readability of German text: Flesch reading ease after Amstad (1978), words per sentence.

Used by the plain-language test (tests/unit/test_plain_language.py) on the texts a citizen
reads at the most difficult moments: the handoff to staff, the switch away from a
messenger and the data-protection notices.

    FRE_de = 180 - ASL - 58.5 * ASW

ASL is the average sentence length in words, ASW the average number of syllables per
word. Scale: 0-30 very hard, 30-50 hard, 50-60 fairly hard, 60-70 medium, 70-80 fairly
easy, 80-100 easy.

Why no library: textstat (MIT) would bring nltk into the one lock for a one-line
formula, and like pyphen it counts syllables by hyphenation points, which leaves out
single-letter syllables ("Abend" gives 1, "Ader" 1). German syllables follow the vowel
groups closely; the counter below counts them, keeps the diphthongs and long vowels (au,
ei, ai, eu, äu, ie, aa, ee, oo) as one and splits the other vowel pairs (ua, io, ea: the
"Si-tu-a-ti-on" of loanwords). Known misses, rare in the measured texts: a final "-ie"
that is two syllables ("Fa-mi-li-e"), "eu" across a syllable border ("Mu-se-um").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

VOWELS = "aeiouyäöü"
ONE_SOUND = {"au", "ei", "ai", "eu", "äu", "ie", "aa", "ee", "oo", "ey", "ay"}
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]+(?:-[A-Za-zÄÖÜäöüß]+)*")
# not read as words: links, e-mail addresses, case references, numbers with their units
NOT_WORDS = re.compile(
    r"https?://\S+|\S+@\S+|\b[A-Z]{2}-[A-Z0-9]{4}-[A-Z0-9]{4}\b|[+\d][\d\s/().:-]*\d"
)
# a sentence ends at . ! ? or at a colon or line break that starts a list or a new line
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|:\s*\n|\n+")


def syllables(word: str) -> int:
    """Syllables of one German word (at least 1)."""
    w = word.lower().replace("qu", "kw")
    count = 0
    for group in re.findall(f"[{VOWELS}]+", w):
        count += 1 + sum(1 for a, b in pairwise(group) if a + b not in ONE_SOUND)
    return max(count, 1)


def sentences(text: str) -> list[list[str]]:
    """The words of each sentence of ``text`` (links, addresses, numbers left out)."""
    text = NOT_WORDS.sub(" ", text)
    result = [WORD.findall(p) for p in SENTENCE_END.split(text)]
    return [words for words in result if words]


@dataclass(frozen=True)
class Readability:
    """The measures of one text."""

    flesch_amstad: float
    words: int
    sentences: int
    longest_sentence: int
    syllables_per_word: float

    @property
    def words_per_sentence(self) -> float:
        """Average sentence length in words."""
        return self.words / self.sentences if self.sentences else 0.0


def readability(text: str) -> Readability:
    """Flesch-Amstad score and sentence lengths of German ``text``."""
    sents = sentences(text)
    words = [w for s in sents for w in s]
    if not words:
        return Readability(100.0, 0, 0, 0, 0.0)
    asl = len(words) / len(sents)
    asw = sum(syllables(w) for w in words) / len(words)
    return Readability(
        flesch_amstad=round(180 - asl - 58.5 * asw, 1),
        words=len(words),
        sentences=len(sents),
        longest_sentence=max(len(s) for s in sents),
        syllables_per_word=round(asw, 2),
    )
