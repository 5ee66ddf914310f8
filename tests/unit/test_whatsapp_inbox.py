"""The staff inbox tells staff when a WhatsApp citizen will see the template, not the text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.window import Windows
from bot.config import Settings
from bot.handoff.tickets import insert_ticket
from bot.store import make_engine
from tests.builders import new_ticket
from tests.unit.test_web_staff import login, settings  # noqa: F401  (fixture)
from tests.webserver import running_app

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # the fixture's BOT_FIXED_NOW


def whatsapp_ticket(s: Settings, reference: str, wa_id: str, last_message: datetime) -> None:
    engine = make_engine(s.handoff_db_url)
    insert_ticket(
        engine,
        new_ticket(
            reference,
            wa_id,
            last_message,
            channel="whatsapp",
            reason="personal_data",
            summary="Adresse ändern",
            transcript=[{"from": "citizen", "text": "Adresse ändern"}],
            redacted=True,
        ),
    )
    Windows("whatsapp", lambda: engine, lambda: NOW).record_inbound(wa_id, last_message)


@pytest.mark.parametrize("template", ["vorgang_antwort", ""])
async def test_ticket_page_says_whether_the_citizen_sees_the_template(settings, template):  # noqa: F811
    s = Settings(**{**settings.__dict__, "whatsapp_template_name": template})
    whatsapp_ticket(s, "MS-WAPP-0001", "4917100000020", NOW - timedelta(hours=23))
    whatsapp_ticket(s, "MS-WAPP-0002", "4917100000021", NOW - timedelta(hours=25))
    async with running_app(s) as web:
        await login(web)
        async with web.http.get(f"{web.url}/staff/tickets/MS-WAPP-0001") as resp:
            inside = await resp.text()
        async with web.http.get(f"{web.url}/staff/tickets/MS-WAPP-0002") as resp:
            outside = await resp.text()
        async with web.http.get(f"{web.url}/staff/tickets/MS-TEST-0000") as resp:
            website = await resp.text()
    assert 'id="window-note"' not in inside and 'id="window-note"' not in website
    assert 'id="window-note"' in outside and "älter als 24 Stunden" in outside
    if template:
        assert "Vorlage „vorgang_antwort“" in outside
    else:
        assert "WHATSAPP_TEMPLATE_NAME" in outside and "nicht zugestellt" in outside
