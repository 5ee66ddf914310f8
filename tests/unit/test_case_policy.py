"""bot.case_policy: during an open case every message goes to action_case_message."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.case_policy import CASE_ACTION, CasePolicy, next_action

PASSING = set(CasePolicy.get_default_config()["pass_through_intents"])
DOMAIN = Domain.load("domain")


def test_decision_table():
    assert next_action("paused", "action_listen", "ask_opening_hours", [], PASSING) == CASE_ACTION
    assert next_action("paused", "action_listen", "handoff_detected", [], PASSING) == CASE_ACTION
    assert next_action(None, "action_listen", "ask_opening_hours", [], PASSING) is None
    assert next_action("consent", "action_listen", "affirm", [], PASSING) is None
    # the guard's own answers and the resume link keep their rules
    assert next_action("paused", "action_listen", "input_empty", [], PASSING) is None
    assert next_action("paused", "action_listen", "resume_case", [], PASSING) is None
    # after the case action (and a routine answer it asked for) the turn ends
    turn = [CASE_ACTION, "action_opening_hours"]
    assert next_action("paused", "action_opening_hours", "x", turn, PASSING) == "action_listen"
    assert next_action(None, CASE_ACTION, "x", [CASE_ACTION], PASSING) == "action_listen"
    # the turn that opened the case ends with listening (not the rules' fallback)
    opened = ["action_handoff_create"]
    assert next_action("paused", opened[0], "affirm", opened, PASSING) == "action_listen"


def _predict(events) -> str | None:
    tracker = DialogueStateTracker.from_events("s", events, slots=DOMAIN.slots)
    policy = CasePolicy.__new__(CasePolicy)
    policy.config = CasePolicy.get_default_config()
    policy.priority = policy.config["priority"]
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if prediction.max_confidence < 1.0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def test_predicts_on_a_real_tracker():
    opened = [ActionExecuted("action_listen"), SlotSet("handoff_stage", "paused")]
    question = UserUttered("Hat das Rathaus morgen offen?", {"name": "ask_opening_hours"})
    assert _predict([*opened, question]) == CASE_ACTION
    assert _predict([*opened, question, ActionExecuted(CASE_ACTION)]) == "action_listen"
    assert _predict([ActionExecuted("action_listen"), question]) is None


def test_trains_persists_and_loads(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = CasePolicy.get_default_config()
    policy = CasePolicy.create(config, storage, Resource("case_policy"), context)
    resource = policy.train([], DOMAIN)
    loaded = CasePolicy.load(config, storage, resource, context)
    tracker = DialogueStateTracker.from_events(
        "s",
        [
            ActionExecuted("action_listen"),
            SlotSet("handoff_stage", "paused"),
            UserUttered("Hallo?", {"name": "greet"}),
        ],
        slots=DOMAIN.slots,
    )
    prediction = loaded.predict_action_probabilities(tracker, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == CASE_ACTION
    assert prediction.policy_priority == config["priority"]
