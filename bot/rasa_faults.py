"""The citizen is told when the action server fails, instead of getting no answer.

Rasa 3.6 logs a failed custom-action call ("Bot will continue, but the actions events are
lost") and sends nothing: the citizen waits for an answer that never comes. Installed in
the Rasa server at start-up (by :mod:`bot.rasa_server`, a change of behaviour), this wraps
``RemoteAction.run``: when the action server cannot be reached, answers with an error
status or does not answer within ``ACTION_TIMEOUT_SECONDS`` (default 30 s; Rasa's own
limit is 300 s), the turn ends with the domain response ``utter_technical_problem``.
The next turn calls the action server again, so the conversation works once it is back.

An ``ActionExecutionRejection`` (a form rejecting its slot) is not a fault and passes.
Ticket creation is idempotent per event (bot.handoff.tickets), so a timed-out handoff
that did reach the store is not doubled when the citizen tries again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.actions.action import ActionBotResponse, ActionExecutionRejection, RemoteAction
from rasa.shared.exceptions import RasaException

from bot import config

logger = logging.getLogger(__name__)

FAULT_RESPONSE = "utter_technical_problem"

_original_run = RemoteAction.run


def action_timeout() -> float:
    """Seconds to wait for the action server (``ACTION_TIMEOUT_SECONDS``, bot.config)."""
    return config.current().action_timeout_seconds


async def run_or_apologise(
    self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Any]:
    """``RemoteAction.run``; on a fault, the technical-problem notice instead of silence."""
    try:
        return await asyncio.wait_for(
            _original_run(self, output_channel, nlg, tracker, domain), timeout=action_timeout()
        )
    except ActionExecutionRejection:
        raise
    except (RasaException, asyncio.TimeoutError) as exc:
        logger.error(
            "action server fault in %s (%s); sending %s",
            self.name(),
            type(exc).__name__,
            FAULT_RESPONSE,
        )
        if FAULT_RESPONSE not in domain.responses:
            raise
        events: list[Any] = await ActionBotResponse(FAULT_RESPONSE).run(
            output_channel, nlg, tracker, domain
        )
        return events


def install() -> None:
    """Wraps ``RemoteAction.run`` (idempotent); the server does it in bot.rasa_server."""
    from bot import rasa_server

    rasa_server.install(["technical-problem-notice"])
