"""Staff e-mails for new and overdue tickets, through a real SMTP server on loopback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.handoff.tickets import insert_ticket
from bot.store import make_engine, tickets
from bot.web import jobs
from tests.builders import new_ticket
from tests.smtp import start_smtp
from tests.webserver import app_settings, running_app

CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def smtp():
    controller, box = start_smtp()
    yield box, {"smtp_host": "127.0.0.1", "smtp_port": controller.port}
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = app_settings(tmp_path)  # Rasa is down: no interim message possible
    insert_ticket(
        make_engine(s.handoff_db_url),
        new_ticket(
            "MS-JOBS-0001",
            "citizen-1",
            CREATED,
            idem_key="jobs-1",
            reason="personal_data",
            office="standesamt",
            summary="Meine IBAN ist [IBAN entfernt]",
        ),
    )
    return s


async def test_new_and_overdue_mail_once_each_without_content(settings, smtp):
    smtp, smtp_settings = smtp
    async with running_app(settings.replace(**smtp_settings)) as web:
        before_due = await jobs.run_once(web.app, now=CREATED + timedelta(hours=1))
        after_due = await jobs.run_once(web.app, now=CREATED + timedelta(days=2))
        again = await jobs.run_once(web.app, now=CREATED + timedelta(days=3))
    assert before_due["notified"] == 1 and before_due["overdue"] == 0
    assert after_due == {"notified": 0, "overdue": 1, "interim": 0}  # Rasa down: no interim
    assert again == {"notified": 0, "overdue": 0, "interim": 0}
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == [
        "Neuer Vorgang (persönliche Daten)",
        "Überfälliger Vorgang (persönliche Daten)",
    ]
    # the reference is only in the body (with the staff link), never in the subject
    assert all("/staff/tickets/MS-JOBS-0001" in m.get_content() for m in smtp.messages)
    assert all(m["To"] == "standesamt@musterstadt.de" for m in smtp.messages)
    assert all("IBAN" not in m.get_content() for m in smtp.messages)


async def test_no_smtp_configured_sends_nothing(settings):
    assert not settings.smtp_host
    async with running_app(settings) as web:
        counts = await jobs.run_once(web.app, now=CREATED + timedelta(days=2))
    assert counts == {"notified": 0, "overdue": 0, "interim": 0}
    with make_engine(settings.handoff_db_url).connect() as conn:
        assert conn.execute(sa.select(tickets.c.notified_at)).scalar() is None
