"""Language of each message (issue 19): switched only on clear evidence or on request."""

from __future__ import annotations

import pytest

from bot.nlu.language_detector import LanguageDetector, masked, requested_language, switch_phrases

DETECTOR = LanguageDetector(LanguageDetector.get_default_config())


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Is the citizens office open on Saturday?", "en"),
        ("where do I register my address after moving?", "en"),
        ("Is Hauptstraße closed for traffic?", "en"),  # the German street name says nothing
        ("When is the Kfz-Zulassungsstelle open this week?", "en"),
        ("Wann hat das Bürgerbüro am Samstag geöffnet?", "de"),
        ("Ist die Brückenstraße gesperrt?", "de"),
        ("Wo melde ich meinen Hund an?", "de"),
    ],
)
def test_clear_messages_set_the_language(text, lang):
    found = DETECTOR.language_of(text, [])
    assert found is not None and found[0] == lang


@pytest.mark.parametrize(
    "text", ["ok", "Hallo", "Hi", "Brückenstraße", "Hauptstraße", "Standesamt", "Ja", "no", "👍"]
)
def test_short_or_ambiguous_messages_keep_the_language(text):
    assert DETECTOR.language_of(text, []) is None


@pytest.mark.parametrize(
    "text, lang",
    [
        ("English please", "en"),
        ("Can we speak English?", "en"),
        ("auf Deutsch bitte", "de"),
        ("Deutsch bitte!", "de"),
        ("Please answer in German", "de"),
        ("Auf Englisch, bitte", "en"),
    ],
)
def test_a_request_switches_at_once(text, lang):
    assert requested_language(text, switch_phrases()) == lang
    assert DETECTOR.language_of(text, []) == (lang, 1.0)


def test_a_long_message_naming_a_language_is_not_a_request():
    text = (
        "Ich brauche eine beglaubigte Übersetzung meiner Geburtsurkunde ins Englische für das Visum"
    )
    assert requested_language(text, switch_phrases()) is None


def test_entity_spans_and_german_names_are_left_out():
    text = "Is the Bürgerbüro Nord open?"
    entities = [{"entity": "office", "start": 7, "end": 22, "value": "Bürgerbüro Nord"}]
    assert masked(text, entities, DETECTOR.name_pattern) == "Is the open"
    assert masked("Ist die Hauptstraße zu?", [], DETECTOR.name_pattern) == "Ist die zu"


def test_process_adds_the_entity_only_when_clear():
    from rasa.shared.nlu.training_data.message import Message

    clear = Message(data={"text": "Where can I apply for a residence permit?"})
    vague = Message(data={"text": "ok"})
    payload = Message(data={"text": '/inform{"office":"standesamt"}'})
    DETECTOR.process([clear, vague, payload])
    assert [e["value"] for e in clear.get("entities") if e["entity"] == "language"] == ["en"]
    assert not vague.get("entities")
    assert not payload.get("entities")
