"""Analytics on a seeded week: exact numbers, date range, pages, exports, open data.

The tracker store is written by Rasa's own SQLTrackerStore from real Rasa events, as the
running assistant does; tickets and feedback through the project's functions. The week
is 17.–23.11.2026 (Europe/Berlin), the default range at the fixed "now" (Mon 23.11.2026,
10:00); a few events just outside it check the day boundaries.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import analytics
from bot.config import TIMEZONE, Settings
from bot.feedback import record_feedback
from bot.handoff.tickets import NewTicket, insert_ticket
from bot.store import audit_log, make_engine, tickets
from bot.web.auth import upsert_user
from tests.builders import new_ticket
from tests.webserver import app_settings, running_app

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)
PASSWORD = "auswertung-passwort-123"
IBAN = "DE89370400440532013000"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TIMEZONE)


@dataclass
class Turn:
    """One citizen message and the assistant's reaction to it."""

    text: str
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    action: str = "utter_answer"
    reverted: bool = False  # core fallback: action_fallback + UserUtteranceReverted


def conversation_events(
    channel: str, start: datetime, turns: list[Turn], session_start: bool = True
) -> list[Any]:
    """Rasa events as the assistant stores them, one turn a minute from ``start``."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    t = start.timestamp()
    events: list[Any] = []
    if session_start:
        events += [
            ActionExecuted("action_session_start", timestamp=t - 1),
            SessionStarted(timestamp=t - 1),
            ActionExecuted("action_listen", timestamp=t - 1),
        ]
    for i, turn in enumerate(turns):
        ts = t + 60 * i
        parse = {
            "text": turn.text,
            "intent": {"name": turn.intent, "confidence": 0.93},
            "entities": [],
            "intent_ranking": [{"name": turn.intent, "confidence": 0.93}],
        }
        events.append(
            UserUttered(
                turn.text,
                intent=parse["intent"],
                parse_data=parse,
                input_channel=channel,
                timestamp=ts,
                metadata={"language": "de"},
            )
        )
        events.append(ActionExecuted(turn.action, policy="RulePolicy", timestamp=ts + 1))
        events += [SlotSet(name, value, timestamp=ts + 1) for name, value in turn.slots.items()]
        events.append(BotUttered("Antwort", {}, {}, timestamp=ts + 1))
        if turn.reverted:
            events.append(UserUtteranceReverted(timestamp=ts + 1))
        events.append(ActionExecuted("action_listen", timestamp=ts + 2))
    return events


async def save_conversation(store: Any, sender: str, events: list[Any]) -> None:
    """Saves the sender's tracker with ``events`` in Rasa's SQL tracker store."""
    from rasa.shared.core.slots import AnySlot
    from rasa.shared.core.trackers import DialogueStateTracker

    slots = [
        AnySlot(name, mappings=[{"type": "custom"}])
        for name in ("office", "service", "street", "topic", "handoff_stage")
    ]
    await store.save(DialogueStateTracker.from_events(sender, events, slots=slots))


def tracker_store(path: Path) -> Any:
    """Rasa's SQLTrackerStore on a SQLite file."""
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore(dialect="sqlite", db=str(path))


GREET = Turn("/greet", "greet")  # the website widget's automatic opening
WEEK: list[tuple[str, str, datetime, list[Turn]]] = [
    (
        "web-1",
        "socketio",
        at(17, 9),
        [
            GREET,
            Turn(
                "Wann hat das Standesamt auf?",
                "ask_opening_hours",
                {"topic": "opening_hours", "office": "standesamt"},
            ),
            Turn("und am Samstag?", "inform", {"topic": "opening_hours", "office": "standesamt"}),
        ],
    ),
    (
        "web-2",
        "socketio",
        at(17, 14),
        [
            GREET,
            Turn(
                "Wo melde ich meinen Hund an?",
                "ask_responsibility",
                {"topic": "responsibility", "service": "hundesteuer", "office": "steueramt"},
            ),
            Turn("blabla", "nlu_fallback", action="action_fallback"),
        ],
    ),
    (
        "tg-1",
        "telegram",
        at(18, 8),
        [
            Turn(
                "Ist die Brückenstraße gesperrt?",
                "ask_road_closures",
                {"topic": "road_closures", "street": "Brückenstraße"},
            ),
            Turn("danke", "thank"),
        ],
    ),
    (
        "fb-1",
        "facebook",
        at(19, 12),
        [
            Turn("Ich möchte mit einem Menschen sprechen", "request_human", {"topic": "handoff"}),
            Turn("ja", "affirm", {"handoff_stage": None, "office": None}),
        ],
    ),
    (
        "tg-2",
        "telegram",
        at(20, 10),
        [
            Turn("Wie wird das Wetter?", "out_of_scope", action="action_out_of_scope"),
            Turn(
                "Wo beantrage ich einen Personalausweis?",
                "ask_responsibility",
                {"service": "personalausweis", "office": "buergerbuero_mitte"},
            ),
        ],
    ),
    ("web-5", "socketio", at(21, 11), [GREET]),  # opened the chat, wrote nothing
    (
        "web-6",
        "socketio",
        at(21, 15),
        [
            Turn("Hallo", "greet"),
            Turn("Öffnungszeiten", "ask_opening_hours", action="action_fallback", reverted=True),
        ],
    ),
    (
        "web-3",
        "socketio",
        at(22, 23, 30),
        [
            Turn(
                "Wann hat das Bürgerbüro geöffnet?",
                "ask_opening_hours",
                {"office": "buergerbuero_mitte"},
            )
        ],
    ),
    (  # the same sender after midnight: a second conversation, on the 23rd
        "web-3",
        "socketio",
        at(23, 0, 30),
        [
            Turn(
                "Ist die Brückenstraße gesperrt?",
                "ask_road_closures",
                {"street": "Brückenstraße"},
            )
        ],
    ),
    (
        "web-4",
        "socketio",
        at(23, 9),
        [
            Turn(f"Meine IBAN ist {IBAN}, wo ist mein Antrag?", "ask_case_status"),
            Turn("xyz", "nlu_fallback", action="action_fallback"),
            Turn("qwe", "nlu_fallback", action="action_fallback"),
        ],
    ),
    # outside the week, just before and after it
    ("web-old", "socketio", at(16, 23, 30), [Turn("Hallo", "greet")]),
    ("web-late", "socketio", at(24, 0, 10), [Turn("Hallo", "greet")]),
]


def ticket(
    sender: str,
    channel: str,
    reason: str,
    created: datetime,
    *,
    answered_after_h: float | None = None,
    interim: bool = False,
    status: str = "neu",
) -> tuple[NewTicket, dict[str, Any]]:
    """A ticket due 24 h after creation, and the staff-side columns to set."""
    created = created.astimezone(timezone.utc)
    new = new_ticket(
        f"MS-{sender.upper()[:4]}-{created:%d%H}",
        sender,
        created,
        idem_key=f"{sender}-{created.isoformat()}",
        channel=channel,
        reason=reason,
        summary="Zusammenfassung mit Text",
    )
    update: dict[str, Any] = {"status": status}
    if answered_after_h is not None:
        update["first_response_at"] = created + timedelta(hours=answered_after_h)
        update["status"] = "wartet"
    if interim:
        update["interim_sent_at"] = created + timedelta(minutes=30)
    return new, update


TICKETS = [
    ticket("fb-1", "facebook", "request_human", at(19, 12, 2), answered_after_h=3),
    ticket("web-4", "socketio", "personal_data", at(23, 9, 1), interim=True),  # not due yet
    ticket("tg-9", "telegram", "complain", at(18, 10), answered_after_h=30, interim=True),
    ticket("web-x", "socketio", "request_human", at(20, 9)),  # overdue now
    ticket("web-y", "socketio", "complain", at(21, 9), status="erledigt"),  # closed, no reply
    ticket("web-z", "socketio", "complain", at(10, 9)),  # before the week, overdue now
]
FEEDBACK = [
    ("web-1", "socketio", 1, None, "ask_opening_hours", at(17, 9, 5)),
    ("web-2", "socketio", -1, "Hat nicht geholfen", "ask_responsibility", at(17, 14, 5)),
    ("tg-1", "telegram", 1, None, "ask_road_closures", at(18, 8, 5)),
    (
        "web-3",
        "socketio",
        -1,
        f"Falsch! Rufen Sie mich an: 0171 2345678, {IBAN}",
        "ask_road_closures",
        at(23, 0, 35),
    ),
    ("web-3", "socketio", 1, "", "ask_opening_hours", at(22, 23, 35)),
    ("web-old", "socketio", -1, "alt", "greet", at(16, 23, 40)),
]


async def seed(tracker_path: Path, handoff_url: str) -> None:
    """Writes the week into the tracker store, the tickets and the feedback table."""
    store = tracker_store(tracker_path)
    by_sender: dict[str, list[Any]] = {}
    for sender, channel, start, turns in WEEK:
        by_sender.setdefault(sender, []).extend(conversation_events(channel, start, turns))
    for sender, events in by_sender.items():
        await save_conversation(store, sender, events)
    store.engine.dispose()
    engine = make_engine(handoff_url)
    for new, update in TICKETS:
        insert_ticket(engine, new)
        with engine.begin() as conn:
            conn.execute(
                sa.update(tickets).where(tickets.c.reference == new.reference).values(**update)
            )
    for sender, channel, rating, comment, topic, when in FEEDBACK:
        record_feedback(
            engine,
            sender_id=sender,
            channel=channel,
            rating=rating,
            comment=comment,
            topic=topic,
            now=when,
        )
    engine.dispose()


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    s = app_settings(tmp_path, NOW.isoformat())
    await seed(tmp_path / "rasa.db", s.handoff_db_url)
    engine = make_engine(s.handoff_db_url)
    upsert_user(engine, "sam", PASSWORD, "staff")
    engine.dispose()
    return s


def week_report(s: Settings, first: date = date(2026, 11, 17), last: date = date(2026, 11, 23)):
    return analytics.compute(
        make_engine(s.tracker_store_url),
        make_engine(s.handoff_db_url),
        analytics.Range(first, last),
        NOW,
    )


# --- the numbers ------------------------------------------------------------------------


async def test_conversations_and_messages_per_day_and_channel(settings):
    r = week_report(settings)
    assert r.tracker_available
    per_day = {d.day: (v["conversations"], v["messages"]) for d, v in r.per_day.items()}
    assert per_day == {
        17: (2, 4),
        18: (1, 2),
        19: (1, 2),
        20: (1, 2),
        21: (1, 2),  # web-5 only opened the chat: not counted
        22: (1, 1),  # 23:30 local time is still the 22nd
        23: (2, 4),  # 00:30 local (23:30 UTC the day before) belongs to the 23rd
    }
    assert (r.conversations, r.messages) == (9, 17)
    assert r.channels == {
        "socketio": {"conversations": 6, "messages": 11},
        "telegram": {"conversations": 2, "messages": 4},
        "facebook": {"conversations": 1, "messages": 2},
    }
    assert list(r.channels) == ["socketio", "telegram", "facebook"]  # largest first
    assert dict(r.per_day_channel[date(2026, 11, 17)]) == {"socketio": 2}
    assert dict(r.per_day_channel[date(2026, 11, 20)]) == {"telegram": 1}


async def test_topics_offices_services_streets(settings):
    r = week_report(settings)
    assert r.topics == [
        ("ask_opening_hours", 3),
        ("nlu_fallback", 3),
        ("ask_responsibility", 2),
        ("ask_road_closures", 2),
        ("affirm", 1),
        ("ask_case_status", 1),
        ("greet", 1),  # a typed "Hallo"; the widget's automatic /greet is not counted
        ("inform", 1),
        ("out_of_scope", 1),
        ("request_human", 1),
        ("thank", 1),
    ]
    # conversations in which the assistant answered about it (follow-ups count once)
    assert r.offices == [("buergerbuero_mitte", 2), ("standesamt", 1), ("steueramt", 1)]
    assert r.services == [("hundesteuer", 1), ("personalausweis", 1)]
    assert r.streets == [("Brückenstraße", 2)]


async def test_fallback_handoff_containment(settings):
    r = week_report(settings)
    assert r.not_understood == 4  # 3 × nlu_fallback + 1 core fallback (reverted)
    assert r.not_understood_rate == pytest.approx(4 / 17)
    assert (r.nlu_fallback, r.out_of_scope) == (3, 1)
    assert r.handoffs == 5
    assert r.handoffs_by_reason == [("complain", 2), ("request_human", 2), ("personal_data", 1)]
    assert r.conversations_with_ticket == 2  # fb-1 on the 19th, web-4 on the 23rd
    assert r.handoff_rate == pytest.approx(2 / 9)
    assert r.containment == pytest.approx(7 / 9)


async def test_staff_response_times(settings):
    r = week_report(settings)
    assert r.tickets_answered == 2
    assert r.tickets_in_time == 1  # fb-1 after 3 h
    assert r.tickets_late == 2  # tg-9 after 30 h; web-x unanswered and past due
    assert r.in_time_rate == pytest.approx(1 / 3)  # web-4 not due yet, web-y closed
    assert r.median_response_hours == pytest.approx(16.5)
    assert r.interim_sent == 2
    assert r.overdue_now == 2  # web-x and web-z (from before the week)


async def test_satisfaction(settings):
    r = week_report(settings)
    assert (r.feedback_up, r.feedback_down, r.feedback_comments) == (3, 2, 2)
    assert r.satisfaction == pytest.approx(0.6)
    assert r.satisfaction_by_topic == [
        ("ask_opening_hours", 2, 0),
        ("ask_road_closures", 1, 1),
        ("ask_responsibility", 0, 1),
    ]
    assert r.satisfaction_by_channel == [("socketio", 2, 2), ("telegram", 1, 0)]


async def test_one_day_and_empty_ranges(settings):
    r = week_report(settings, date(2026, 11, 23), date(2026, 11, 23))
    assert (r.conversations, r.messages, r.handoffs, r.not_understood) == (2, 4, 1, 2)
    assert (r.feedback_up, r.feedback_down) == (0, 1)
    r = week_report(settings, date(2026, 1, 1), date(2026, 1, 7))
    assert (r.conversations, r.messages, r.handoffs) == (0, 0, 0)
    assert r.containment is None and r.not_understood_rate is None
    assert r.overdue_now == 2  # "now", whatever the range


def test_without_tracker_store_only_tickets_and_feedback(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'no-rasa.db'}")
    r = analytics.compute(empty, engine, analytics.Range(date(2026, 11, 17), NOW.date()), NOW)
    assert not r.tracker_available and r.conversations == 0


def test_range_parsing():
    r = analytics.parse_range(None, None, NOW)
    assert (r.first, r.last) == (date(2026, 11, 17), date(2026, 11, 23))
    assert r.start == datetime(2026, 11, 16, 23, 0, tzinfo=timezone.utc)
    assert r.end == datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc)
    r = analytics.parse_range("2026-03-29", "2026-03-29", NOW)  # DST starts: a 23-hour day
    assert (r.end - r.start) == timedelta(hours=23)
    r = analytics.parse_range("", "2026-11-10", NOW)
    assert (r.first, r.last) == (date(2026, 11, 4), date(2026, 11, 10))
    for raw_from, raw_to, message in [
        ("23.11.2026", "", "„von“ (23.11.2026) ist ungültig"),
        ("2026-02-30", "", "ungültig"),
        ("", "<script>", "„bis“ (<script>) ist ungültig"),
        ("2026-11-20", "2026-11-10", "liegt nach"),
        ("2024-01-01", "2026-11-10", "zu lang"),
    ]:
        with pytest.raises(analytics.RangeError, match=re.escape(message)):
            analytics.parse_range(raw_from, raw_to, NOW)


def test_queries_compile_for_postgresql():
    """The same queries on PostgreSQL: JSON via json_extract_path_text, hours via floor."""
    from sqlalchemy.dialects import postgresql

    ev = analytics.rasa_events.c
    expr = analytics.json_text("postgresql", ev.data, "input_channel")
    sql = str(expr.compile(dialect=postgresql.dialect()))
    assert sql == "json_extract_path_text(CAST(events.data AS JSON), %(json_extract_path_text_1)s)"
    sql = str(
        analytics.hour_bucket("postgresql", ev.timestamp).compile(dialect=postgresql.dialect())
    )
    assert "floor(events.timestamp /" in sql


# --- the pages --------------------------------------------------------------------------


async def login(web) -> None:
    async with web.http.post(
        f"{web.url}/staff/login", data={"username": "sam", "password": PASSWORD}
    ) as resp:
        assert resp.status == 200


def cell(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert match, element_id
    return match.group(1).strip()


async def test_anonymous_is_sent_to_login(settings):
    async with running_app(settings) as web:
        for path in ("/", "/export.csv", "/open-data.csv", "/open-data.json"):
            async with web.http.get(
                f"{web.url}/staff/analytics{path}", allow_redirects=False
            ) as resp:
                assert resp.status == 302, path
                assert resp.headers["Location"] == "/staff/login"


async def test_page_shows_counts_chart_and_no_texts(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/analytics/") as resp:
            assert resp.status == 200
            assert "Content-Security-Policy" in resp.headers
            page = await resp.text()
        async with web.http.get(f"{web.url}/staff/") as resp:
            assert 'href="/staff/analytics/">Auswertung</a>' in await resp.text()
    assert cell(page, "kpi-conversations") == "9"
    assert cell(page, "kpi-messages") == "17"
    assert cell(page, "kpi-containment") == "77,8 %"
    assert cell(page, "kpi-fallback") == "23,5 %"
    assert cell(page, "kpi-handoff") == "22,2 %"
    assert cell(page, "kpi-intime") == "33,3 %"
    assert cell(page, "kpi-overdue") == "2"
    assert cell(page, "kpi-satisfaction") == "60,0 %"
    assert cell(page, "feedback-comments") == "2"
    assert 'value="2026-11-17"' in page and 'value="2026-11-23"' in page
    # one inline SVG chart per kind, labelled, each followed by its data table
    assert page.count('<svg class="chart"') == 2
    assert 'role="img" aria-labelledby="chart-days-title chart-days-desc"' in page
    assert "insgesamt 9" in page
    assert '<table class="tickets data" id="table-days">' in page
    assert (
        '<th scope="row">Di 17.11.</th><td>2</td><td>0</td><td>0</td><td>2</td><td>4</td>' in page
    )
    assert "Standesamt" in page and "Hund anmelden" in page  # names, not ids
    assert "Beschwerde</th><td>2</td>" in page
    # counts only: no message texts, comments, sender ids or ticket summaries
    for secret in (
        "Hat nicht geholfen",
        "Falsch!",
        "web-1",
        "fb-1",
        "Menschen sprechen",
        IBAN,
        "Zusammenfassung",
        "0171",
    ):
        assert secret not in page, secret
    assert "<script" not in page


async def test_date_filter(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(
            f"{web.url}/staff/analytics/?from=2026-11-23&to=2026-11-23"
        ) as resp:
            page = await resp.text()
        assert cell(page, "kpi-conversations") == "2"
        assert cell(page, "kpi-messages") == "4"
        async with web.http.get(
            f"{web.url}/staff/analytics/?from=2026-11-16&to=2026-11-24"
        ) as resp:
            page = await resp.text()
        assert cell(page, "kpi-conversations") == "11"  # web-old and web-late as well


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=gestern", "Das Datum „von“ (gestern) ist ungültig"),
        ("to=2026-13-01", "Das Datum „bis“ (2026-13-01) ist ungültig"),
        ("from=2026-11-23&to=2026-11-01", "liegt nach dem Datum"),
        ("from=2020-01-01&to=2026-11-23", "Der Zeitraum ist zu lang"),
        ("from=%3Cscript%3Ealert(1)%3C/script%3E", "ist ungültig"),
    ],
)
async def test_bad_dates_get_a_clear_message(settings, query, message):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/analytics/?{query}") as resp:
            assert resp.status == 400
            page = await resp.text()
        async with web.http.get(f"{web.url}/staff/analytics/export.csv?{query}") as resp:
            assert resp.status == 400
    assert message in page
    assert 'role="alert"' in page and "<script>alert" not in page
    assert 'id="kpi-conversations"' not in page


async def test_csv_export_is_audited(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/analytics/export.csv") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/csv")
            assert "auswertung_2026-11-17_2026-11-23.csv" in resp.headers["Content-Disposition"]
            body = (await resp.read()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == ["bereich", "schluessel", "bezeichnung", "wert"]
    values = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert values[("gesamt", "gespraeche")] == "9"
    assert values[("gesamt", "nachrichten")] == "17"
    assert values[("gesamt", "nicht_verstanden_quote")] == "23.5"
    assert values[("gespraeche_je_tag", "2026-11-23")] == "2"
    assert values[("nachrichten_je_tag", "2026-11-23")] == "4"
    assert values[("gespraeche_je_kanal", "telegram")] == "2"
    assert values[("nachrichten_je_kanal", "socketio")] == "11"
    assert len(values) == len(rows) - 1  # every (section, key) once
    assert values[("uebergabe_grund", "complain")] == "2"
    assert values[("bearbeitung", "median_stunden")] == "16.5"
    assert values[("zufriedenheit", "kommentare")] == "2"
    assert "Hat nicht geholfen" not in body and "web-1" not in body
    with make_engine(settings.handoff_db_url).connect() as conn:
        audited = [
            (r.actor, r.action, r.target, r.detail)
            for r in conn.execute(sa.select(audit_log).where(audit_log.c.action == "export"))
        ]
    assert audited == [("sam", "export", "analytics", "2026-11-17..2026-11-23")]


async def test_open_data_has_counts_only(settings):
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/analytics/open-data.json") as resp:
            assert resp.status == 200
            data = json.loads(await resp.text())
        async with web.http.get(f"{web.url}/staff/analytics/open-data.csv") as resp:
            assert resp.status == 200
            text = await resp.text()
    assert data["lizenz"].startswith("Datenlizenz Deutschland")
    assert data["zeitraum"] == {"von": "2026-11-17", "bis": "2026-11-23"}
    assert [d["gespraeche"] for d in data["tage"]] == [2, 1, 1, 1, 1, 1, 2]
    assert data["kanaele"]["socketio"] == {"gespraeche": 6, "nachrichten": 11}
    assert data["themen"]["ask_opening_hours"] == 3
    assert data["uebergaben_je_grund"] == {"complain": 2, "request_human": 2, "personal_data": 1}
    assert data["bewertungen"]["positiv"] == 3 and data["bewertungen"]["negativ"] == 2
    # rare values are folded into "sonstige" (fewer than 3 conversations each)
    assert data["aemter"] == {"sonstige": 4} and data["strassen"] == {"sonstige": 2}
    for body in (json.dumps(data, ensure_ascii=False), text):
        for secret in (
            "web-",
            "fb-1",
            "tg-1",
            "sender",
            "Hat nicht geholfen",
            "Falsch",
            IBAN,
            "Zusammenfassung",
            "MS-",
            "Menschen",
        ):
            assert secret not in body, secret
    lines = text.splitlines()
    assert lines[0].startswith("# Nutzung des digitalen Bürgerservice-Assistenten")
    assert any(line.startswith("# Lizenz: Datenlizenz Deutschland") for line in lines)
    rows = list(csv.reader([line for line in lines if not line.startswith("#")]))
    assert rows[0] == ["zeitraum", "bereich", "schluessel", "wert"]
    assert ["2026-11-17", "gespraeche", "", "2"] in rows
    assert ["2026-11-17/2026-11-23", "themen", "nlu_fallback", "3"] in rows
    with make_engine(settings.handoff_db_url).connect() as conn:
        targets = [
            r.target
            for r in conn.execute(
                sa.select(audit_log.c.target).where(audit_log.c.action == "export")
            )
        ]
    assert targets == ["open-data.json", "open-data.csv"]


def test_overdue_now_compares_in_utc(tmp_path):
    """A ticket due at 10:30 local time is not overdue at 10:00 local (SQLite stores UTC)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    new, _ = ticket("web-q", "socketio", "request_human", at(22, 10, 30))
    insert_ticket(engine, new)  # due 23.11. 10:30 local = 09:30 UTC
    tracker = sa.create_engine(f"sqlite:///{tmp_path / 'no-rasa.db'}")
    rng = analytics.Range(date(2026, 11, 22), date(2026, 11, 23))
    assert analytics.compute(tracker, engine, rng, NOW).overdue_now == 0
    assert analytics.compute(tracker, engine, rng, at(23, 10, 31)).overdue_now == 1


def test_day_chart_stays_readable_for_a_year():
    from collections import Counter

    from bot.web.analytics import days_chart

    rng = analytics.Range(date(2026, 1, 1), date(2026, 12, 31))
    report = analytics.Report(range=rng, now=NOW)
    channels = ["socketio", "telegram", "facebook", "rest", "whatsapp"]
    report.channels = {c: {"conversations": 1, "messages": 1} for c in channels}
    for i, day in enumerate(rng.days):
        report.per_day[day] = {"conversations": i % 7, "messages": i % 7}
        report.per_day_channel[day] = Counter({"socketio": i % 7})
    chart = days_chart(report)
    assert chart.width == 900
    assert all(b.x >= 0 and b.x + b.width <= chart.width for b in chart.bars)
    assert all(b.y >= 0 and b.y + b.height <= chart.height for b in chart.bars)
    xs = [label["x"] for label in chart.labels]
    assert len(xs) <= 13 and min(b - a for a, b in itertools.pairwise(xs)) >= 70
    assert all(e["x"] + 30 + 7 * len(e["text"]) <= chart.width for e in chart.legend)
    # a week is narrower: the five channels' legend wraps into a second row
    week = analytics.Range(date(2026, 11, 17), date(2026, 11, 23))
    report.range = week
    report.per_day = {d: report.per_day[d] for d in week.days}
    chart = days_chart(report)
    assert chart.width == 554 and max(e["y"] for e in chart.legend) == 30
    assert all(e["x"] + 30 + 7 * len(e["text"]) <= chart.width for e in chart.legend)
    assert all(b.y >= 40 for b in chart.bars)  # below the legend


async def test_page_without_rasa_events_table(tmp_path):
    s = app_settings(tmp_path, NOW.isoformat())
    upsert_user(make_engine(s.handoff_db_url), "sam", PASSWORD, "staff")
    async with running_app(s) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/analytics/") as resp:
            assert resp.status == 200
            page = await resp.text()
    assert "Gesprächsdaten des Assistenten sind gerade nicht lesbar" in page
    assert cell(page, "kpi-conversations") == "0"
