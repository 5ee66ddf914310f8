"""Resuming a messenger case on the website: the link's token is a single-use capability.

Attacks as a stranger would try them: the readable reference, a second conversation with
the same link, another channel, an expired link, guessing many tokens.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.cases import resume
from bot.channels.guard import RateLimiter
from bot.dialogue.handoff import HandoffRequest, create_ticket, resume_on_website
from bot.handoff.policy import HandoffConfig
from bot.handoff.tickets import Outbox, insert_ticket
from bot.store import audit_log, make_engine, resume_tokens, tickets

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CONFIG = HandoffConfig.load(Path("data/knowledge/handoff.yml"))


@pytest.fixture
def case(tmp_path, knowledge):
    """A Telegram case with a sensitive reason: the citizen got a reference and a link."""
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    req = HandoffRequest("tg-900", "telegram", "case_specific", key="tg-900:1")
    out = create_ticket(
        knowledge,
        CONFIG,
        req,
        switch=True,
        events=[{"event": "user", "text": "Mein Bescheid ist falsch", "timestamp": 1.0}],
        slots={},
        now=NOW,
        engine_factory=lambda: engine,
        outbox=Outbox(tmp_path / "outbox"),
        resume_hours=72,
    )
    [reply] = out.replies
    link = reply.variables["link"]
    token = re.search(r"fortsetzen=([A-Za-z0-9_-]+)$", link)
    assert token, link
    return engine, reply.variables["reference"], token.group(1), link


def attempt(engine, token, sender="web-1", channel="socketio", now=NOW, failures=None):
    return resume_on_website(
        _knowledge(),
        lambda: engine,
        resume.Request(token, sender, channel, "client-a"),
        now,
        failures or RateLimiter(10, 3600),
    )


def _knowledge():
    from bot.knowledge.base import load_knowledge

    return load_knowledge(Path("data/knowledge"))


def owner(engine, reference):
    with engine.connect() as conn:
        row = conn.execute(sa.select(tickets).where(tickets.c.reference == reference)).one()
    return row.sender_id, row.channel


def audits(engine):
    with engine.connect() as conn:
        return [(r.action, r.target, r.detail) for r in conn.execute(sa.select(audit_log))]


def test_link_holds_a_long_token_not_the_reference(case):
    engine, reference, token, link = case
    assert reference not in link
    assert len(token) >= 22  # at least 128 bits in URL-safe base64
    with engine.connect() as conn:
        stored = conn.execute(sa.select(resume_tokens.c.token_hash)).scalars().all()
        row = conn.execute(sa.select(tickets)).one()
    assert stored == [resume.hash_token(token)]  # hashed, never the token itself
    assert token not in json.dumps([str(v) for v in row._mapping.values()])


def test_the_reference_alone_takes_over_nothing(case):
    engine, reference, _token, _link = case
    result = attempt(engine, reference, sender="attacker")
    assert [r.response for r in result.replies] == ["utter_case_not_found"]
    assert owner(engine, reference) == ("tg-900", "telegram")
    assert ("resume_refused", None, "unknown token") in audits(engine)


def test_first_resume_binds_and_a_second_conversation_is_refused_and_audited(case):
    engine, reference, token, _link = case
    first = attempt(engine, token, sender="web-citizen")
    assert [r.response for r in first.replies] == ["utter_case_resumed"]
    assert first.slots["handoff_stage"] == "paused"
    assert owner(engine, reference) == ("web-citizen", "socketio")

    again = attempt(engine, token, sender="web-citizen")  # the same tab, reloaded
    assert [r.response for r in again.replies] == ["utter_case_resumed"]

    stolen = attempt(engine, token, sender="web-attacker")
    assert [r.response for r in stolen.replies] == ["utter_case_not_found"]
    assert owner(engine, reference) == ("web-citizen", "socketio")
    log = audits(engine)
    assert ("resume", reference, "from=telegram") in log
    assert ("resume_refused", reference, "token already used") in log


def test_resume_only_on_the_website(case):
    engine, reference, token, _link = case
    for channel in ("telegram", "rest", "facebook"):
        result = attempt(engine, token, sender="tg-other", channel=channel)
        assert [r.response for r in result.replies] == ["utter_case_resume_website_only"]
    assert owner(engine, reference) == ("tg-900", "telegram")
    # the token is still good for the website
    assert attempt(engine, token).replies[0].response == "utter_case_resumed"


def test_an_expired_link_is_refused(case):
    engine, reference, token, _link = case
    later = NOW + timedelta(hours=73)
    result = attempt(engine, token, now=later)
    assert result.replies[0].response == "utter_case_not_found"
    assert owner(engine, reference) == ("tg-900", "telegram")
    assert ("resume_refused", reference, "token expired") in audits(engine)


def test_failed_attempts_are_rate_limited_per_client(case):
    engine, reference, token, _link = case
    failures = RateLimiter(3, 3600)
    for i in range(3):
        guess = f"guess{i:027d}"
        assert attempt(engine, guess, failures=failures).replies[0].response == (
            "utter_case_not_found"
        )
    # now even the right token is not looked up for this client
    assert attempt(engine, token, failures=failures).replies[0].response == (
        "utter_case_resume_wait"
    )
    assert owner(engine, reference) == ("tg-900", "telegram")


def test_the_outbox_keeps_only_the_hash(tmp_path, knowledge):
    def down():
        raise sa.exc.OperationalError("connect", {}, Exception("store down"))

    box = Outbox(tmp_path / "outbox")
    out = create_ticket(
        knowledge,
        CONFIG,
        HandoffRequest("tg-901", "telegram", "case_specific", key="tg-901:1"),
        switch=True,
        events=[],
        slots={},
        now=NOW,
        engine_factory=down,
        outbox=box,
    )
    token = out.replies[0].variables["link"].rsplit("=", 1)[1]
    [pending] = box.pending()
    saved = pending.read_text()
    assert token not in saved and resume.hash_token(token) in saved
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    box.drain(lambda t: insert_ticket(engine, t))
    assert attempt(engine, token).replies[0].response == "utter_case_resumed"


def test_resume_url_must_not_carry_the_reference(tmp_path):
    path = tmp_path / "handoff.yml"
    path.write_text('resume_url: "https://stadt.example/?vorgang={reference}"\n')
    with pytest.raises(ValueError, match="token"):
        HandoffConfig.load(path, env={})


def test_erasing_a_case_removes_its_resume_token(case, tmp_path):
    from bot import privacy

    engine, reference, _token, _link = case
    tracker = make_engine(f"sqlite:///{tmp_path / 'rasa.db'}")
    scope = privacy.erasure_scope(tracker, engine, reference)
    privacy.erase(tracker, engine, scope, "admin", NOW)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(resume_tokens)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(tickets)).scalar() == 0
