"""Concerns in the citizen's own words, end to end through the REST webhook (issue 13).

The service is found by meaning (bot.nlu.sentence_embedding.ServiceGuesser in Rasa's NLU,
bot.dialogue.resolve in the action server): answered and named back when one service is
clearly closest, otherwise offered as buttons, and nothing unrelated for a thing the
city's data does not have. Names and offices are read from the data, not written here.
"""

from __future__ import annotations

import uuid

import pytest

from bot.knowledge.base import load_knowledge
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.stack

KNOWLEDGE = load_knowledge(ROOT / "data" / "knowledge")


def sender() -> str:
    return f"cn-{uuid.uuid4().hex[:8]}"


def test_a_clear_concern_is_answered_with_the_service_named_back(stack):
    service = KNOWLEDGE.services["sperrmuell"]
    office = KNOWLEDGE.offices[service.office]
    parsed = stack.parse("Wohin mit meinem alten Sofa?")
    guesses = [e for e in parsed["entities"] if e["entity"] == "service_guess"]
    assert guesses and guesses[0]["value"] == "sperrmuell"  # from Rasa's own NLU
    text = stack.say(sender(), "Wohin mit meinem alten Sofa?")
    assert f"Meinten Sie „{service.name}“" in text
    assert office.name in text


def test_an_unclear_concern_gets_the_closest_services_as_buttons(stack):
    # no word of the message names a service; the closest by meaning are close together
    replies = stack.chat(sender(), "Meine Arbeitserlaubnis läuft im März aus")
    titles = [b["title"] for r in replies for b in r.get("buttons") or []]
    assert KNOWLEDGE.services["aufenthaltstitel"].name in titles
    assert "Meinten Sie „" not in " ".join(r.get("text", "") for r in replies)  # not answered


def test_a_lacking_service_gets_no_unrelated_offer(stack):
    replies = stack.chat(sender(), "Wer kümmert sich um Wespennester?")
    titles = {b["title"] for r in replies for b in r.get("buttons") or []}
    for unrelated in ("wohngeld", "grundsicherung", "gewerbe_abmelden"):
        assert KNOWLEDGE.services[unrelated].name not in titles
