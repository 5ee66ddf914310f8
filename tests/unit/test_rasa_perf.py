"""The event-type table gives exactly Rasa's own answers."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.rasa_perf import _original, event_types, resolve_by_type


def test_every_event_type_resolves_like_rasa():
    names = {
        c.type_name for c in all_subclasses(Event) if isinstance(getattr(c, "type_name", None), str)
    }
    assert len(names) > 20
    for name in names:
        assert resolve_by_type(name) is _original(name)
    assert event_types()["user"] is UserUttered
    assert event_types()["slot"] is SlotSet
    assert resolve_by_type("action") is ActionExecuted


def test_unknown_names_keep_rasa_semantics():
    assert resolve_by_type("topic") is None
    assert resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_by_type("no_such_event")


def test_deserialising_events_with_the_table():
    from bot.rasa_perf import install

    install()
    event = Event.from_parameters({"event": "slot", "name": "topic", "value": "opening_hours"})
    assert isinstance(event, SlotSet) and event.value == "opening_hours"


VALID = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "topic", "value": "faq"}], "responses": [{"text": "x"}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": "text"},
]


@pytest.mark.parametrize("result", VALID + INVALID)
def test_action_results_validate_exactly_like_rasa(result):
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_perf import _original_validate_action_result, validate_action_result

    action = RemoteAction("action_x", None)
    outcomes = []
    for fn in (_original_validate_action_result, validate_action_result):
        try:
            outcomes.append(("ok", fn(action, result)))
        except ValidationError as exc:
            outcomes.append(("error", exc.message.split(". Failed")[0], list(exc.path)))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0][0] == "ok") == (result in VALID)


def test_kept_states_equal_rasas_for_random_histories(monkeypatch):
    """Random histories (with undo, rewind, restart, follow-ups), checked after every event."""
    import copy
    import random
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionReverted,
        ActiveLoop,
        FollowupAction,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import rasa_perf
    from bot.rasa_perf import _original_states_for_tracker_history, states_for_tracker_history

    created = {"count": 0}
    reset_events = {"count": 0}
    loops = {"count": 0}
    original_init = rasa_perf._States.__init__

    def counting_init(self, *args):  # type: ignore[no-untyped-def]
        created["count"] += 1
        original_init(self, *args)

    monkeypatch.setattr(rasa_perf._States, "__init__", counting_init)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", rasa_perf.applied_events)
    domain = Domain.load(str(Path(__file__).parents[2] / "domain"))
    rule_only = {"rule_only_slots": ["handoff_stage"], "rule_only_loops": []}
    variants = [(False, False, None), (True, False, None), (False, True, rule_only)]
    rng = random.Random(20261123)
    intents = list(domain.intents)
    actions = [a for a in domain.action_names_or_texts if not a.startswith("utter_")][:12]
    actions += ["action_listen", "utter_greet"]
    slots = [s.name for s in domain.slots if s.influence_conversation] or ["topic"]
    checks = 0
    for tracker_no in range(12):
        tracker = DialogueStateTracker("random", domain.slots)
        for step in range(120):
            roll = rng.random()
            if roll < 0.35:
                event: Event = UserUttered(
                    rng.choice(["text", "/button"]),
                    {"name": rng.choice(intents), "confidence": 1.0},
                    timestamp=step,
                )
            elif roll < 0.75:
                event = ActionExecuted(
                    rng.choice(actions), hide_rule_turn=rng.random() < 0.3, timestamp=step
                )
            elif roll < 0.88:
                event = SlotSet(rng.choice(slots), rng.choice([None, "consent", "x"]), step)
            elif roll < 0.92:
                event = UserUtteranceReverted(timestamp=step)
            elif roll < 0.95:
                event = ActionReverted(timestamp=step)
            elif roll < 0.97:
                event = FollowupAction(rng.choice(actions), timestamp=step)
            elif roll < 0.975:
                event = SessionStarted(timestamp=step)
            elif roll < 0.99 and tracker_no % 3 == 0:  # every third history has a loop
                event = ActiveLoop(rng.choice(["form_x", None]), timestamp=step)
            elif roll < 0.997 and tracker_no % 3 == 0:
                event = ActionExecuted("form_x", timestamp=step)
            else:
                event = Restarted(timestamp=step)
            tracker.update(event)
            if isinstance(event, ActiveLoop):
                loops["count"] += 1
            resets = (UserUtteranceReverted, ActionReverted, Restarted, SessionStarted, ActiveLoop)
            if isinstance(event, resets) or (
                isinstance(event, ActionExecuted) and event.action_name == "form_x"
            ):
                reset_events["count"] += 1
            assert tracker.applied_events() == rasa_perf._original_applied_events(tracker)
            for omit, ignore, data in variants:
                # Rasa passes a new, equal rule_only_data dict on every prediction
                fresh = copy.deepcopy(data)
                mine = states_for_tracker_history(domain, tracker, omit, ignore, fresh)
                rasa = _original_states_for_tracker_history(domain, tracker, omit, ignore, data)
                assert mine == rasa, (step, omit, ignore)
                checks += 1
                # callers change user sub-states (_remove_user_text_if_intent on all,
                # _choose_last_user_input on the last): nothing kept may change
                for state in mine:
                    if state.get("user", {}).get("intent") and state["user"].get("text"):
                        del state["user"]["text"]
                if mine and "user" in mine[-1]:
                    mine[-1]["user"].pop("intent", None)
                    mine[-1]["user"].pop("text", None)
    assert checks == 12 * 120 * len(variants)
    # the kept states were continued, not recomputed: one memo per tracker and variant
    assert created["count"] <= 12 * len(variants) + reset_events["count"] * len(variants)
    assert reset_events["count"] > 20 and loops["count"] > 3  # the hard cases did occur


def test_kept_states_follow_the_tracker_and_are_forgotten_with_it():
    import gc
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import rasa_perf

    domain = Domain.load(str(Path(__file__).parents[2] / "domain"))
    tracker = DialogueStateTracker("gone", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    rasa_perf.states_for_tracker_history(domain, tracker)
    assert any(k[0] == id(tracker) for k in rasa_perf._kept)
    del tracker
    gc.collect()
    assert not any(m.tracker() is None for m in rasa_perf._kept.values())


def test_action_server_gets_the_latest_events_and_everything_else_unchanged(monkeypatch):
    from pathlib import Path

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_perf import _original_action_call_format, action_call_format

    domain = Domain.load(str(Path(__file__).parents[2] / "domain"))
    tracker = DialogueStateTracker("long", domain.slots)
    for i in range(300):
        tracker.update(UserUttered(f"Frage {i}", {"name": "greet", "confidence": 1.0}, timestamp=i))
        tracker.update(SlotSet("topic", f"t{i}", i + 0.1))
        tracker.update(ActionExecuted("action_listen", timestamp=i + 0.2))
    action = RemoteAction("action_faq", None)
    monkeypatch.setenv("ACTION_EVENTS_WINDOW", "100")
    before = list(tracker.events)

    mine = action_call_format(action, tracker, domain)
    rasa = _original_action_call_format(action, tracker, domain)

    assert list(tracker.events) == before  # the tracker itself is untouched
    assert len(rasa["tracker"]["events"]) == 900
    assert mine["tracker"]["events"] == rasa["tracker"]["events"][-100:]
    mine["tracker"].pop("events")
    rasa["tracker"].pop("events")
    assert mine == rasa  # slots, latest message, channel, domain: as Rasa sends them
    assert mine["tracker"]["slots"]["topic"] == "t299"


def test_short_conversations_are_sent_whole(monkeypatch):
    from pathlib import Path

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_perf import _original_action_call_format, action_call_format

    domain = Domain.load(str(Path(__file__).parents[2] / "domain"))
    tracker = DialogueStateTracker("short", domain.slots)
    tracker.update(UserUttered("Hallo", {"name": "greet", "confidence": 1.0}))
    action = RemoteAction("action_faq", None)
    assert action_call_format(action, tracker, domain) == _original_action_call_format(
        action, tracker, domain
    )


@pytest.mark.parametrize(
    ("action_name", "events", "given_itself"),
    [("remote", [], True), ("remote", [SlotSet("topic", "x")], False), ("other", [], False)],
)
def test_read_only_actions_get_the_tracker_not_a_replayed_copy(action_name, events, given_itself):
    import asyncio
    from types import SimpleNamespace

    from rasa.core.actions.action import Action, RemoteAction
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import rasa_perf

    tracker = DialogueStateTracker("t", [])
    tracker.update(ActionExecuted("action_listen"))
    seen = {}

    async def fake_original(self, action, tracker, *_):  # type: ignore[no-untyped-def]
        seen["same"] = tracker.copy() is tracker
        return True

    action = RemoteAction("action_faq", None) if action_name == "remote" else Action()
    original = rasa_perf._original_run_action
    rasa_perf._original_run_action = fake_original
    try:
        asyncio.run(
            rasa_perf.run_action(None, action, tracker, None, None, SimpleNamespace(events=events))
        )
    finally:
        rasa_perf._original_run_action = original
    assert seen["same"] is given_itself
    assert "copy" not in tracker.__dict__  # the shortcut ends with the call
    assert tracker.copy() is not tracker


def test_state_text_only_when_rule_policy_debug_log_is_on():
    import logging

    from bot.rasa_perf import _original_format_tracker_states, format_tracker_states

    states = [{"user": {"intent": "greet"}}, {"prev_action": {"action_name": "utter_greet"}}]
    log = logging.getLogger("rasa.core.policies.rule_policy")
    level = log.level
    try:
        log.setLevel(logging.INFO)
        assert format_tracker_states(states) == ""
        log.setLevel(logging.DEBUG)
        assert format_tracker_states(states) == _original_format_tracker_states(states)
        assert "greet" in format_tracker_states(states)
    finally:
        log.setLevel(level)
