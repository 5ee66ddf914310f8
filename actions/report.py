"""Action: a citizen reports what is broken (bot.dialogue.report)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import apply, entities, message_text
from actions.handoff import _user_event_ts
from bot import runtime
from bot.dialogue import report
from bot.knowledge.reports import StreetList, load_settings, load_streets

logger = logging.getLogger(__name__)


def streets() -> StreetList:
    """The city's streets (streets.yml), with the closures feed's when reports.yml says so."""
    directory = runtime.settings().knowledge_dir
    listed = load_streets(directory)
    if not load_settings(directory).streets_from_feed:
        return listed
    try:
        snapshot = runtime.closures_feed().snapshot()
    except Exception:  # the feed is an extra source; the list alone still works
        logger.warning("closures feed unavailable; reports use streets.yml only")
        return listed
    return listed.with_feed(c.street for c in snapshot.closures) if snapshot else listed


def setup(tracker: Tracker) -> report.ReportSetup:
    """The city's data for a report, read now (files may change while the server runs)."""
    return report.ReportSetup(
        knowledge=runtime.knowledge(),
        settings=load_settings(runtime.settings().knowledge_dir),
        streets=streets(),
        config=runtime.handoff_config(),
        engine_factory=runtime.handoff_engine,
        outbox=runtime.outbox(),
        events=list(tracker.events),
    )


class ActionReport(Action):
    """Takes a report: asks what is missing, then creates the case and confirms it."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """See :func:`bot.dialogue.report.handle`."""
        msg = report.ReportMessage(
            sender_id=tracker.sender_id,
            channel=(tracker.get_latest_input_channel() or "rest").lower(),
            text=message_text(tracker),
            intent=(tracker.latest_message.get("intent") or {}).get("name"),
            entities=entities(tracker),
            key=f"{tracker.sender_id}:{_user_event_ts(tracker) or 0:.6f}",
            language=tracker.get_slot("language") or "de",
        )
        try:
            result = await asyncio.to_thread(
                lambda: report.handle(
                    setup(tracker), msg, tracker.current_slot_values(), runtime.now()
                )
            )
        except Exception:
            logger.exception("action_report failed")
            dispatcher.utter_message(response="utter_technical_problem")
            return []
        events = apply(result.outcome, dispatcher)
        if result.followup:
            events.append(FollowupAction(result.followup))
        return events
