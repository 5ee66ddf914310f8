"""General questions with a fixed answer (FAQ), maintained in `data/knowledge/faq.yml`.

The NLU model only decides *that* a message is a general question (intent ``ask_faq``;
its examples are generated from the questions in `faq.yml`). Which entry answers it is
decided here by fuzzy matching against all questions, so an answer text edited in
`faq.yml` is used at once, without training.
"""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.dialogue import Outcome, entity_values, payload_button
from bot.knowledge.base import FaqEntry, Knowledge

TOPIC = "faq"
ANSWER_SCORE = 60.0  # the best question must come at least this close to answer directly
AMBIGUITY_MARGIN = 4.0  # entries this close to the best one are offered as a choice
MAX_CHOICES = 3


def _reply(out: Outcome, entry: FaqEntry, lang: str) -> None:
    out.say(
        "utter_faq",
        answer=texts.from_data(lang, entry.answer, entry.answer_in(lang)),
        source=entry.source,
        updated=texts.fmt_date(lang, entry.updated),
    )
    out.slots["faq"] = entry.id


def answer(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    language: str | None = None,
) -> Outcome:
    """Answers a general question from `faq.yml`, or offers the closest questions."""
    lang = texts.normalise(language)
    out = Outcome(slots={"topic": TOPIC})
    for value in entity_values(entities, "faq"):
        if value in knowledge.faq:
            _reply(out, knowledge.faq[value], lang)
            return out
    matches = knowledge.find_faq(text) if text.strip() else []
    if matches and matches[0].score >= ANSWER_SCORE:
        close = [m for m in matches if m.score > matches[0].score - AMBIGUITY_MARGIN]
        if len(close) == 1:
            _reply(out, knowledge.faq[close[0].key], lang)
            return out
        matches = close
    if matches:
        buttons = [
            payload_button(knowledge.faq[m.key].questions[0], "ask_faq", faq=m.key)
            for m in matches[:MAX_CHOICES]
        ]
        out.say("utter_faq_choose", buttons=buttons)
        return out
    out.say("utter_faq_unknown")
    if text.strip() and not text.startswith("/"):
        out.backlog = text
    return out
