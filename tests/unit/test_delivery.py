"""A staff reply counts as delivered only when the channel confirmed it.

Website: a real Sanic server with the website channel and python-socketio's client as the
widget (which acknowledges, as bot/web/static/chat.js does); two servers for two
instances, with and without the Redis manager. Messengers: the platforms' APIs are the
local recorder (tests/recorder.py), answering as they document, including their refusals
(a citizen who blocked the bot).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from aiogram.utils.exceptions import BotBlocked

from bot import runtime
from bot.cases import delivery
from bot.cases import store as cases
from bot.channels.base import Incoming
from bot.channels.facebook import SignedMessengerBot, _client
from bot.channels.telegram import SignedTelegramInput
from bot.channels.textfit import ChoiceMemory
from bot.channels.website import WebsiteInput
from bot.channels.whatsapp import WhatsAppInput
from bot.channels.window import Windows
from bot.handoff.tickets import insert_ticket
from bot.store import make_engine, tickets
from bot.web.auth import User
from tests.builders import new_ticket
from tests.recorder import start_recorder
from tests.unit.test_website_socket import (
    Widget,
    limits,  # noqa: F401  (fixture)
    two_instances,
    wait_for_notice,
    website,
)

pytestmark = pytest.mark.usefixtures("limits")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ANNA = User("anna", "staff", "buergerbuero_mitte")
TEXT = "Guten Tag, hier ist das Bürgerbüro. Ihr Termin ist bestätigt."


@pytest.fixture
def engine(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("STAFF_DELIVERY_ACK_SECONDS", "1")
    monkeypatch.delenv("SOCKETIO_REDIS_URL", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")
    monkeypatch.setattr(delivery, "_engine", lambda: engine)
    monkeypatch.setattr(delivery, "_now", lambda: NOW)
    return engine


_SEQ = iter(range(1, 10_000))


def stored_reply(engine, sender_id: str, channel: str) -> tuple[object, int]:
    """A case and a staff reply stored as the inbox stores it (not delivered yet)."""
    reference = f"MS-TEST-{next(_SEQ):04d}"
    insert_ticket(
        engine,
        new_ticket(
            reference,
            sender_id,
            NOW - timedelta(hours=1),
            idem_key=f"k-{sender_id}",
            channel=channel,
            due_at=NOW + timedelta(days=1),
        ),
    )
    desk = cases.Desk(engine, ANNA, {"buergerbuero_mitte"})
    row = desk.get(reference)
    return row, desk.reply(row, TEXT, False, NOW)


def outcome(engine, message_id: int) -> tuple[bool, str | None, object]:
    msg = cases.message(engine, message_id)
    assert msg is not None
    with engine.connect() as conn:
        first = conn.execute(
            sa.select(tickets.c.first_response_at).where(tickets.c.id == msg["ticket_id"])
        ).scalar()
    return bool(msg["delivered"]), msg["delivery_state"], first


# --- website -----------------------------------------------------------------------------


async def test_a_reply_counts_as_delivered_when_the_widget_acknowledged_it(engine):
    channel = WebsiteInput(session_persistence=True, metadata_key="customData")
    async with website(channel) as (url, _):
        widget = await asyncio.to_thread(Widget, url)
        session = await asyncio.to_thread(widget.start)
        _, mid = stored_reply(engine, session, "socketio")
        output = channel.get_output_channel()
        await output.send_text_message(session, TEXT, staff=True, message_id=mid)
        await asyncio.to_thread(widget.close)
    assert widget.notices == [TEXT]
    delivered, state, first = outcome(engine, mid)
    assert (delivered, state) == (True, "zugestellt") and first is not None


async def test_a_reply_to_a_closed_chat_is_not_delivered_and_not_stored_as_sent(engine):
    channel = WebsiteInput(session_persistence=True, metadata_key="customData")
    async with website(channel) as (url, _):
        widget = await asyncio.to_thread(Widget, url)
        session = await asyncio.to_thread(widget.start)
        await asyncio.to_thread(widget.close)  # the citizen closed the tab
        row, mid = stored_reply(engine, session, "socketio")
        output = channel.get_output_channel()
        with pytest.raises(delivery.NotDelivered):  # Rasa answers 500, keeps no bot event
            await output.send_text_message(session, TEXT, staff=True, message_id=mid)
    assert outcome(engine, mid) == (False, "nicht_zugestellt", None)
    assert cases.undelivered_replies(engine, [row.id]) == {row.id: 1}


async def test_without_a_shared_manager_a_citizen_on_the_other_instance_is_not_reached(engine):
    sender = WebsiteInput(session_persistence=True, metadata_key="customData")
    holder = WebsiteInput(session_persistence=True, metadata_key="customData")
    async with website(sender) as (_a, _), website(holder) as (url_b, _):
        widget = await asyncio.to_thread(Widget, url_b)
        session = await asyncio.to_thread(widget.start)
        _, mid = stored_reply(engine, session, "socketio")
        with pytest.raises(delivery.NotDelivered):
            await sender.get_output_channel().send_text_message(
                session, TEXT, staff=True, message_id=mid
            )
        await asyncio.to_thread(widget.close)
    assert widget.notices == []
    assert outcome(engine, mid)[:2] == (False, "nicht_zugestellt")


async def test_the_acknowledgement_comes_back_through_redis_from_the_other_instance(
    engine, monkeypatch
):
    monkeypatch.setenv("STAFF_DELIVERY_ACK_SECONDS", "5")
    async with two_instances(monkeypatch) as (sender, widget, session):
        _, mid = stored_reply(engine, session, "socketio")
        await sender.get_output_channel().send_text_message(
            session, TEXT, staff=True, message_id=mid
        )
        await wait_for_notice(widget, TEXT)
    assert widget.notices == [TEXT]
    assert outcome(engine, mid)[:2] == (True, "zugestellt")


async def test_the_assistant_s_own_messages_need_no_acknowledgement(engine):
    channel = WebsiteInput(session_persistence=True, metadata_key="customData")
    async with website(channel):
        output = channel.get_output_channel()
        started = time.monotonic()
        await output.send_text_message("nobody-here", "Hallo", staff=True)  # interim notice
        await output.send_text_message("nobody-here", "Hallo")
        assert time.monotonic() - started < 1  # no ack wait without a stored message
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM message_deliveries")).scalar() == 0


# --- messengers (platform APIs at the edge) ----------------------------------------------


@pytest.fixture
def platform():
    rec = start_recorder()
    yield rec
    rec.server.shutdown()


async def test_telegram_reply_is_delivered_only_when_the_bot_api_accepted_it(
    engine, platform, monkeypatch
):
    monkeypatch.setenv("TELEGRAM_API_URL", platform.url)
    tg = SignedTelegramInput("123:abc", "musterstadt_bot", "https://x")
    output = tg.get_output_channel()
    _, mid = stored_reply(engine, "900100", "telegram")
    await output.send_text_message("900100", TEXT, staff=True, message_id=mid)
    assert outcome(engine, mid)[:2] == (True, "zugestellt")
    platform.refused.add("900200")
    _, blocked = stored_reply(engine, "900200", "telegram")
    with pytest.raises(BotBlocked):  # Rasa then answers 500
        await output.send_text_message("900200", TEXT, staff=True, message_id=blocked)
    assert outcome(engine, blocked)[:2] == (False, "nicht_zugestellt")
    assert "Blocked" in (cases.message(engine, blocked) or {}).get("delivery_detail", "")


async def test_facebook_error_answer_is_not_taken_for_a_delivery(engine, platform):
    bot = SignedMessengerBot(_client("page-token", platform.url), ChoiceMemory())
    _, mid = stored_reply(engine, "psid-1", "facebook")
    await bot.send_text_message("psid-1", TEXT, staff=True, message_id=mid)
    assert outcome(engine, mid)[:2] == (True, "zugestellt")
    platform.refused.add("psid-2")
    _, refused = stored_reply(engine, "psid-2", "facebook")
    with pytest.raises(delivery.NotDelivered, match="551"):
        await bot.send_text_message("psid-2", TEXT, staff=True, message_id=refused)
    assert outcome(engine, refused)[:2] == (False, "nicht_zugestellt")


async def test_whatsapp_outside_the_window_waits_and_a_refusal_is_not_delivered(
    engine, platform, monkeypatch, tmp_path
):
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    monkeypatch.delenv("HANDOFF_DB_URL", raising=False)
    runtime.reset()
    ch = WhatsAppInput(
        "wa-verify", "secret", "wa-token", "106540352242922", platform.url, "antwort", "de"
    )
    windows = Windows("whatsapp", lambda: engine, lambda: NOW)
    ch.window = windows
    output = ch.get_output_channel()
    _, waiting = stored_reply(engine, "4915112345678", "whatsapp")
    await output.send_text_message("4915112345678", TEXT, staff=True, message_id=waiting)
    assert outcome(engine, waiting) == (False, "wartet", None)  # only the template went out
    # the citizen answers the template: the waiting text goes out and counts as delivered
    await ch.before_message(Incoming("4915112345678", "Hallo", sent_at=NOW), output)
    assert TEXT in platform.texts("whatsapp", "4915112345678")[-1]
    assert outcome(engine, waiting) == (True, "zugestellt", NOW.replace(tzinfo=None))
    windows.record_inbound("4915199999999", NOW)  # the citizen wrote: inside the window
    platform.refused.add("4915199999999")
    _, refused = stored_reply(engine, "4915199999999", "whatsapp")
    with pytest.raises(aiohttp.ClientResponseError):  # Rasa then answers 500
        await output.send_text_message("4915199999999", TEXT, staff=True, message_id=refused)
    msg = cases.message(engine, refused) or {}
    assert (msg["delivered"], msg["delivery_state"], msg["delivery_detail"]) == (
        False,
        "nicht_zugestellt",
        "HTTP 400",
    )
    runtime.reset()
