"""Measured speed-ups for Rasa 3.6 that keep its exact behaviour (docs/PERFORMANCE.md).

Installed by name at start-up by :mod:`bot.rasa_server` (which checks the Rasa version).

1. Event types resolved from a table, not a class scan. Profiling a 230-turn
   conversation (py-spy on the Rasa server) showed 24 % of the server's time in
   ``Event.resolve_by_type``: for *every* stored event it walks all subclasses of
   ``Event`` to find the one with the event's type name. The classes do not change
   while the server runs, so a table built once gives the same answer. Unknown names
   still go through Rasa's own method (defaults, errors, "topic").
2. The action server's answer validated with a validator built once. Under 20
   concurrent conversations 38 % of the server's time went to
   ``RemoteAction._validate_action_result``: ``jsonschema.validate`` first checks the
   (constant) schema itself against the JSON-Schema meta-schema, on every call. The
   instance is still validated against the same schema with the same validator class
   and the same best-match error.
3. Dialogue states computed once per event, not once per event per turn. Every
   prediction (RulePolicy, MemoizationPolicy) turns the *whole* history into states
   (``Domain.states_for_tracker_history``), so a turn costs more the longer the
   conversation is. The tracker store keeps trackers between turns
   (bot.rasa_stores), so the states of the unchanged beginning of a history are kept
   with the tracker and only new events are turned into states. Kept states are used
   only while the tracker's applied events still begin with the very same event objects
   (a rewind, a restart or an undo falls back to the full computation), and callers get
   copies (with Rasa's own sharing between states), never the kept ones. The applied
   events (undo/restart rules) are likewise extended while events are only appended.
4. The action server gets the last ``ACTION_EVENTS_WINDOW`` events (default 200), not
   the whole session (installed as a change of behaviour, apart from the speed-ups:
   bot.rasa_server): Rasa serialises every event to JSON for every custom-action call
   (18 % of the server's time at turn 200). This is the one change of behaviour, and it
   is bounded: slots, latest message, active loop and follow-up action still come from
   the whole tracker; the project's actions look back at most 50 messages (the handoff
   transcript), about 150 events. Custom actions that need more raise the window.
5. ``applied_events`` (which events count after undo/restart) extended from its last
   result while events were only appended, and no throw-away tracker copy before
   actions that only read the tracker (both are full replays of the history).
6. ``Policy.format_tracker_states`` (a text of all states, built on every RulePolicy
   prediction for one debug log line) is only built when that debug log is on.
"""

from __future__ import annotations

import collections
import copy
import itertools
import json
import logging
import operator
import weakref
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionBotResponse, ActionListen, RemoteAction
from rasa.core.policies.policy import Policy
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from bot import config

_original = Event.resolve_by_type
_original_validate_action_result = RemoteAction._validate_action_result
_original_states_for_tracker_history = Domain.states_for_tracker_history
_original_action_call_format = RemoteAction._action_call_format
_original_applied_events = DialogueStateTracker.applied_events
_original_run_action = MessageProcessor._run_action
_original_format_tracker_states = Policy.format_tracker_states


@lru_cache(maxsize=1)
def event_types() -> dict[str, type[Event]]:
    """type_name → class, first match in Rasa's own search order."""
    table: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        name = getattr(cls, "type_name", None)
        if isinstance(name, str) and name not in table:
            table[name] = cls
    return table


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Same result as Rasa's ``Event.resolve_by_type``, from the table."""
    cls = event_types().get(type_name)
    if cls is not None:
        return cls
    return _original(type_name, default)


@lru_cache(maxsize=1)
def action_result_validator() -> Any:
    """The validator of Rasa's action-server response format, built (and checked) once."""
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``_validate_action_result`` without re-checking the constant schema."""
    error = best_match(action_result_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


class _States:
    """States of a tracker's history up to (not including) its current end."""

    __slots__ = ("args", "domain", "events", "hidden", "last_ml", "prior", "states", "tracker")

    def __init__(self, tracker: DialogueStateTracker, domain: Domain, args: tuple[Any, ...]):
        self.tracker = weakref.ref(tracker)
        self.domain = domain
        # (omit_unset_slots, ignore_rule_only_turns, rule_only_data): Rasa builds a new
        # but equal rule_only_data dict for every prediction, so it is kept as a copy and
        # compared by value
        self.args = (args[0], args[1], copy.deepcopy(args[2]))
        self.events: list[Event] = []  # the applied events the states were computed from
        self.prior = tracker.init_copy()
        self.states: list[State] = []
        self.last_ml: Any = None
        self.hidden = False

    def valid_for(self, tracker: DialogueStateTracker, domain: Domain, args: tuple[Any, ...]):
        return (
            self.tracker() is tracker
            and self.domain is domain
            and args[0] is self.args[0]
            and args[1] is self.args[1]
            and args[2] == self.args[2]
        )


_kept: dict[tuple[int, int, bool, bool, str], _States] = {}


def _step(
    domain: Domain, memo: _States, tr: DialogueStateTracker, hide: bool, states: list[State]
) -> tuple[Any, bool]:
    """One iteration of Rasa's loop in ``states_for_tracker_history`` (same code)."""
    omit_unset_slots, ignore_rule_only_turns, rule_only_data = memo.args
    last_ml, hidden = memo.last_ml, memo.hidden
    if ignore_rule_only_turns:
        if not hidden:
            last_ml = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
            hidden = hide
        if hidden:
            return last_ml, hidden
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if last_ml:
            state[PREVIOUS_ACTION] = last_ml
    states.append(domain._clean_state(state))
    return last_ml, hidden


def _copy_states(states: list[State]) -> list[State]:
    """The states as callers may change them, without touching the kept ones.

    Rasa's featurizers change only the ``user`` sub-state of returned states (deleting
    text, intent or entities: ``_remove_user_text_if_intent``, ``_choose_last_user_input``);
    nothing changes the other sub-states or a state's keys. So each state with a user
    sub-state gets its own copy of it (user sub-states shared between states stay
    shared, as Rasa builds them); other states are handed out as they are kept.
    """
    seen: dict[int, dict[str, Any]] = {}
    out: list[State] = []
    for state in states:
        user = state.get(USER)
        if not isinstance(user, dict):
            out.append(state)
            continue
        if id(user) not in seen:
            seen[id(user)] = dict(user)
        copied = dict(state)
        copied[USER] = seen[id(user)]
        out.append(copied)
    return out


_RESETTING = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)
_APPLIED = "_buergerservice_applied"  # instance attribute: (events, applied, loops)


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """Rasa's ``applied_events``, extended from the last result while events were appended.

    Rasa walks the whole history for every call (several per turn). The last result is
    kept on the tracker with the events it was computed from; it is reused only when
    those are still the tracker's first events (same objects) and no new event rewinds,
    restarts, starts a session or a loop, and no loop was ever active: the only cases in
    which Rasa's rules drop events. Callers get a new list, as from Rasa.
    """
    events = self.events
    kept = self.__dict__.get(_APPLIED)
    if kept is not None:
        kept_events, kept_applied, loops = kept
        if (
            not loops
            and len(events) >= len(kept_events)
            and all(map(operator.is_, kept_events, events))
        ):
            new = list(itertools.islice(events, len(kept_events), None))
            if not any(isinstance(e, _RESETTING) for e in new):
                applied = kept_applied + new
                self.__dict__[_APPLIED] = (list(events), applied, False)
                return list(applied)
    applied = _original_applied_events(self)
    loops = any(isinstance(e, ActiveLoop) and e.name for e in events)
    self.__dict__[_APPLIED] = (list(events), applied, loops)
    return list(applied)


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa's ``Domain.states_for_tracker_history``, continuing from the kept states."""
    args = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    data_key = json.dumps(rule_only_data, sort_keys=True, default=str)
    key = (id(tracker), id(self), omit_unset_slots, ignore_rule_only_turns, data_key)
    memo = _kept.get(key)
    applied = tracker.applied_events()
    if (
        memo is None
        or not memo.valid_for(tracker, self, args)
        or len(applied) < len(memo.events)
        or not all(map(operator.is_, memo.events, applied))
    ):
        if key not in _kept:
            weakref.finalize(tracker, _kept.pop, key, None)  # forgotten with the tracker
        memo = _States(tracker, self, args)
        _kept[key] = memo
    for event in applied[len(memo.events) :]:
        if isinstance(event, ActionExecuted):
            memo.last_ml, memo.hidden = _step(
                self, memo, memo.prior, event.hide_rule_turn, memo.states
            )
        memo.prior.update(event)
    memo.events = applied
    # Rasa's final iteration (the tracker as it is now) is not kept: the next event
    # will come before it.
    states = list(memo.states)
    _step(self, memo, memo.prior, False, states)
    return _copy_states(states)


def action_events_window() -> int:
    """How many of the latest events the action server gets (``ACTION_EVENTS_WINDOW``,
    at least 50: bot.config refuses less)."""
    return config.current().action_events_window


def action_call_format(
    self: RemoteAction, tracker: DialogueStateTracker, domain: Domain
) -> dict[str, Any]:
    """Rasa's request to the action server, with the latest events only."""
    window = action_events_window()
    if len(tracker.events) <= window:
        return _original_action_call_format(self, tracker, domain)
    full = tracker.events
    # Rasa's own code serialises the tracker; it sees only the tail for this one call
    # (synchronous: nothing else can observe the swap)
    tracker.events = collections.deque(itertools.islice(full, len(full) - window, None))
    try:
        return _original_action_call_format(self, tracker, domain)
    finally:
        tracker.events = full


# Actions that neither change nor copy the tracker they are given.
_READ_ONLY_ACTIONS = (RemoteAction, ActionBotResponse, ActionListen)


async def run_action(
    self: MessageProcessor,
    action: Any,
    tracker: DialogueStateTracker,
    output_channel: Any,
    nlg: Any,
    prediction: Any,
) -> bool:
    """Rasa's ``_run_action`` without replaying the history into a throw-away copy.

    Rasa copies the tracker (replaying every event) before each action, so that events a
    policy attached to its prediction can be discarded if the action is rejected. With
    no such events and an action that only reads the tracker, the copy equals the
    tracker, and the action is given the tracker itself.
    """
    if prediction.events or type(action) not in _READ_ONLY_ACTIONS:
        return await _original_run_action(self, action, tracker, output_channel, nlg, prediction)
    tracker.copy = lambda: tracker  # this call only
    try:
        return await _original_run_action(self, action, tracker, output_channel, nlg, prediction)
    finally:
        del tracker.copy


def format_tracker_states(states: list[State]) -> str:
    """The states as text for RulePolicy's debug log; empty while that log is off."""
    if not logging.getLogger("rasa.core.policies.rule_policy").isEnabledFor(logging.DEBUG):
        return ""
    return str(_original_format_tracker_states(states))


def install() -> None:
    """Installs this module's patches (idempotent); the server does it in bot.rasa_server."""
    from bot import rasa_server

    rasa_server.install(p.name for p in rasa_server.PATCHES if p.replacement.__module__ == __name__)
