"""WhatsApp Cloud API connector on a real Sanic server; Meta's Graph API is the local
recorder (tests/recorder.py). Payloads: whatsapp_cloud_api_webhook_shapes.json in
tests/data/connectors/.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot import runtime
from bot.channels import dedup
from bot.channels.whatsapp import WhatsAppInput, WindowClosed, extract, interactive
from bot.channels.window import Windows
from bot.store import make_engine
from tests.builders import connector_shapes
from tests.recorder import start_recorder
from tests.unit.test_rate_limit import new_app, serve

SHAPES = connector_shapes("whatsapp_cloud_api_webhook_shapes.json")
SECRET = "wa-app-secret"
PHONE_ID = "106540352242922"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def shape(name: str, wa_id: str, at: datetime = NOW, text: str | None = None) -> dict[str, Any]:
    raw = json.dumps(SHAPES[name])
    raw = raw.replace("<WA_ID>", wa_id).replace("<PHONE_NUMBER_ID>", PHONE_ID)
    payload = json.loads(raw.replace("<TIMESTAMP>", str(int(at.timestamp()))))
    if text is not None:
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return payload


def signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    monkeypatch.delenv("HANDOFF_DB_URL", raising=False)
    runtime.reset()
    dedup.seen_messages.cache_clear()
    yield tmp_path
    runtime.reset()
    dedup.seen_messages.cache_clear()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def graph():
    rec = start_recorder()
    yield rec
    rec.server.shutdown()


def channel(graph, clock: Clock, template: str = "vorgang_antwort") -> WhatsAppInput:
    ch = WhatsAppInput("wa-verify", SECRET, "wa-token", PHONE_ID, graph.url, template, "de")
    ch.window = Windows("whatsapp", runtime.handoff_engine, clock)
    return ch


def bot_replies(received: list[str]):
    """A stand-in for Rasa: records the text, answers with text and buttons."""

    async def on_new_message(message):
        received.append(message.text)
        out = message.output_channel
        if message.text == "Wann hat es heute auf?":
            buttons = [
                {"title": t, "payload": f'/ask_opening_hours{{"office":"{t.lower()}"}}'}
                for t in ("Bürgerbüro Mitte", "Standesamt", "Steueramt", "Ordnungsamt")
            ]
            await out.send_text_with_buttons(
                message.sender_id, "Welches Amt?", buttons[: n(message)]
            )
        else:
            await out.send_text_message(message.sender_id, "Antwort: " + message.text)

    def n(message) -> int:
        return 4 if message.sender_id.endswith("4") else 3

    return on_new_message


async def test_verification_handshake(env, graph):
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies([])), url_prefix="/webhooks/whatsapp"
    )
    async with serve(app) as (url, http):
        hook = f"{url}/webhooks/whatsapp/webhook"
        ok = await http.get(
            hook,
            params={
                "hub.mode": "subscribe",
                "hub.challenge": "1158201444",
                "hub.verify_token": "wa-verify",
            },
        )
        bad = await http.get(hook, params={"hub.challenge": "1", "hub.verify_token": "nope"})
        assert (ok.status, await ok.text()) == (200, "1158201444")
        assert bad.status == 403


@pytest.mark.parametrize(
    "header", [None, "sha256=" + "0" * 64, "garbage", "sha1=abc", "sha256=wrong-secret"]
)
async def test_missing_or_wrong_signature_is_403_and_nothing_processed(env, graph, header):
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies(received)), url_prefix="/webhooks/whatsapp"
    )
    body, headers = signed(shape("text_message", "4917100000001"))
    if header == "sha256=wrong-secret":
        headers = signed(shape("text_message", "4917100000001"), "other-secret")[1]
    elif header is None:
        headers.pop("X-Hub-Signature-256")
    else:
        headers["X-Hub-Signature-256"] = header
    async with serve(app) as (url, http):
        resp = await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
        assert resp.status == 403
    assert received == [] and graph.calls == []


async def test_text_is_answered_and_a_redelivery_processed_once(env, graph):
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies(received)), url_prefix="/webhooks/whatsapp"
    )
    body, headers = signed(shape("text_message", "4917100000002"))
    async with serve(app) as (url, http):
        for _ in range(2):  # Meta redelivers when the answer was lost
            resp = await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
            assert resp.status == 200
    assert received == ["Wann hat das Standesamt geöffnet?"]
    sent = [c for c in graph.calls if c.path == f"/{PHONE_ID}/messages"]
    assert len(sent) == 1
    assert sent[0].body["to"] == "4917100000002" and sent[0].body["messaging_product"] == "whatsapp"
    assert sent[0].body["text"]["body"] == "Antwort: Wann hat das Standesamt geöffnet?"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("button_reply", '/ask_opening_hours{"office":"standesamt"}'),
        ("list_reply", '/ask_opening_hours{"office":"buergerbuero_mitte"}'),
        ("template_quick_reply", "Nachricht anzeigen"),
        ("image_message", "/input_not_text"),
        ("reaction", '/feedback{"rating": 1}'),
    ],
)
async def test_payload_shapes(env, graph, name, expected):
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies(received)), url_prefix="/webhooks/whatsapp"
    )
    body, headers = signed(shape(name, "4917100000003"))
    async with serve(app) as (url, http):
        resp = await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
        assert resp.status == 200
    assert received == [expected]


@pytest.mark.parametrize("name", ["status_delivered", "status_read"])
async def test_status_callbacks_are_acknowledged_and_ignored(env, graph, name):
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies(received)), url_prefix="/webhooks/whatsapp"
    )
    body, headers = signed(shape(name, "4917100000005"))
    async with serve(app) as (url, http):
        resp = await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
        assert resp.status == 200
    assert received == [] and graph.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account"}',
    ],
)
async def test_bad_bodies_are_400_not_a_crash(env, graph, body):
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies([])), url_prefix="/webhooks/whatsapp"
    )
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with serve(app) as (url, http):
        resp = await http.post(
            f"{url}/webhooks/whatsapp/webhook",
            data=body,
            headers={"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"},
        )
        assert resp.status == 400


def test_messages_for_another_number_of_the_account_are_skipped():
    payload = shape("text_message", "4917100000006")
    assert len(extract(payload, PHONE_ID)) == 1
    assert extract(payload, "another-number-id") == []


async def test_three_buttons_are_reply_buttons_four_a_list(env, graph):
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies([])), url_prefix="/webhooks/whatsapp"
    )
    async with serve(app) as (url, http):
        for wa_id in ("4917100000013", "4917100000014"):
            body, headers = signed(shape("text_message", wa_id, text="Wann hat es heute auf?"))
            await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
    by_to = {c.body["to"]: c.body for c in graph.calls}
    three = by_to["4917100000013"]["interactive"]
    assert three["type"] == "button"
    assert [b["reply"]["title"] for b in three["action"]["buttons"]] == [
        "Bürgerbüro Mitte",
        "Standesamt",
        "Steueramt",
    ]
    four = by_to["4917100000014"]["interactive"]
    assert four["type"] == "list" and len(four["action"]["sections"][0]["rows"]) == 4
    assert (
        four["action"]["sections"][0]["rows"][1]["id"]
        == '/ask_opening_hours{"office":"standesamt"}'
    )


def test_choices_whatsapp_cannot_show_become_none():
    long_titles = [
        {"title": "Straßenverkehrsamt und Kfz-Zulassung", "payload": str(i)} for i in range(2)
    ]
    assert interactive("Welches Amt?", long_titles) is None
    eleven = [{"title": f"Amt {i}", "payload": str(i)} for i in range(11)]
    assert interactive("Welches Amt?", eleven) is None
    assert interactive("x" * 1025, eleven[:2]) is None
    assert interactive("Welches Amt?", eleven[:2])["type"] == "button"


async def test_long_text_is_split_at_4096(env, graph):
    ch = channel(graph, Clock(NOW))
    out = ch.reply_channel()
    text = ("Wort " * 1700).strip()  # 8,499 characters
    await out.send_text_message("4917100000007", text)
    parts = [c.body["text"]["body"] for c in graph.calls]
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts) == text


async def test_staff_reply_inside_the_window_is_text_outside_the_template(env, graph):
    clock = Clock(NOW)
    ch = channel(graph, clock)
    app = new_app()
    app.blueprint(ch.blueprint(bot_replies([])), url_prefix="/webhooks/whatsapp")
    wa_id = "4917100000008"
    body, headers = signed(shape("text_message", wa_id, at=NOW - timedelta(hours=1)))
    async with serve(app) as (url, http):
        await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
        push = ch.get_output_channel()  # what Rasa uses for a staff reply
        graph.calls.clear()
        clock.now = NOW + timedelta(hours=22, minutes=59)  # 23:59 h after the message
        await push.send_text_message(wa_id, "Ihr Antrag ist eingegangen.", staff=True)
        assert [c.body["type"] for c in graph.calls] == ["text"]
        assert graph.calls[0].body["text"]["body"].endswith("Ihr Antrag ist eingegangen.")
        graph.calls.clear()
        clock.now = NOW + timedelta(hours=23, minutes=1)  # 24:01 h after the message
        assert not ch.window.is_open(wa_id)
        await push.send_text_message(wa_id, "Ihr Bescheid liegt vor.", staff=True)
        assert [c.body for c in graph.calls] == [
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": wa_id,
                "type": "template",
                "template": {"name": "vorgang_antwort", "language": {"code": "de"}},
            }
        ]
        # The citizen answers the template: the staff text follows, then the answer.
        graph.calls.clear()
        body, headers = signed(shape("template_quick_reply", wa_id, at=clock.now))
        await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
        texts = [c.body["text"]["body"] for c in graph.calls]
        assert texts[0].endswith("Ihr Bescheid liegt vor.") and texts[0].startswith("Nachricht vom")
        assert texts[1] == "Antwort: Nachricht anzeigen"
        assert ch.window.is_open(wa_id)


async def test_push_outside_the_window_without_template_fails_loudly(env, graph):
    ch = channel(graph, Clock(NOW), template="")
    with pytest.raises(WindowClosed):  # Rasa's API answers 500: the inbox says "nicht zugestellt"
        await ch.get_output_channel().send_text_message("4917100000009", "Hallo", staff=True)
    assert graph.calls == []


def test_window_store_keeps_no_phone_number(env):
    engine = make_engine(f"sqlite:///{env / 'w.db'}")
    windows = Windows("whatsapp", lambda: engine, Clock(NOW))
    windows.record_inbound("4917100000010", NOW)
    windows.add_pending("4917100000010", "Text")
    with engine.connect() as conn:
        dump = " ".join(
            str(tuple(r)) for r in conn.exec_driver_sql("SELECT * FROM messenger_windows")
        )
    assert "4917100000010" not in dump
    assert windows.is_open("4917100000010") and not windows.is_open("4917100000011")
    # an older message (delivered late) does not move the window back
    windows.record_inbound("4917100000010", NOW - timedelta(days=3))
    assert windows.last_inbound("4917100000010") == NOW
    assert copy.deepcopy(windows.record_inbound("4917100000010", None)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 100_000, "/input_too_long"),
        ("", "/input_empty"),
        ("\x00\x01\x02binär", "/input_not_text"),
        ("<script>alert(1)</script> Öffnungszeiten?", "<script>alert(1)</script> Öffnungszeiten?"),
        ("🙂🙂🙂", "🙂🙂🙂"),
    ],
)
async def test_bad_input_reaches_rasa_as_the_guard_makes_it(env, graph, text, expected):
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, Clock(NOW)).blueprint(bot_replies(received)), url_prefix="/webhooks/whatsapp"
    )
    body, headers = signed(shape("text_message", "4917100000040", text=text))
    async with serve(app) as (url, http):
        resp = await http.post(f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers)
        assert resp.status == 200
    assert received == [expected]


def test_silent_contacts_are_forgotten_after_a_month(env):
    engine = make_engine(f"sqlite:///{env / 'w.db'}")
    windows = Windows("whatsapp", lambda: engine, Clock(NOW))
    windows.record_inbound("4917100000050", NOW - timedelta(days=31))
    windows.record_inbound("4917100000052", NOW - timedelta(days=31))
    windows.add_pending("4917100000052", "wartet noch")
    windows.record_inbound("4917100000051", NOW)  # a new contact prunes the old ones
    assert windows.last_inbound("4917100000050") is None
    assert windows.last_inbound("4917100000052") is not None  # a text still waits


def test_erasure_on_request_forgets_the_window_and_waiting_texts(env):
    from bot.privacy import ErasureScope, erase

    engine = make_engine(f"sqlite:///{env / 'h.db'}")
    tracker = make_engine(f"sqlite:///{env / 't.db'}")
    windows = Windows("whatsapp", lambda: engine, Clock(NOW))
    windows.record_inbound("4917100000060", NOW)
    windows.add_pending("4917100000060", "Ihr Bescheid liegt vor.")
    windows.record_inbound("4917100000061", NOW)
    scope = ErasureScope(query="4917100000060", by_reference=False, senders={"4917100000060"})
    erase(tracker, engine, scope, "anna", NOW)
    assert windows.last_inbound("4917100000060") is None
    assert windows.last_inbound("4917100000061") == NOW  # others untouched
