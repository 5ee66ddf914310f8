"""A lone 👍/👎 in any channel rates the last answer (guard → /feedback → action_feedback)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionFeedback, rated_topic
from bot import runtime
from bot.channels.guard import guard, thumb_rating
from bot.store import feedback, make_engine


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("👍", 1),
        ("👍🏽", 1),
        (" 👍️ ", 1),
        ("👍👍", 1),
        ("👎", -1),
        ("👎🏿👎🏿", -1),
        ("👍 danke", None),
        ("👍👎", None),
        ("😀", None),
        ("", None),
    ],
)
def test_thumbs_are_recognised(text, rating):
    assert thumb_rating(text) == rating


def test_guard_turns_a_thumb_into_the_feedback_payload():
    assert guard("👎").text == '/feedback{"rating": -1}'
    assert guard("👍 super").text == "👍 super"  # words: an ordinary message


def _tracker(rating: str, topic: str | None, intent: str = "ask_opening_hours") -> Tracker:
    events = [
        {"event": "user", "text": "Wann hat das Standesamt auf?",
         "parse_data": {"intent": {"name": intent}}},
        {"event": "bot", "text": "Standesamt: …"},
        {"event": "user", "text": f'/feedback{{"rating": {rating}}}',
         "parse_data": {"intent": {"name": "feedback"}}, "input_channel": "telegram"},
    ]  # fmt: skip
    return Tracker(
        sender_id="tg-4711",
        slots={"topic": topic},
        latest_message={
            "intent": {"name": "feedback"},
            "entities": [{"entity": "rating", "value": rating}],
            "text": f'/feedback{{"rating": {rating}}}',
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_the_topic_is_the_last_answers_or_the_last_intent():
    assert rated_topic(_tracker("1", "opening_hours")) == "opening_hours"
    assert rated_topic(_tracker("1", None, intent="ask_faq")) == "ask_faq"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HANDOFF_DB_URL", f"sqlite:///{tmp_path / 'handoff.db'}")
    monkeypatch.setenv("BOT_FIXED_NOW", "2026-11-23T10:00:00+01:00")
    runtime.reset()
    yield make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")
    runtime.reset()


@pytest.mark.parametrize(("rating", "stored", "response"), [
    ("1", 1, "utter_feedback_thanks"),
    ("-1", -1, "utter_feedback_sorry"),
])  # fmt: skip
def test_the_action_stores_the_rating_and_thanks(store, rating, stored, response):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionFeedback().run(dispatcher, _tracker(rating, "opening_hours"), {}))
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == [response]
    with store.connect() as conn:
        rows = list(conn.execute(sa.select(feedback)))
    assert [(r.sender_id, r.channel, r.rating, r.topic) for r in rows] == [
        ("tg-4711", "telegram", stored, "opening_hours")
    ]


def test_too_many_ratings_still_get_thanks(store):
    dispatcher = CollectingDispatcher()
    for _ in range(8):
        asyncio.run(ActionFeedback().run(dispatcher, _tracker("1", "faq"), {}))
    assert len(dispatcher.messages) == 8
    with store.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(feedback)).scalar()
    assert 1 <= stored < 8  # the per-sender limit of bot.feedback applies
