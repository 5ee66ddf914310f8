"""One text-normalising helper for every matcher."""

from __future__ import annotations

import unicodedata

from bot.knowledge import matching
from bot.knowledge.closures import fold as closures_fold
from bot.text import ascii_umlauts, fold, strip_accents


def test_fold_spells_out_umlauts_and_drops_accents() -> None:
    assert fold("Brücke") == "bruecke"
    assert fold("GROẞE Straße") == "grosse strasse"
    assert fold("Café Größenwahn") == "cafe groessenwahn"
    assert fold(unicodedata.normalize("NFD", "Bürgerbüro")) == "buergerbuero"


def test_the_parts() -> None:
    assert ascii_umlauts("grüße aus köln") == "gruesse aus koeln"
    assert ascii_umlauts("Ärger") == "Ärger"  # lower-case only: callers lower first
    assert strip_accents("séance") == "seance"


def test_the_matchers_share_it() -> None:
    assert closures_fold is fold
    assert matching.fold("Bürgerbüro Süd") == "buergerbuero sued"
