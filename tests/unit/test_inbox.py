"""The caseworker's inbox: search, filters, sorting, paging, priority, human channel
names, closed cases read-only until reopened, claim and collision warning, citizen
messages from the tracker store (unread marker, status "neue Nachricht").

A real web-app server as in test_web_staff.py (Rasa is not running); citizen messages
are written by Rasa's own SQLTrackerStore into the tracker database.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.handoff.tickets import STATUSES, insert_ticket
from bot.knowledge.base import load_knowledge
from bot.knowledge.grammar import at_office, guess_article, with_article
from bot.store import audit_log, make_engine, ticket_messages, tickets
from bot.web.auth import upsert_user
from bot.web.inbox_query import InboxQuery, Labels, build, run
from tests.builders import new_ticket
from tests.webserver import STAFF_PASSWORD, app_settings, csrf_in, running_app, staff_login

ROOT = Path(__file__).resolve().parents[2]
CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
# (reference, channel, reason, office, summary, created offset in hours, assignee, status)
CASES: list[tuple[str, str, str, str, str, int, str | None, str]] = [
    ("MS-AAAA-0001", "socketio", "case_specific", "steueramt", "Grundsteuerbescheid falsch", 0,
     None, "neu"),
    ("MS-BBBB-0002", "telegram", "emergency", "ordnungsamt", "Wasserrohrbruch im Keller", 2,
     None, "neu"),
    ("MS-CCCC-0003", "facebook", "complain", "buergerbuero_mitte", "Wartezeit zu lang", 30,
     "bert", "in_bearbeitung"),
    ("MS-DDDD-0004", "rest", "request_human", "buergerbuero_mitte", "Rückruf gewünscht", 50,
     "anna", "wartet"),
    ("MS-EEEE-0005", "socketio", "case_specific", "standesamt", "Eheurkunde bestellt", 4,
     None, "erledigt"),
]  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(tmp_path, "2026-11-23T10:00:00+01:00")
    engine = make_engine(s.handoff_db_url)
    upsert_user(engine, "anna", STAFF_PASSWORD, "admin", None)
    upsert_user(engine, "bert", STAFF_PASSWORD, "admin", None)
    for i, (ref, channel, reason, office, summary, hours, assignee, status) in enumerate(CASES):
        created = CREATED + timedelta(hours=hours)
        insert_ticket(
            engine,
            new_ticket(
                ref,
                f"sender-{i}",
                created,
                idem_key=f"k{i}",
                channel=channel,
                reason=reason,
                office=office,
                summary=summary,
                transcript=[{"from": "citizen", "text": f"{summary}, bitte helfen Sie"}],
            ),
        )
        with engine.begin() as conn:
            conn.execute(
                sa.update(tickets)
                .where(tickets.c.reference == ref)
                .values(
                    assignee=assignee,
                    status=status,
                    close_reason="erledigt" if status == "erledigt" else None,
                )
            )
    return s


async def login(web, username: str = "anna") -> None:
    assert await staff_login(web, username) == 302


async def page(web, path: str) -> str:
    async with web.http.get(f"{web.url}{path}") as resp:
        assert resp.status == 200, path
        return await resp.text()


def refs(html: str) -> list[str]:
    return re.findall(r'data-reference="([^"]+)"', html)


def csrf(html: str) -> str:
    return csrf_in(html)


# --- German articles ------------------------------------------------------------------


def test_office_names_take_their_article_in_each_case():
    assert with_article("Steueramt", "das", "acc") == "das Steueramt"
    assert with_article("Ausländerbehörde", "die", "dat") == "der Ausländerbehörde"
    assert with_article("Wertstoffhof der Abfallbetriebe", "der", "acc") == (
        "den Wertstoffhof der Abfallbetriebe"
    )
    assert at_office("Steueramt", "das") == "beim Steueramt"
    assert at_office("Ausländerbehörde", "die") == "bei der Ausländerbehörde"


def test_missing_article_is_guessed_or_phrased_without_one():
    assert guess_article("Straßenverkehrs- und Tiefbauamt") == "das"
    assert guess_article("Agentur für Arbeit Musterstadt") == "die"
    assert with_article("Kfz-Zulassungs- und Führerscheinstelle", None, "acc") == (
        "die Kfz-Zulassungs- und Führerscheinstelle"
    )
    # no rule fits: still correct German, never "an Xyz"
    assert with_article("Xyz", None, "acc") == "die Stelle „Xyz“"
    assert at_office("Xyz", None) == "bei der Stelle „Xyz“"


def test_every_office_in_the_data_has_an_article():
    knowledge = load_knowledge(ROOT / "data" / "knowledge")
    assert {o.article for o in knowledge.offices.values()} <= {"der", "die", "das"}
    assert knowledge.offices["steueramt"].the("acc") == "das Steueramt"
    assert knowledge.offices["auslaenderbehoerde"].at() == "bei der Ausländerbehörde"


def test_handoff_sentences_use_the_article():
    from bot.dialogue.handoff import declined
    from bot.handoff.policy import HandoffConfig

    knowledge = load_knowledge(ROOT / "data" / "knowledge")
    config = HandoffConfig.load(ROOT / "data" / "knowledge" / "handoff.yml")
    out = declined(knowledge, config, {"office": "steueramt"})
    [reply] = out.replies
    assert reply.variables["office"] == "das Steueramt"
    domain = (ROOT / "domain" / "handoff.yml").read_text(encoding="utf-8")
    assert "liegt beim {office}" not in domain and "liegt {office_at}" in domain


# --- the query module -------------------------------------------------------------------


def _run(settings: Settings, scope: Any = None, **args: str) -> list[str]:
    engine = make_engine(settings.handoff_db_url)
    rows, _ = run(
        engine,
        build(
            InboxQuery.from_args(args),
            username="anna",
            statuses=STATUSES,
            urgent_reasons=frozenset({"emergency"}),
            scope=scope,
        ),
    )
    return [r.reference for r in rows]


def test_query_search_filters_and_scope(settings):
    assert _run(settings, q="ms-cccc-0003") == ["MS-CCCC-0003"]
    assert _run(settings, q="MS CCCC") == ["MS-CCCC-0003"]
    assert _run(settings, q="wasserrohr") == ["MS-BBBB-0002"]
    assert _run(settings, q="bitte helfen", status="alle") == [c[0] for c in _sorted_all()]
    assert _run(settings, q="100%_") == []  # LIKE wildcards are literal
    assert _run(settings, channel="telegram") == ["MS-BBBB-0002"]
    assert _run(settings, mine="1") == ["MS-DDDD-0004"]
    assert _run(settings, assignee="-") == ["MS-BBBB-0002", "MS-AAAA-0001"]
    assert _run(settings, status="erledigt") == ["MS-EEEE-0005"]
    assert _run(settings, status="dringend") == ["MS-BBBB-0002"]
    # created 20.11. 09:00 local .. 22.11.: by local date
    assert _run(settings, **{"from": "2026-11-21", "to": "2026-11-21"}) == ["MS-CCCC-0003"]
    scope = tickets.c.office == "buergerbuero_mitte"
    assert _run(settings, scope=scope) == ["MS-CCCC-0003", "MS-DDDD-0004"]
    assert _run(settings, scope=scope, q="wasserrohr") == []


def _sorted_all() -> list[tuple[Any, ...]]:
    urgent = [c for c in CASES if c[2] == "emergency"]
    rest = sorted((c for c in CASES if c[2] != "emergency"), key=lambda c: c[5])
    return urgent + rest


def test_query_sorting_priority_and_paging(settings):
    # emergencies first, then by due time
    assert _run(settings) == ["MS-BBBB-0002", "MS-AAAA-0001", "MS-CCCC-0003", "MS-DDDD-0004"]
    assert _run(settings, sort="due", dir="desc")[0] == "MS-DDDD-0004"
    assert _run(settings, sort="channel") == [
        "MS-CCCC-0003", "MS-DDDD-0004", "MS-AAAA-0001", "MS-BBBB-0002",
    ]  # fmt: skip
    engine = make_engine(settings.handoff_db_url)
    q = InboxQuery.from_args({"status": "alle", "page": "2"})
    rows, total = run(
        engine, build(q, username="anna", statuses=STATUSES, urgent_reasons=frozenset(), per_page=2)
    )
    assert total == 5 and len(rows) == 2
    assert "page=3" in q.params(page=3) and "status=alle" in q.params(page=3)
    assert InboxQuery.from_args({"page": "x", "sort": "drop table", "from": "gestern"}) == (
        InboxQuery()
    )


def test_labels_from_the_data_file():
    labels = Labels.load(ROOT / "data" / "knowledge" / "inbox.yml")
    assert labels.channel("socketio") == "Website"
    assert labels.channel("rest") == "REST-Test"
    assert labels.channel("carrier-pigeon") == "carrier-pigeon"
    assert "emergency" in labels.urgent_reasons


# --- the pages --------------------------------------------------------------------------


async def test_inbox_page_names_channels_marks_urgent_and_sorts(settings):
    async with running_app(settings) as web:
        await login(web)
        html = await page(web, "/staff/?office=")
        assert refs(html) == ["MS-BBBB-0002", "MS-AAAA-0001", "MS-CCCC-0003", "MS-DDDD-0004"]
        cells = re.findall(r'<td data-label="Kanal">([^<]*)</td>', html)
        assert cells == ["Telegram", "Website", "Facebook", "REST-Test"]
        assert html.count("dringend</strong>") == 1
        found = await page(web, "/staff/?office=&q=MS-AAAA-0001")
        assert refs(found) == ["MS-AAAA-0001"]
        sorted_page = await page(web, "/staff/?office=&sort=reference&dir=desc")
        assert refs(sorted_page)[0] == "MS-DDDD-0004"
        assert 'aria-sort="descending"' in sorted_page


async def test_closed_case_is_read_only_until_reopened(settings):
    ref = "MS-EEEE-0005"
    async with running_app(settings) as web:
        await login(web)
        html = await page(web, f"/staff/tickets/{ref}")
        token = csrf(html)
        assert "erledigt (erledigt)" not in html
        assert '<dd id="status-label">erledigt</dd>' in html
        for action in ("reply", "note", "update", "claim", "handback", "close"):
            assert f"/{action}" not in html, action
        assert f"/staff/tickets/{ref}/reopen" in html
        async with web.http.post(
            f"{web.url}/staff/tickets/{ref}/reply", data={"csrf": token, "text": "Hallo"}
        ) as resp:
            assert resp.status == 409
            assert "abgeschlossen" in await resp.text()
        async with web.http.post(
            f"{web.url}/staff/tickets/{ref}/close", data={"csrf": token, "close_reason": "hassrede"}
        ) as resp:
            assert resp.status == 409
        async with web.http.post(
            f"{web.url}/staff/tickets/{ref}/reopen", data={"csrf": token}
        ) as resp:
            reopened = await resp.text()
        assert "Vorgang wieder geöffnet" in reopened
        assert f"/staff/tickets/{ref}/reply" in reopened and 'id="reply-text"' in reopened
    engine = make_engine(settings.handoff_db_url)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.reference == ref)).one()
        assert conn.execute(sa.select(sa.func.count()).select_from(ticket_messages)).scalar() == 0
        actions = [
            (r.actor, r.action)
            for r in conn.execute(sa.select(audit_log).where(audit_log.c.target == ref))
        ]
    assert (row.status, row.close_reason, row.assignee) == ("in_bearbeitung", None, "anna")
    assert ("anna", "reopen") in actions


async def test_close_reason_other_than_done_is_part_of_the_one_label(settings):
    engine = make_engine(settings.handoff_db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(tickets)
            .where(tickets.c.reference == "MS-EEEE-0005")
            .values(close_reason="keine_rueckmeldung")
        )
    async with running_app(settings) as web:
        await login(web)
        html = await page(web, "/staff/tickets/MS-EEEE-0005")
    assert '<dd id="status-label">erledigt – keine Rückmeldung</dd>' in html


async def test_claim_and_collision_warning(settings):
    ref = "MS-AAAA-0001"
    async with running_app(settings) as web:
        await login(web, "anna")
        html = await page(web, f"/staff/tickets/{ref}")
        assert re.search(r'<div id="collision"[^>]* hidden>', html)
        async with web.http.post(
            f"{web.url}/staff/tickets/{ref}/claim", data={"csrf": csrf(html)}
        ) as resp:
            assert "Sie bearbeiten diesen Vorgang jetzt" in await resp.text()
    async with running_app(settings) as web:
        await login(web, "bert")
        html = await page(web, f"/staff/tickets/{ref}")
        assert not re.search(r'<div id="collision"[^>]* hidden>', html)
        assert "anna bearbeitet diesen Vorgang" in html
        assert "Gerade geöffnet von: anna" in html
        async with web.http.get(f"{web.url}/staff/tickets/{ref}/presence.json") as resp:
            body = await resp.json()
    assert body == {"others": ["anna"], "assignee": "anna", "status": "in_bearbeitung"}


async def test_canned_replies_carry_search_text_and_correct_articles(settings):
    async with running_app(settings) as web:
        await login(web)
        html = await page(web, "/staff/tickets/MS-AAAA-0001")
    assert 'id="canned-search"' in html
    assert "Sie erreichen das Steueramt unter" in html
    assert "einen Termin beim Steueramt" in html
    assert 'data-search="rückruf anbieten' in html


# --- citizen messages during a case --------------------------------------------------


async def _citizen_writes(settings: Settings, sender: str, reference: str, text: str) -> None:
    """The conversation as Rasa stores it: the handoff answer naming the reference, then
    a citizen message (in real time: the audit log and Rasa both use the wall clock)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(dialect="sqlite", db=str(settings.state_dir / "rasa.db"))
    now = time.time()
    events = [
        UserUttered(
            "Ich möchte einen Menschen sprechen", {"name": "request_human"}, timestamp=now - 5
        ),
        UserUttered("/affirm", {"name": "affirm"}, timestamp=now - 4),
        BotUttered(f"Ihr Anliegen ist unter der Vorgangsnummer {reference} …", timestamp=now - 3),
        ActionExecuted("action_listen", timestamp=now - 3),
        UserUttered(text, {"name": "nlu_fallback"}, timestamp=now),
    ]
    await store.save(DialogueStateTracker.from_events(sender, events))


async def test_citizen_message_marks_unread_and_moves_waiting_case(settings):
    ref = "MS-DDDD-0004"  # "wartet", sender-3
    async with running_app(settings) as web:
        await login(web)
        before = await page(web, "/staff/?office=")
        assert "ungelesen" not in before
        await _citizen_writes(settings, "sender-3", ref, "Hallo? Ist meine Nachricht angekommen?")
        async with web.http.get(f"{web.url}/staff/inbox.json?office=") as resp:
            live = await resp.json()
        assert live["unread"] == 1 and live["unread_references"] == [ref]
        assert "neue Nachricht" in live["rows_html"] and "ungelesen" in live["rows_html"]
        html = await page(web, "/staff/?office=")
        assert "<title>(1) Posteingang" in html
        await page(web, f"/staff/tickets/{ref}")  # read it
        async with web.http.get(f"{web.url}/staff/inbox.json?office=") as resp:
            assert (await resp.json())["unread"] == 0
    engine = make_engine(settings.handoff_db_url)
    with engine.connect() as conn:
        status = conn.execute(
            sa.select(tickets.c.status).where(tickets.c.reference == ref)
        ).scalar()
        moved = conn.execute(
            sa.select(audit_log.c.actor).where(audit_log.c.action == "new_message")
        ).all()
    assert status == "neue_nachricht"
    assert [m.actor for m in moved] == ["system"]  # once, not on every poll


async def test_messages_before_the_reference_are_not_new(settings):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(dialect="sqlite", db=str(settings.state_dir / "rasa.db"))
    now = time.time()
    await store.save(
        DialogueStateTracker.from_events(
            "sender-3",
            [
                UserUttered("Mensch bitte", {"name": "request_human"}, timestamp=now - 2),
                BotUttered("Vorgangsnummer MS-DDDD-0004", timestamp=now - 1),
            ],
        )
    )
    async with running_app(settings) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/inbox.json?office=") as resp:
            assert (await resp.json())["unread"] == 0


def test_query_dates_are_local_days():
    q = InboxQuery.from_args({"from": "2026-11-21", "to": "2026-11-22"})
    assert (q.date_from, q.date_to) == (date(2026, 11, 21), date(2026, 11, 22))
