"""The retention schedule (web app job) and ``python -m bot.cli retention``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import cli, logging_setup
from bot.config import TIMEZONE, Settings
from bot.store import make_engine, tickets
from bot.web import jobs
from tests.unit.test_privacy import RASA_EVENTS, add_conversation, add_ticket, senders
from tests.webserver import app_settings, running_app

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (None, local(23, 10), True),  # first round after start
        (local(23, 10), local(23, 23), False),  # same day
        (local(23, 10), local(24, 2), False),  # next day, before 03:00
        (local(23, 10), local(24, 3), True),
        (local(24, 3), local(24, 4), False),
        (local(23, 10), local(26, 12), True),  # the server was down for days
    ],
)
def test_retention_runs_once_a_day_from_the_configured_hour(last, now, due):
    assert jobs.retention_due(last, now.astimezone(timezone.utc), hour=3) is due


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(
        tmp_path, NOW.isoformat(), RETENTION_CONVERSATION_DAYS="30", RETENTION_TICKET_DAYS="100"
    )
    tracker = make_engine(s.tracker_store_url)
    RASA_EVENTS.create(tracker)
    add_conversation(tracker, "expired", NOW - timedelta(days=31))
    add_conversation(tracker, "current", NOW - timedelta(days=29))
    handoff = make_engine(s.handoff_db_url)
    add_ticket(handoff, "MS-OLD1-0001", "x", NOW - timedelta(days=200), NOW - timedelta(days=101))
    add_ticket(handoff, "MS-NEW1-0001", "y", NOW - timedelta(days=200), NOW - timedelta(days=99))
    return s


def refs(s: Settings) -> set[str]:
    with make_engine(s.handoff_db_url).connect() as conn:
        return {r.reference for r in conn.execute(sa.select(tickets.c.reference))}


async def test_web_app_job_runs_retention_once_a_day(settings):
    async with running_app(settings) as web:
        first = await jobs.run_retention_if_due(web.app, now=NOW)
        assert first is not None
        assert (first.conversations, first.tickets) == (1, 1)
        assert await jobs.run_retention_if_due(web.app, now=NOW + timedelta(hours=5)) is None
        assert await jobs.run_retention_if_due(web.app, now=local(24, 3)) is not None
    assert senders(make_engine(settings.tracker_store_url)) == {"current"}
    assert refs(settings) == {"MS-NEW1-0001"}


async def test_scheduled_run_is_skipped_with_a_fixed_clock(settings):
    """BOT_FIXED_NOW (tests, demos): no automatic deletion against a fake date."""
    async with running_app(settings) as web:
        assert await jobs.run_retention_if_due(web.app) is None
    assert senders(make_engine(settings.tracker_store_url)) == {"expired", "current"}


def _cli(monkeypatch, settings: Settings, *args: str) -> dict:
    monkeypatch.setattr(logging_setup, "setup_logging", lambda *a, **k: None)
    for key, value in {
        "STATE_DIR": str(settings.state_dir),
        "BOT_FIXED_NOW": NOW.isoformat(),
        "RETENTION_CONVERSATION_DAYS": "30",
        "RETENTION_TICKET_DAYS": "100",
        "TRACKER_STORE_URL": settings.tracker_store_url,
        "HANDOFF_DB_URL": settings.handoff_db_url,
    }.items():
        monkeypatch.setenv(key, value)
    return {"rc": cli.main(["retention", *args])}


def test_cli_dry_run_counts_and_deletes_nothing(settings, monkeypatch, capsys):
    assert _cli(monkeypatch, settings, "--dry-run")["rc"] == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True
    assert (out["conversations"], out["events"], out["tickets"]) == (1, 3, 1)
    assert senders(make_engine(settings.tracker_store_url)) == {"expired", "current"}
    assert refs(settings) == {"MS-OLD1-0001", "MS-NEW1-0001"}


def test_cli_deletes(settings, monkeypatch, capsys):
    assert _cli(monkeypatch, settings)["rc"] == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is False and out["conversations"] == 1
    assert senders(make_engine(settings.tracker_store_url)) == {"current"}
    assert refs(settings) == {"MS-NEW1-0001"}


def test_retention_settings_from_the_environment():
    s = Settings.from_env({"RETENTION_DRY_RUN": "true", "RETENTION_TICKET_DAYS": "0"})
    policy = jobs.retention_policy(s)
    assert (policy.conversation_days, policy.ticket_days, policy.dry_run) == (90, 0, True)
    with pytest.raises(ValueError, match="RETENTION_CONVERSATION_DAYS"):
        Settings.from_env({"RETENTION_CONVERSATION_DAYS": "neunzig"})
