"""Due times, channel policy, routing, idempotent tickets and the outbox."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.dialogue.handoff import compute_due
from bot.handoff.due import due_in_words, due_time
from bot.handoff.policy import HandoffConfig, decide, route
from bot.handoff.tickets import NewTicket, Outbox, insert_ticket, new_reference, submit
from bot.store import make_engine, tickets
from tests.builders import new_ticket

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = HandoffConfig.load(Path("data/knowledge/handoff.yml"))


def weekdays(d: date) -> bool:
    return d.weekday() < 5


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_friday_evening_ticket_is_due_monday_evening():
    assert due_time(at(2026, 11, 27, 18, 0), weekdays) == at(2026, 11, 30, 18, 0)


def test_monday_morning_ticket_is_due_tuesday_morning():
    assert due_time(at(2026, 11, 23, 9, 30), weekdays) == at(2026, 11, 24, 9, 30)


def test_weekend_ticket_counts_from_monday():
    assert due_time(at(2026, 11, 28, 11, 0), weekdays) == at(2026, 12, 1, 0, 0)


def test_ticket_before_christmas_skips_the_holidays(knowledge):
    office = knowledge.offices["buergerbuero_mitte"]
    # Wed 23.12.2026 15:00: 9 h that day; 24. (closed), 25./26. (holidays), 27. (Sunday);
    # Monday 28.12. counts again: 15 more hours.
    due = compute_due(knowledge, CONFIG, office, at(2026, 12, 23, 15, 0), urgent=False)
    assert due == at(2026, 12, 28, 15, 0)


def test_ticket_before_a_state_holiday(knowledge):
    office = knowledge.offices["standesamt"]
    # Wed 03.06.2026 16:00, Thu 04.06.2026 is Fronleichnam (NW): due Fri 16:00
    due = compute_due(knowledge, CONFIG, office, at(2026, 6, 3, 16, 0), urgent=False)
    assert due == at(2026, 6, 5, 16, 0)


def test_urgent_ticket_is_due_in_two_hours(knowledge):
    office = knowledge.offices["buergerbuero_mitte"]
    now = at(2026, 11, 28, 23, 0)
    assert compute_due(knowledge, CONFIG, office, now, urgent=True) == now + timedelta(hours=2)


def test_due_in_words():
    now = at(2026, 11, 27, 18, 0)
    assert (
        due_in_words(at(2026, 11, 30, 18, 0), now) == "bis spätestens Montag, 30.11.2026, 18:00 Uhr"
    )
    assert due_in_words(at(2026, 11, 28, 9, 0), now).startswith("bis spätestens morgen")


def test_dst_change_keeps_wall_clock():
    # Sunday 29.03.2026 has 23 hours; Friday 27.03. 12:00 → Monday 30.03. 12:00
    assert due_time(at(2026, 3, 27, 12, 0), weekdays) == at(2026, 3, 30, 12, 0)


@pytest.mark.parametrize(
    ("channel", "reason", "switch"),
    [
        ("socketio", "personal_data", False),
        ("rest", "case_specific", False),
        ("facebook", "personal_data", True),
        ("telegram", "sensitive_topic", True),
        ("telegram", "case_specific", True),
        ("telegram", "request_human", False),
        ("whatsapp", "complain", True),
        ("unknown_channel", "personal_data", True),
    ],
)
def test_the_channel_decides(channel, reason, switch):
    assert decide(CONFIG, channel, reason).switch is switch


def test_platform_name_for_the_explanation():
    assert decide(CONFIG, "facebook", "personal_data").platform == "Facebook Messenger"


def test_routing(knowledge):
    assert route(CONFIG, knowledge, [], "hundesteuer", None) == "steueramt"
    assert route(CONFIG, knowledge, ["keyword:residence"], None, None) == "auslaenderbehoerde"
    assert route(CONFIG, knowledge, [], "einkommensteuer", "standesamt") == "standesamt"
    assert route(CONFIG, knowledge, [], None, None) == "buergerbuero_mitte"


def test_reference_format():
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    assert all(len(r) == 12 and r.startswith("MS-") and "0" not in r and "O" not in r for r in refs)


def _ticket(key: str = "s1:1.0") -> NewTicket:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    return new_ticket(
        new_reference(),
        "s1",
        now,
        idem_key=key,
        reason="personal_data",
        triggers=["iban"],
        transcript=[{"from": "citizen", "text": "[IBAN entfernt]"}],
    )


def test_ticket_creation_is_idempotent(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    t = _ticket()
    first = insert_ticket(engine, t)
    again = insert_ticket(engine, NewTicket(**{**t.__dict__, "reference": new_reference()}))
    assert first == (t.reference, True)
    assert again == (t.reference, False)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tickets)).scalar() == 1


def test_outbox_keeps_tickets_while_the_store_is_down_and_delivers_once(tmp_path):
    box = Outbox(tmp_path / "outbox")
    url = f"sqlite:///{tmp_path / 'later' / 'h.db'}"
    down = True

    def engine_factory():
        if down:
            raise sa.exc.OperationalError("connect", {}, Exception("store down"))
        return make_engine(url)

    t1, t2 = _ticket("s1:1.0"), _ticket("s2:2.0")
    assert submit(engine_factory, box, t1) is False
    assert submit(engine_factory, box, t2) is False
    assert submit(engine_factory, box, t1) is False  # a retry of the same event
    assert len(box.pending()) == 2
    saved = json.loads(box.pending()[0].read_text())
    assert saved["idem_key"] in ("s1:1.0", "s2:2.0")

    down = False
    t3 = _ticket("s3:3.0")
    assert submit(engine_factory, box, t3) is True
    assert box.pending() == []
    with make_engine(url).connect() as conn:
        keys = sorted(r.idem_key for r in conn.execute(sa.select(tickets.c.idem_key)))
    assert keys == ["s1:1.0", "s2:2.0", "s3:3.0"]
    # a redelivery after a crash (file still there) does not double the ticket
    box.put(t1)
    box.drain(lambda t: insert_ticket(make_engine(url), t))
    with make_engine(url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tickets)).scalar() == 3
