"""The conversation while a case is open (bot.dialogue.case, bot.cases.conversation).

Real SQLite case store, the shipped handoff.yml; the tracker events are shaped as Rasa
stores them (a bot event carries its response name in ``metadata.utter_action``).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import yaml

from bot.cases import conversation
from bot.dialogue import case
from bot.dialogue.handoff import HandoffRequest, create_ticket
from bot.handoff.policy import HandoffConfig
from bot.handoff.tickets import Outbox
from bot.store import audit_log, make_engine, ticket_messages, tickets

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CONFIG = HandoffConfig.load(Path("data/knowledge/handoff.yml"))
RULES = CONFIG.during_case
OFF = dataclasses.replace(
    CONFIG, during_case=dataclasses.replace(RULES, answer_routine_questions=False)
)


def bot(response: str, **meta: object) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": response, **meta}}


STAFF = {"event": "bot", "text": "Wir prüfen das.", "metadata": {"staff": True, "author": "clara"}}
CREATED = bot("utter_handoff_created")


@pytest.fixture
def store(tmp_path, knowledge):
    """A website case of sender web-1 at the Steueramt (an IBAN in the message)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    req = HandoffRequest("web-1", "socketio", "personal_data", triggers=["iban"], key="k1")
    out = create_ticket(
        knowledge,
        CONFIG,
        req,
        switch=False,
        events=[{"event": "user", "text": "Meine Steuer-ID", "timestamp": 1.0}],
        slots={},
        now=NOW,
        engine_factory=lambda: engine,
        outbox=Outbox(tmp_path / "outbox"),
    )
    reference = out.replies[-1].variables["reference"]
    return engine, reference


def say(store, knowledge, text, intent="greet", events=(CREATED,), config=CONFIG, **kw):
    engine, _ = store
    msg = case.CaseMessage("web-1", text, intent, **kw)
    return case.handle(knowledge, config, msg, list(events), NOW, lambda: engine)


def responses(result: case.CaseResult) -> list[str]:
    return [r.response for r in result.outcome.replies]


def citizen_rows(engine) -> list[str]:
    with engine.connect() as conn:
        return [
            r.text
            for r in conn.execute(
                sa.select(ticket_messages).where(ticket_messages.c.kind == "citizen")
            )
        ]


def test_first_message_goes_into_the_case_and_is_acknowledged(store, knowledge):
    engine, ref = store
    result = say(store, knowledge, "Hallo? Ist da jemand?")
    assert responses(result) == ["utter_case_message_received"]
    variables = result.outcome.replies[0].variables
    assert variables == {"reference": ref, "office_at": "beim Steueramt"}
    assert citizen_rows(engine) == ["Hallo? Ist da jemand?"]
    assert result.followup is None


def test_acknowledged_once_per_round_then_a_receipt_only(store, knowledge):
    engine, _ = store
    events = [CREATED, {"event": "user", "text": "Hallo?"}, bot("utter_case_message_received")]
    second = say(store, knowledge, "Hallo??", events=events)
    assert responses(second) == ["utter_case_noted"]  # no text; the widget's typing ends
    # a staff reply starts a new round: the next message is acknowledged again
    third = say(store, knowledge, "Danke, noch eine Frage", events=[*events, STAFF])
    assert responses(third) == ["utter_case_message_received"]
    assert len(citizen_rows(engine)) == 2


def test_round_detection_reads_only_the_latest_round():
    assert not case.acknowledged([])
    assert not case.acknowledged([CREATED])
    assert case.acknowledged([CREATED, bot("utter_case_message_received"), bot("utter_greet")])
    assert not case.acknowledged([bot("utter_case_message_received"), STAFF])
    # an earlier case's acknowledgement does not count for a new case
    assert not case.acknowledged([bot("utter_case_message_received"), CREATED])


def test_routine_question_answered_as_the_assistant_when_the_city_allows(store, knowledge):
    engine, _ = store
    on = say(store, knowledge, "Hat das Rathaus morgen offen?", intent="ask_opening_hours")
    assert responses(on) == ["utter_case_message_received", "utter_case_assistant_answers"]
    assert on.followup == "action_opening_hours"
    off = say(
        store, knowledge, "Hat das Rathaus morgen offen?", intent="ask_opening_hours", config=OFF
    )
    assert responses(off) == ["utter_case_message_received"] and off.followup is None
    assert citizen_rows(engine) == ["Hat das Rathaus morgen offen?"] * 2


def test_routine_words_with_a_handoff_reason_are_not_answered(store, knowledge):
    result = say(
        store,
        knowledge,
        "IBAN DE89 …",
        intent="ask_opening_hours",
        handoff={"reason": "personal_data"},
    )
    assert result.followup is None


@pytest.mark.parametrize(
    "text",
    ["Hat sich erledigt", "hat sich erledigt danke", "Hat sich erledigt, vielen Dank!",
     "Ich brauche keine Hilfe mehr.", "never mind, solved", "HAT SICH ERLEDIGT"],
)  # fmt: skip
def test_end_phrases_close_the_case(store, knowledge, text):
    engine, ref = store
    result = say(store, knowledge, text)
    assert responses(result) == ["utter_case_ended"]
    assert result.outcome.slots["handoff_stage"] is None
    with engine.connect() as conn:
        row = conn.execute(sa.select(tickets)).one()
        assert (row.status, row.close_reason) == ("erledigt", "buerger")
        audit = conn.execute(sa.select(audit_log).where(audit_log.c.action == "close")).one()
        assert (audit.actor, audit.target) == ("citizen", ref)
    assert conversation.open_case(engine, "web-1") is None
    assert citizen_rows(engine) == [text]  # the caseworker reads what the citizen wrote


@pytest.mark.parametrize(
    "text",
    ["Hat sich das erledigt?", "Ist mein Antrag schon erledigt?", "Hat sich erledigt?",
     "Danke", "ok", "erledigt ist hier gar nichts?"],
)  # fmt: skip
def test_questions_and_thanks_never_close(store, knowledge, text):
    engine, _ = store
    result = say(store, knowledge, text)
    assert "utter_case_ended" not in responses(result)
    assert "utter_case_end_confirm" not in responses(result)
    assert conversation.open_case(engine, "web-1") is not None


def test_an_ambiguous_statement_asks_first_and_only_yes_closes(store, knowledge):
    engine, _ = store
    asked = say(store, knowledge, "Das mit dem Bescheid hat sich wohl erledigt, aber")
    assert responses(asked) == ["utter_case_end_confirm"]
    assert [b["payload"] for b in asked.outcome.replies[0].buttons] == ["/affirm", "/deny"]
    assert asked.outcome.slots["case_end_pending"] is True
    assert conversation.open_case(engine, "web-1") is not None
    kept = say(store, knowledge, "nein", intent="deny", end_pending=True)
    assert responses(kept) == ["utter_case_end_kept"]
    assert kept.outcome.slots["case_end_pending"] is None
    assert conversation.open_case(engine, "web-1") is not None
    # "ja" without a pending question does not close either
    say(store, knowledge, "ja", intent="affirm")
    assert conversation.open_case(engine, "web-1") is not None
    closed = say(store, knowledge, "", intent="affirm", end_pending=True)  # the button
    assert responses(closed) == ["utter_case_ended"]
    assert conversation.open_case(engine, "web-1") is None


def test_emergency_during_a_case_still_gets_the_numbers(store, knowledge):
    result = say(store, knowledge, "Es brennt!", handoff={"reason": "emergency", "emergency": True})
    assert responses(result)[0] == "utter_emergency"


def test_messages_of_a_redacted_case_are_stored_redacted(tmp_path, knowledge):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    req = HandoffRequest("tg-1", "telegram", "request_human", key="k2")
    create_ticket(
        knowledge, CONFIG, req, switch=False, events=[], slots={}, now=NOW,
        engine_factory=lambda: engine, outbox=Outbox(tmp_path / "o"),
    )  # fmt: skip
    msg = case.CaseMessage("tg-1", "Meine IBAN ist DE89 3704 0044 0532 0130 00", "greet")
    result = case.handle(knowledge, CONFIG, msg, [CREATED], NOW, lambda: engine)
    [text] = citizen_rows(engine)
    assert "3704" not in text
    assert responses(result) == ["utter_case_no_personal_data_here", "utter_case_message_received"]


def test_a_case_closed_meanwhile_gives_the_conversation_back(store, knowledge):
    engine, _ = store
    with engine.begin() as conn:
        conn.execute(sa.update(tickets).values(status="erledigt", close_reason="erledigt"))
    routine = say(store, knowledge, "Wann hat das Steueramt auf?", intent="ask_opening_hours")
    assert routine.followup == "action_opening_hours" and responses(routine) == []
    assert routine.outcome.slots["handoff_stage"] is None
    other = say(store, knowledge, "Hallo?")
    assert responses(other) == ["utter_case_no_longer_open"]
    assert citizen_rows(engine) == []  # nothing is added to a closed case


def test_a_switched_messenger_case_is_not_a_case_of_the_messenger(tmp_path, knowledge):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    req = HandoffRequest("tg-2", "telegram", "case_specific", key="k3")
    create_ticket(
        knowledge, CONFIG, req, switch=True, events=[], slots={}, now=NOW,
        engine_factory=lambda: engine, outbox=Outbox(tmp_path / "o"),
    )  # fmt: skip
    assert conversation.open_case(engine, "tg-2") is None  # it continues on the website


def test_routine_actions_are_those_of_the_rules():
    """ROUTINE_ACTIONS mirrors data/rules: the answer during a case is the usual one."""
    pairs = set()
    for path in Path("data/rules").glob("*.yml"):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []:
            steps = rule.get("steps") or []
            if len(steps) == 2 and "intent" in steps[0] and "action" in steps[1]:
                pairs.add((steps[0]["intent"], steps[1]["action"]))
    assert set(case.ROUTINE_ACTIONS.items()) <= pairs


def test_the_setting_is_data_and_checked():
    assert RULES.answer_routine_questions is True
    assert "hat sich erledigt" in RULES.end_phrases
    raw = yaml.safe_load(Path("data/knowledge/handoff.yml").read_text(encoding="utf-8"))
    assert raw["during_case"]["answer_routine_questions"] is True


def test_a_wrong_setting_value_stops_the_load(tmp_path):
    text = Path("data/knowledge/handoff.yml").read_text(encoding="utf-8")
    bad = tmp_path / "handoff.yml"
    bad.write_text(
        re.sub(r"answer_routine_questions: true", "answer_routine_questions: vielleicht", text),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="answer_routine_questions"):
        HandoffConfig.load(bad)


def test_a_case_given_back_to_the_assistant_is_no_longer_the_conversation_s(store):
    engine, ref = store
    with engine.begin() as conn:
        conn.execute(
            sa.insert(audit_log).values(at=NOW, actor="clara", action="handback", target=ref)
        )
    assert conversation.open_case(engine, "web-1") is None  # also not at the next session


def _sdk_tracker(sender: str):
    from rasa_sdk import Tracker

    return Tracker(
        sender_id=sender,
        slots={},
        latest_message={},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


async def test_a_new_session_keeps_the_open_case(store, monkeypatch):
    """The next morning (a new session, slots not carried over) the case is still open."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.session import ActionSessionStart
    from bot import runtime

    engine, _ = store
    monkeypatch.setattr(runtime, "handoff_engine", lambda: engine)
    action = ActionSessionStart()
    events = await action.run(CollectingDispatcher(), _sdk_tracker("web-1"), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["handoff_stage"] == "paused"
    assert events[-1] == {"event": "action", "name": "action_listen", "policy": None,
                          "confidence": None, "timestamp": None}  # fmt: skip
    other = await action.run(CollectingDispatcher(), _sdk_tracker("web-2"), {})
    assert "handoff_stage" not in {e.get("name") for e in other}
