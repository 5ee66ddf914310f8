"""Citizens' ratings: redaction, validation, rate limit, topic from the tracker store, API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import TIMEZONE, Settings
from bot.feedback import (
    COMMENT_MAX,
    PER_MINUTE,
    FeedbackError,
    TooManyRatings,
    clean_comment,
    conversation_topic,
    record_feedback,
)
from bot.store import feedback, make_engine
from tests.unit.test_analytics import Turn, conversation_events, save_conversation, tracker_store
from tests.webserver import app_settings, running_app

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)
IBAN = "DE89370400440532013000"


def stored(url: str) -> list[dict]:
    with make_engine(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(feedback).order_by(feedback.c.id))]


# --- comments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("  \n\t ", None),
        ("Sehr  hilfreich,\x00 danke!", "Sehr hilfreich, danke!"),
        (f"Meine IBAN: {IBAN}", "Meine IBAN: [IBAN entfernt]"),
        ("Rufen Sie mich an: 0171 2345678", "Rufen Sie mich an: [Telefonnummer entfernt]"),
        ("Zeile 1\r\nZeile 2", "Zeile 1\nZeile 2"),
    ],
)
def test_clean_comment(raw, expected):
    assert clean_comment(raw) == expected


def test_comment_is_redacted_before_it_is_shortened():
    text = "x" * (COMMENT_MAX - 10) + " " + IBAN
    cleaned = clean_comment(text)
    assert cleaned is not None and len(cleaned) <= COMMENT_MAX
    assert "DE89" not in cleaned and "3704" not in cleaned
    assert len(clean_comment("ä" * 100_000) or "") == COMMENT_MAX


# --- record_feedback --------------------------------------------------------------------


def test_record_stores_redacted_comment(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    engine = make_engine(url)
    fid = record_feedback(
        engine,
        sender_id="tg-42",
        channel="telegram",
        rating=-1,
        comment=f"Falsch. {IBAN}, Tel. 0211/1234567",
        topic="ask_opening_hours",
        now=NOW,
    )
    [row] = stored(url)
    assert row["id"] == fid
    assert (row["sender_id"], row["channel"], row["rating"], row["topic"]) == (
        "tg-42",
        "telegram",
        -1,
        "ask_opening_hours",
    )
    assert row["comment"] == "Falsch. [IBAN entfernt], Tel. [Telefonnummer entfernt]"
    assert row["created_at"] == datetime(2026, 11, 23, 9, 0)  # UTC


@pytest.mark.parametrize(
    "bad",
    [
        {"rating": 0},
        {"rating": 2},
        {"rating": True},
        {"rating": "1"},
        {"sender_id": ""},
        {"sender_id": "x" * 201},
        {"channel": ""},
        {"channel": "c" * 41},
        {"topic": "Öffnungszeiten!"},
        {"topic": "a" * 61},
        {"comment": 5},
    ],
)
def test_record_rejects_bad_values(tmp_path, bad):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    values = {"sender_id": "s", "channel": "socketio", "rating": 1, "topic": None, **bad}
    with pytest.raises(FeedbackError):
        record_feedback(engine, now=NOW, **values)


def test_rate_limit_per_sender_and_minute(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    for i in range(PER_MINUTE):
        record_feedback(
            engine, sender_id="s1", channel="socketio", rating=1, now=NOW + timedelta(seconds=i)
        )
    with pytest.raises(TooManyRatings):
        record_feedback(engine, sender_id="s1", channel="socketio", rating=1, now=NOW)
    record_feedback(engine, sender_id="s2", channel="socketio", rating=1, now=NOW)  # other sender
    record_feedback(
        engine, sender_id="s1", channel="socketio", rating=-1, now=NOW + timedelta(seconds=61)
    )


# --- topic from the tracker store -------------------------------------------------------


async def seed_tracker(path: Path) -> None:
    store = tracker_store(path)
    await save_conversation(
        store,
        "web-1",
        conversation_events(
            "socketio",
            NOW - timedelta(minutes=5),
            [
                Turn("/greet", "greet"),
                Turn(
                    "Wann hat das Standesamt auf?", "ask_opening_hours", {"topic": "opening_hours"}
                ),
                Turn("und der Wertstoffhof?", "inform", {"topic": "opening_hours"}),
            ],
        ),
    )
    await save_conversation(
        store,
        "tg-1",
        conversation_events(
            "telegram", NOW, [Turn("Wo melde ich meinen Hund an?", "ask_responsibility")]
        ),
    )
    store.engine.dispose()


async def test_topic_and_channel_from_the_tracker(tmp_path):
    await seed_tracker(tmp_path / "rasa.db")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rasa.db'}")
    # a follow-up ("inform") counts for the topic it was answered in
    assert conversation_topic(engine, "web-1") == ("ask_opening_hours", "socketio")
    assert conversation_topic(engine, "tg-1") == ("ask_responsibility", "telegram")
    assert conversation_topic(engine, "unknown") == (None, None)
    no_events = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert conversation_topic(no_events, "web-1") == (None, None)


# --- POST /api/feedback -----------------------------------------------------------------


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    await seed_tracker(tmp_path / "rasa.db")
    return app_settings(tmp_path, NOW.isoformat())


async def post(web, body, content_type: str = "application/json") -> int:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    async with web.http.post(
        f"{web.url}/api/feedback", data=data, headers={"Content-Type": content_type}
    ) as resp:
        return resp.status


async def test_api_stores_rating_with_topic_from_tracker_and_redacts(settings):
    async with running_app(settings) as web:
        status = await post(
            web,
            {
                "sender_id": "web-1",
                "rating": -1,
                "comment": f"Stimmt nicht. IBAN {IBAN}, rufen Sie an: +49 171 2345678",
                "topic": "greet",  # the widget's guess loses against the tracker
            },
        )
        assert status == 201
        assert await post(web, {"sender_id": "new-visitor", "rating": 1, "topic": "thank"}) == 201
        assert await post(web, {"sender_id": "new-visitor-2", "rating": 1}) == 201
    rows = stored(settings.handoff_db_url)
    assert [(r["sender_id"], r["channel"], r["rating"], r["topic"]) for r in rows] == [
        ("web-1", "socketio", -1, "ask_opening_hours"),
        ("new-visitor", "socketio", 1, "thank"),
        ("new-visitor-2", "socketio", 1, None),
    ]
    comment = rows[0]["comment"]
    assert comment == "Stimmt nicht. IBAN [IBAN entfernt], rufen Sie an: [Telefonnummer entfernt]"
    assert IBAN not in comment and "2345678" not in comment


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"sender_id": "web-1", "rating": 1}', "text/plain"),  # no cross-site simple POST
        ("sender_id=web-1&rating=1", "application/x-www-form-urlencoded"),
        ('{"sender_id": "web-1", "rating": ', "application/json"),
        ('["web-1", 1]', "application/json"),
        ('{"rating": 1}', "application/json"),
        ('{"sender_id": "", "rating": 1}', "application/json"),
        ('{"sender_id": 7, "rating": 1}', "application/json"),
        ('{"sender_id": "web-1"}', "application/json"),
        ('{"sender_id": "web-1", "rating": 0}', "application/json"),
        ('{"sender_id": "web-1", "rating": "1"}', "application/json"),
        ('{"sender_id": "web-1", "rating": true}', "application/json"),
        ('{"sender_id": "web-1", "rating": 1.5}', "application/json"),
        ('{"sender_id": "web-1", "rating": 1, "comment": ["x"]}', "application/json"),
        (
            '{"sender_id": "web-1", "rating": 1, "comment": "' + "x" * 2001 + '"}',
            "application/json",
        ),
        ('{"sender_id": "someone", "rating": 1, "topic": "<script>"}', "application/json"),
        ('{"sender_id": "' + "s" * 201 + '", "rating": 1}', "application/json"),
    ],
)
async def test_api_bad_payloads_are_400(settings, body, content_type):
    async with running_app(settings) as web:
        assert await post(web, body, content_type) == 400
    assert stored(settings.handoff_db_url) == []


async def test_api_rate_limit_is_429(settings):
    async with running_app(settings) as web:
        for _ in range(PER_MINUTE):
            assert await post(web, {"sender_id": "tg-1", "rating": 1}) == 201
        async with web.http.post(
            f"{web.url}/api/feedback", json={"sender_id": "tg-1", "rating": -1}
        ) as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "60"
    rows = stored(settings.handoff_db_url)
    assert len(rows) == PER_MINUTE
    assert {r["channel"] for r in rows} == {"telegram"}  # the conversation's channel
