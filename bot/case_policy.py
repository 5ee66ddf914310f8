"""Dialogue policy: while a case is open, every citizen message goes to the case.

A handoff sets the slot ``handoff_stage`` to ``paused`` (an open case) instead of pausing
the conversation with Rasa's ``ConversationPaused``: a paused Rasa conversation runs no
action at all, so the citizen got no answer and the website showed "Der Assistent
schreibt …" for 15 s, then nothing (issue 16). With this policy a message during a case
runs ``action_case_message`` (``actions/case.py``), which adds it to the case,
acknowledges it once, answers a routine question when the city allows it, or ends the
case when the citizen says so; the turn then ends with ``action_listen``.

Messages the channel guard answers itself (empty, too long, not text, maintenance, rate
limit) and the website's resume link pass through to their own rules
(``pass_through_intents``). The policy's priority is above the RulePolicy's, so the
unconditioned rules ("any message with a handoff reason") do not take a case message.

The same holds while a report is being taken (slot ``report_stage`` = ``collecting``,
bot.dialogue.report): the answer to "Wo genau ist das?" ("Lindenallee 12") goes to
``action_report`` whatever the NLU made of it (a street alone reads as a closures
question). A report is no open case: the citizen asks on freely after it.
"""

from __future__ import annotations

from typing import Any

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

CASE_ACTION = "action_case_message"
OPEN_STAGE = "paused"
REPORT_ACTION = "action_report"
REPORT_STAGE = "collecting"


def _turn_actions(tracker: DialogueStateTracker) -> list[str]:
    """Names of the actions run since the latest user message (oldest first)."""
    names: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            names.append(event.action_name)
    return names[::-1]


def next_action(
    stage: Any,
    latest_action: str | None,
    intent: str | None,
    turn: list[str],
    passing: set[str],
    report_stage: Any = None,
) -> str | None:
    """The action this policy predicts, or None (it abstains).

    Args:
        stage: the value of the ``handoff_stage`` slot.
        latest_action: the name of the latest executed action.
        intent: the intent of the latest user message.
        turn: the actions run since that message.
        passing: intents that keep their own rules during a case.
        report_stage: the value of the ``report_stage`` slot.
    """
    if CASE_ACTION in turn or REPORT_ACTION in turn:
        # The case or report action ran in this turn (perhaps followed by a routine
        # answer or a handoff it handed the message to): the turn ends here.
        return ACTION_LISTEN_NAME
    if stage != OPEN_STAGE:
        collecting = report_stage == REPORT_STAGE and latest_action == ACTION_LISTEN_NAME
        return REPORT_ACTION if collecting and intent and intent not in passing else None
    if latest_action != ACTION_LISTEN_NAME:
        # The turn that opened the case (action_handoff_create, action_resume_case, ...)
        # or a guard's answer ends here; the rules would not match the changed stage and
        # their fallback would say "nicht verstanden".
        return ACTION_LISTEN_NAME
    if not intent or intent in passing:
        return None
    return CASE_ACTION


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class CasePolicy(Policy):
    """Sends every message of a conversation with an open case to ``action_case_message``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Priority above the RulePolicy; intents that keep their own rules."""
        return {
            "priority": RULE_POLICY_PRIORITY + 1,
            "pass_through_intents": [
                "input_empty",
                "input_too_long",
                "input_not_text",
                "maintenance",
                "rate_limited",
                "resume_case",
                "restart",
                "session_start",
            ],
        }

    @staticmethod
    def supported_data() -> SupportedData:
        """Needs no training data (it reads the slot and the latest message)."""
        return SupportedData.ML_AND_RULE_DATA

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn; persists the (unused) featurizer so that loading is plain."""
        with self._model_storage.write_to(self._resource) as path:
            self.featurizer.persist(path)
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Confidence 1.0 for the case action (or for listening after it), else nothing."""
        result = self._default_predictions(domain)
        latest = tracker.latest_message
        intent = (latest.intent or {}).get("name") if latest is not None else None
        action = next_action(
            tracker.get_slot("handoff_stage"),
            tracker.latest_action_name,
            intent,
            _turn_actions(tracker),
            set(self.config.get("pass_through_intents") or []),
            tracker.get_slot("report_stage"),
        )
        if action is not None and action in domain.action_names_or_texts:
            result[domain.index_for_action(action)] = 1.0
        return self._prediction(result)
