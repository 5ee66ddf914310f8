"""Concerns in the citizen's words: meaning-based service guesses (issue 13, items 3 and 4).

The NLU adds ``service_guess`` entities (bot.nlu.sentence_embedding.ServiceGuesser); the
dialogue answers the best one only when it is clearly ahead, names it back, and otherwise
offers the guesses as choices. A word match always wins over a guess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.dialogue.resolve import GUESS_ACCEPT, GUESS_CHOICE, GUESS_MARGIN, resolve_service
from bot.dialogue.responsibilities import answer as responsibility
from bot.nlu.sentence_embedding import TermVectors, service_terms
from tests.conftest import KNOWLEDGE_DIR


def guess(key: str, similarity: float) -> dict[str, Any]:
    return {"entity": "service_guess", "value": key, "confidence": similarity, "start": 0}


def test_a_clear_guess_is_answered_and_named_back(knowledge):
    entities = [guess("sperrmuell", GUESS_ACCEPT + 0.01), guess("muelltonne", GUESS_ACCEPT - 0.03)]
    ref = resolve_service(knowledge, "Wohin mit meinem alten Sofa?", entities)
    assert [m.key for m in ref.matches] == ["sperrmuell"]
    assert ref.exact is False
    out = responsibility(knowledge, "Wohin mit meinem alten Sofa?", entities, {})
    names = [r.response for r in out.replies]
    assert names[0] == "utter_did_you_mean"
    assert out.replies[0].variables["name"].startswith("Sperrmüll anmelden")
    assert "utter_responsibility" in names
    assert out.slots["service"] == "sperrmuell"


@pytest.mark.parametrize(
    "first, second",
    [
        (GUESS_ACCEPT - 0.005, GUESS_CHOICE + 0.005),  # not similar enough
        (GUESS_ACCEPT + 0.02, GUESS_ACCEPT + 0.02 - GUESS_MARGIN / 2),  # not ahead enough
    ],
)
def test_an_unclear_guess_is_only_offered(knowledge, first, second):
    entities = [guess("fundsache", first), guess("personalausweis", second)]
    ref = resolve_service(knowledge, "Mein Rucksack ist weg", entities)
    assert ref.matches == []
    assert [s.id for s in ref.choices][:2] == ["fundsache", "personalausweis"]
    out = responsibility(knowledge, "Mein Rucksack ist weg", entities, {})
    titles = [b["title"] for r in out.replies for b in r.buttons]
    assert knowledge.services["fundsache"].name in titles
    assert "service" not in out.slots or out.slots["service"] is None


def test_a_word_match_wins_over_any_guess(knowledge):
    entities = [guess("sperrmuell", 0.99)]
    ref = resolve_service(knowledge, "Was kostet ein Reisepass?", entities)
    assert ref.matches[0].key == "reisepass"
    assert ref.exact is True


def test_guesses_of_services_the_city_lacks_are_ignored(knowledge):
    entities = [guess("angelschein", 0.99), guess("sperrmuell", GUESS_CHOICE + 0.01)]
    ref = resolve_service(knowledge, "Wo bekomme ich das?", entities)
    assert ref.matches == []
    assert [s.id for s in ref.choices][:1] == ["sperrmuell"]


def test_a_weak_guess_is_not_even_offered(knowledge):
    entities = [guess("wohngeld", GUESS_CHOICE - 0.01), guess("grundsicherung", 0.80)]
    ref = resolve_service(knowledge, "Wer kümmert sich um Wespennester?", entities)
    assert ref.matches == []
    assert not {"wohngeld", "grundsicherung"} & {s.id for s in ref.choices}


def test_the_focus_answers_a_follow_up_before_any_guess(knowledge):
    entities = [guess("sperrmuell", 0.99)]
    ref = resolve_service(knowledge, "Was kostet das?", entities, "reisepass", use_focus=True)
    assert ref.from_focus and ref.matches[0].key == "reisepass"


def test_term_vectors_rank_the_best_term_per_service_and_round_trip(tmp_path: Path):
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype=np.float32)
    tv = TermVectors(["a", "a", "b"], vectors, "digest")
    assert tv.ranked(np.array([0.6, 0.8], dtype=np.float32), 2) == [
        ("a", pytest.approx(0.96)),
        ("b", pytest.approx(0.8)),
    ]
    assert tv.ranked(np.zeros(2, dtype=np.float32), 2) == []  # an empty message
    tv.save(tmp_path / "v.npz")
    back = TermVectors.load(tmp_path / "v.npz")
    assert back is not None and back.keys == tv.keys and back.digest == "digest"
    assert TermVectors.load(tmp_path / "missing.npz") is None


def test_service_terms_come_from_the_data_in_both_languages():
    terms = service_terms(KNOWLEDGE_DIR)
    sperr = [t for k, t in terms if k == "sperrmuell"]
    assert "Sperrmüll anmelden" in sperr and "Sofa wegwerfen" in sperr  # name, phrase
    assert "old sofa" in sperr  # English synonym of translations.en
    assert len(sperr) == len(set(sperr))


def _guesser(terms: list[tuple[str, str]]) -> Any:
    from unittest.mock import MagicMock

    from bot.nlu.sentence_embedding import ServiceGuesser

    guesser = ServiceGuesser({}, MagicMock(), MagicMock())
    guesser._vectors = TermVectors.of(terms)  # real embeddings of a few terms
    return guesser


def _message(text: str, intent: str) -> Any:
    from rasa.shared.nlu.training_data.message import Message

    return Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})


def test_the_bundled_model_finds_a_concern_by_meaning():
    guesser = _guesser(
        [
            ("sperrmuell", "Sperrmüll anmelden"),
            ("sperrmuell", "alte Möbel entsorgen"),
            ("hundesteuer", "Hund anmelden"),
            ("reisepass", "Reisepass beantragen"),
        ]
    )
    sofa, dog = (
        _message("Wohin mit meinem alten Sofa?", "ask_responsibility"),
        _message("Unser neuer Vierbeiner bellt viel, muss ich ihn melden?", "ask_responsibility"),
    )
    guesser.process([sofa, dog])
    first = [
        next(e["value"] for e in m.get("entities") if e["entity"] == "service_guess")
        for m in (sofa, dog)
    ]
    assert first == ["sperrmuell", "hundesteuer"]
    sims = [e["confidence"] for e in sofa.get("entities")]
    assert sims == sorted(sims, reverse=True) and all(0 < s <= 1 for s in sims)


def test_only_responsibility_questions_are_embedded():
    guesser = _guesser([("sperrmuell", "Sperrmüll anmelden")])
    messages = [
        _message("Wohin mit meinem alten Sofa?", "greet"),
        _message("/ask_responsibility", "ask_responsibility"),  # a button payload
    ]
    guesser.process(messages)
    assert all(not m.get("entities") for m in messages)


def test_another_directory_is_embedded_in_the_background_and_cached(tmp_path, monkeypatch):
    from unittest.mock import MagicMock

    from bot.nlu import sentence_embedding
    from bot.nlu.sentence_embedding import ServiceGuesser

    terms = [("sperrmuell", "Sperrmüll anmelden"), ("reisepass", "Reisepass beantragen")]
    monkeypatch.setattr(sentence_embedding, "service_terms", lambda directory: terms)
    stale = TermVectors(["x"], np.ones((1, 384), dtype=np.float32), "trained-on-another-city")

    def guesser() -> ServiceGuesser:
        return ServiceGuesser({}, MagicMock(), MagicMock(), stale, tmp_path, tmp_path / "state")

    first = guesser()
    first.prepare()
    assert first._embedding is not None  # not on the caller's thread
    first._embedding.join(timeout=60)
    ready = first.vectors()
    assert ready is not None and ready.keys == ["sperrmuell", "reisepass"]
    assert list((tmp_path / "state" / "cache").glob("service_terms-*.npz"))
    second = guesser()
    second.prepare()  # from the cache, at once
    assert second._embedding is None and second.vectors().keys == ready.keys


def test_no_guess_while_the_terms_are_still_being_embedded():
    from unittest.mock import MagicMock

    from bot.nlu.sentence_embedding import ServiceGuesser

    guesser = ServiceGuesser({}, MagicMock(), MagicMock())
    guesser._embedding = MagicMock()  # a background embedding that has not finished
    message = _message("Wohin mit meinem alten Sofa?", "ask_responsibility")
    guesser.process([message])
    assert not message.get("entities")


def test_a_message_that_names_a_service_is_not_embedded(monkeypatch):
    from bot.nlu import sentence_embedding

    guesser = _guesser([("sperrmuell", "Sperrmüll anmelden"), ("reisepass", "Reisepass")])
    embedded: list[str] = []
    real = sentence_embedding.embed

    def counting(texts):
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setattr(sentence_embedding, "embed", counting)
    named = _message("Was kostet ein Reisepass?", "ask_responsibility")
    named.set("entities", [{"entity": "service", "value": "reisepass"}])
    unnamed = _message("Wohin mit meinem alten Sofa?", "ask_responsibility")
    unnamed.set("entities", [{"entity": "service", "value": "Sofa"}])  # not a service id
    guesser.process([named, unnamed])
    assert embedded == ["Wohin mit meinem alten Sofa?"]
    assert not [e for e in named.get("entities") if e["entity"] == "service_guess"]
