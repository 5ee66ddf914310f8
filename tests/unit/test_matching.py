"""The fuzzy matcher behind offices and services."""

from __future__ import annotations

import pytest

from bot.knowledge.matching import fold, rank, specificity, term_score, words
from tests.unit.data_phrasings import PHRASINGS


def test_fold_handles_umlauts_and_sharp_s():
    assert fold("Bürgerbüro Straße") == "buergerbuero strasse"
    assert words("Kfz-Zulassung, bitte!") == ("kfz", "zulassung", "bitte")


def test_compound_words_contain_their_parts():
    assert term_score("Hund", "Hundeanmeldung wo?") >= 90
    assert term_score("Hund", "Ich habe einen Hut") < 85


def test_typos_match_long_words_only():
    assert term_score("Personalausweis", "personalausweiss beantragen") >= 90
    assert term_score("Pass", "Bass") < 85  # short words need an exact hit


def test_more_specific_term_wins():
    ranked = rank(
        "Ich möchte mein Gewerbe abmelden",
        [("gewerbe_abmelden", "Gewerbe abmelden"), ("wohnsitz_abmelden", "abmelden")],
    )
    assert [m.key for m in ranked] == ["gewerbe_abmelden", "wohnsitz_abmelden"]
    assert specificity("Gewerbe abmelden") > specificity("abmelden")


@pytest.mark.parametrize(
    ("service_id", "phrasing"),
    [(sid, p) for sid, ps in PHRASINGS.items() for p in ps],
)
def test_every_service_found_by_three_phrasings(knowledge, service_id, phrasing):
    """Each of the 48 services, three citizen phrasings each (144 cases)."""
    matches = knowledge.find_services(phrasing)
    assert matches, f"nothing found for {phrasing!r}"
    assert matches[0].key == service_id, [(m.key, m.score) for m in matches[:3]]


def test_phrasings_cover_every_service(knowledge):
    assert set(PHRASINGS) == set(knowledge.services)
    assert all(len(set(p)) == 3 for p in PHRASINGS.values())


@pytest.mark.parametrize(
    "text",
    [
        "Wann hat das Bürgerbüro geöffnet?",
        "Ist die Brückenstraße gesperrt?",
        "Welche Straßen sind heute gesperrt?",
        "Ich möchte mit einem Menschen sprechen",
        "Hallo",
        "Wie wird das Wetter?",
    ],
)
def test_no_service_invented(knowledge, text):
    assert knowledge.find_services(text) == []
