"""Website socket.io and the messenger webhooks, replayed with real-shaped payloads.

The payloads are those of tests/data/connectors/ (from ../shared/real-data/). Only the
platforms' outbound APIs are replaced, by the local recorder (tests/recorder.py).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.e2e.conftest import FB_SECRET, FB_VERIFY, TELEGRAM_SECRET

pytestmark = pytest.mark.stack
DATA = Path(__file__).resolve().parents[1] / "data" / "connectors"
FB = json.loads((DATA / "facebook_messenger_webhook_shapes.json").read_text())
TG = json.loads((DATA / "telegram_update_shapes_de.json").read_text())
TG_OFFICIAL = json.loads((DATA / "telegram_update_text_official_sample.json").read_text())


def fb_payload(shape: str, psid: str) -> bytes:
    raw = json.dumps(FB[shape]).replace("<PSID>", psid).replace("<PAGE_ID>", "page-1")
    return raw.encode()


def fb_text(psid: str, text: str) -> bytes:
    """The real-shaped text message with another text (and, as Meta gives every message,
    its own ``mid``: a message with a ``mid`` seen before is a redelivery)."""
    payload = json.loads(fb_payload("text_message", psid))
    message = payload["entry"][0]["messaging"][0]["message"]
    message["text"] = text
    message["mid"] += "." + hashlib.sha256(text.encode()).hexdigest()[:12]
    return json.dumps(payload).encode()


def fb_post(stack, body: bytes, signature: str | None = "valid") -> int:
    headers = {"Content-Type": "application/json"}
    if signature == "valid":
        digest = hmac.new(FB_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
    elif signature == "sha1-only":
        digest = hmac.new(FB_SECRET.encode(), body, hashlib.sha1).hexdigest()
        headers["X-Hub-Signature"] = f"sha1={digest}"
    elif signature:
        headers["X-Hub-Signature-256"] = signature
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"{stack.rasa}/webhooks/facebook/webhook", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def tg_post(stack, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    status, _ = stack.request(
        "POST", f"{stack.rasa}/webhooks/telegram/webhook", update, headers=headers
    )
    return status


def tg_update(shape: str, chat_id: int) -> dict[str, Any]:
    update = copy.deepcopy(TG[shape])
    for key in ("message", "edited_message"):
        if key in update:
            update[key]["chat"]["id"] = chat_id
    if "callback_query" in update:
        update["callback_query"]["message"]["chat"]["id"] = chat_id
        update["callback_query"]["from"]["id"] = chat_id
    return update


# --- Facebook ---------------------------------------------------------------------------


def test_facebook_verification_handshake(stack):
    ok, body = stack.request(
        "GET",
        f"{stack.rasa}/webhooks/facebook/webhook?hub.mode=subscribe&hub.challenge=1158201444"
        f"&hub.verify_token={FB_VERIFY}",
    )
    assert (ok, str(body)) == (200, "1158201444")
    bad, _ = stack.request(
        "GET", f"{stack.rasa}/webhooks/facebook/webhook?hub.challenge=1&hub.verify_token=x"
    )
    assert bad == 403


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1-only", "garbage"])
def test_facebook_forged_webhooks_get_403_and_nothing_is_processed(stack, signature):
    psid = f"fb-forged-{abs(hash(signature)) % 10_000}"
    assert fb_post(stack, fb_payload("text_message", psid), signature) == 403
    assert stack.platforms.texts("facebook", psid) == []


def test_facebook_text_is_answered(stack):
    psid = "fb-text-1"
    assert fb_post(stack, fb_payload("text_message", psid)) == 200
    texts = stack.platforms.wait_for("facebook", psid, 1)
    assert any("Müllerstraße" in t for t in texts), texts


def test_facebook_quick_reply_and_postback_payloads(stack):
    psid = "fb-qr-1"
    assert fb_post(stack, fb_payload("quick_reply", psid)) == 200
    texts = stack.platforms.wait_for("facebook", psid, 1)
    assert any("Bürgerbüro Mitte" in t for t in texts), texts
    psid2 = "fb-postback-1"
    assert fb_post(stack, fb_payload("postback", psid2)) == 200
    assert stack.platforms.wait_for("facebook", psid2, 1)


def test_facebook_image_gets_text_only_notice(stack):
    psid = "fb-image-1"
    assert fb_post(stack, fb_payload("image_attachment", psid)) == 200
    texts = stack.platforms.wait_for("facebook", psid, 1)
    assert any("Textnachrichten" in t for t in texts), texts


def test_facebook_echo_is_ignored(stack):
    before = len(stack.platforms.calls)
    body = fb_payload("echo_ignored", "fb-echo-1")
    assert fb_post(stack, body) == 200
    assert stack.platforms.texts("facebook", "page-1") == []
    assert (
        len(
            [
                c
                for c in stack.platforms.calls[before:]
                if "me/messages" in c.path and "message" in c.body
            ]
        )
        == 0
    )


# --- Telegram ---------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
def test_telegram_forged_webhooks_get_403(stack, secret):
    assert tg_post(stack, tg_update("text_message", 900001), secret) == 403
    assert stack.platforms.texts("telegram", "900001") == []


def test_telegram_registers_webhook_with_secret(stack):
    calls = [c for c in stack.platforms.calls if c.path.endswith("/setWebhook")]
    assert calls, "setWebhook was not called at start-up"
    assert calls[0].body.get("secret_token") == TELEGRAM_SECRET


def test_telegram_text_is_answered(stack):
    assert tg_post(stack, tg_update("text_message", 900002)) == 200
    texts = stack.platforms.wait_for("telegram", "900002", 1)
    assert any("Bürgerbüro Mitte" in t for t in texts), texts


def test_telegram_official_sample_is_answered(stack):
    update = copy.deepcopy(TG_OFFICIAL)
    chat_id = update["message"]["chat"]["id"]
    assert tg_post(stack, update) == 200
    assert stack.platforms.wait_for("telegram", str(chat_id), 1)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("edited_message", "Standesamt"),
        ("callback_query", "Bürgerbüro Mitte"),
        ("location", "Textnachrichten"),
        ("sticker_ignored", "Textnachrichten"),
    ],
)
def test_telegram_payload_shapes(stack, shape, expected):
    chat_id = 900100 + list(TG).index(shape)
    assert tg_post(stack, tg_update(shape, chat_id)) == 200
    texts = stack.platforms.wait_for("telegram", str(chat_id), 1)
    assert any(expected in t for t in texts), texts


def test_telegram_thumb_rates_the_last_answer(stack):
    import sqlalchemy as sa

    from bot.store import feedback, make_engine

    chat_id = 900777  # a chat no other test uses
    assert tg_post(stack, tg_update("text_message", chat_id)) == 200  # the turn is done
    answered = len(stack.platforms.wait_for("telegram", str(chat_id), 1))
    update = tg_update("text_message", chat_id)
    update["message"]["text"] = "👎🏼"
    update["update_id"] += 1
    update["message"]["message_id"] += 1
    assert tg_post(stack, update) == 200
    texts = stack.platforms.wait_for("telegram", str(chat_id), answered + 1)
    assert len(texts) > answered, texts
    assert "Danke für Ihre Rückmeldung" in texts[answered], texts
    engine = make_engine(f"sqlite:///{stack.state_dir / 'handoff.db'}")
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(feedback).where(feedback.c.sender_id == str(chat_id))))
    assert [(r.channel, r.rating, r.topic) for r in rows] == [("telegram", -1, "opening_hours")]


def test_telegram_personal_data_switches_channel_and_says_why(stack):
    update = tg_update("text_message", 900200)
    update["message"]["text"] = "Meine Steuer-ID ist 86095742719, bitte ändern Sie meine Adresse"
    assert tg_post(stack, update) == 200
    texts = " ".join(stack.platforms.wait_for("telegram", "900200", 2))
    assert "Aus Datenschutzgründen" in texts and "Telegram" in texts
    assert "86095742719" not in texts
    status, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id=900200",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and len(tickets) == 1
    assert tickets[0]["reason"] == "personal_data" and tickets[0]["channel"] == "telegram"
    assert tickets[0]["reference"] in texts


# --- website socket.io ------------------------------------------------------------------


def _socket_turns(
    url: str, messages: list[str], session_id: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Turns over socket.io as the widget speaks it (python-socketio's client).

    Like any non-browser client it sends no ``Origin`` (websocket-client would send the
    Rasa server's own address, which is not the city's website, ``SITE_ORIGINS``).
    """
    client = socketio.Client(websocket_extra_options={"suppress_origin": True})
    received: list[dict[str, Any]] = []
    confirmed = threading.Event()
    sid_box: dict[str, str] = {}

    @client.on("session_confirm")
    def on_confirm(data: Any) -> None:
        sid_box["sid"] = data if isinstance(data, str) else data["session_id"]
        confirmed.set()

    @client.on("bot_uttered")
    def on_bot(data: dict[str, Any]) -> None:
        received.append(data)

    client.connect(url, socketio_path="/socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10), "no session_confirm"
        sid = sid_box["sid"]
        for text in messages:
            count = len(received)
            client.emit(
                "user_uttered",
                {"message": text, "session_id": sid, "customData": {"language": "de"}},
            )
            for _ in range(300):
                if len(received) > count:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
    finally:
        client.disconnect()
    return sid, received


def test_socketio_protocol_with_python_client(stack):
    sid, received = _socket_turns(stack.rasa, ["Hallo"])
    assert sid
    assert "Guten Tag" in received[0]["text"]
    assert [b["title"] for b in received[-1].get("quick_replies", received[-1].get("buttons", []))]


def test_socketio_session_persists(stack):
    sid, _ = _socket_turns(stack.rasa, ["Wann hat das Standesamt geöffnet?"])
    sid2, received = _socket_turns(stack.rasa, ["und am Samstag?"], session_id=sid)
    assert sid2 == sid
    assert any("Standesamt" in r.get("text", "") for r in received), received


def test_facebook_more_than_three_buttons_become_numbered_choices(stack):
    psid = "fb-choices-1"
    assert fb_post(stack, fb_text(psid, "Wann hat es heute auf?")) == 200
    texts = stack.platforms.wait_for("facebook", psid, 1)
    assert any("Bitte antworten Sie mit der Zahl" in t and "2. Standesamt" in t for t in texts), (
        texts
    )
    assert fb_post(stack, fb_text(psid, "2")) == 200  # the answer by number
    texts = stack.platforms.wait_for("facebook", psid, 2)
    assert any("Standesamt" in t and "08:30" in t for t in texts[1:]), texts


def test_messenger_case_continues_on_the_website_by_reference(stack):
    update = tg_update("text_message", 900400)
    update["message"]["text"] = (
        "Ich bekomme Bürgergeld und mein Bescheid ist falsch, Aktenzeichen 4711-0815"
    )
    assert tg_post(stack, update) == 200
    texts = " ".join(stack.platforms.wait_for("telegram", "900400", 2))
    reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", texts)
    token = re.search(r"fortsetzen=([A-Za-z0-9_-]{32,})", texts)
    assert reference and token, texts
    assert reference.group(0) not in token.group(0)  # the link holds only the token
    sid, received = _socket_turns(
        stack.rasa, ['/resume_case{"resume_token":"' + token.group(1) + '"}']
    )
    assert any("Willkommen zurück" in r.get("text", "") for r in received), received
    _, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sid}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert [t["reference"] for t in tickets] == [reference.group(0)]
    assert tickets[0]["channel"] == "socketio"


def _fresh(update):
    """A distinct update and message id per update (a replay de-duplication must not hit)."""
    chat = update["message"]["chat"]["id"]
    update["update_id"] = chat
    update["message"]["message_id"] = chat
    return update


def _owner_of(stack, sender_id):
    _, found = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender_id}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    return [t["reference"] for t in found]


def test_a_stranger_cannot_take_over_a_case_by_its_reference(stack):
    update = _fresh(tg_update("text_message", 900401))
    update["message"]["text"] = (
        "Ich bekomme Bürgergeld und mein Bescheid ist falsch, Aktenzeichen 4711-0816"
    )
    assert tg_post(stack, update) == 200
    texts = " ".join(stack.platforms.wait_for("telegram", "900401", 2))
    reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", texts)
    assert reference, texts
    # another website session with the reference only
    sid, received = _socket_turns(
        stack.rasa, ['/resume_case{"reference":"' + reference.group(0) + '"}']
    )
    assert not any("Willkommen zurück" in r.get("text", "") for r in received), received
    assert _owner_of(stack, sid) == []
    assert _owner_of(stack, "900401") == [reference.group(0)]


def test_a_resume_link_works_once_and_only_on_the_website(stack):
    update = _fresh(tg_update("text_message", 900402))
    update["message"]["text"] = (
        "Ich bekomme Bürgergeld und mein Bescheid ist falsch, Aktenzeichen 4711-0817"
    )
    assert tg_post(stack, update) == 200
    texts = " ".join(stack.platforms.wait_for("telegram", "900402", 2))
    token = re.search(r"fortsetzen=([A-Za-z0-9_-]{32,})", texts)
    assert token, texts
    payload = '/resume_case{"resume_token":"' + token.group(1) + '"}'
    # typed into Telegram (or REST): refused, the case stays where it is
    other = _fresh(tg_update("text_message", 900403))
    other["message"]["text"] = payload
    assert tg_post(stack, other) == 200
    assert any("nur über den Link" in t for t in stack.platforms.wait_for("telegram", "900403", 1))
    assert _owner_of(stack, "900403") == []
    sid, received = _socket_turns(stack.rasa, [payload])
    assert any("Willkommen zurück" in r.get("text", "") for r in received), received
    # a second website session with the same link gets nothing
    sid2, received = _socket_turns(stack.rasa, [payload])
    assert not any("Willkommen zurück" in r.get("text", "") for r in received), received
    assert _owner_of(stack, sid2) == [] and len(_owner_of(stack, sid)) == 1


def test_the_socket_refuses_a_foreign_origin(stack):
    client = socketio.Client(
        reconnection=False, websocket_extra_options={"origin": "https://evil.example"}
    )
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(stack.rasa, socketio_path="/socket.io", transports=["websocket"])
    site = socketio.Client(reconnection=False, websocket_extra_options={"origin": stack.web})
    site.connect(stack.rasa, socketio_path="/socket.io", transports=["websocket"])
    site.disconnect()


# --- redelivered webhooks -------------------------------------------------------------


def test_telegram_redelivered_update_is_answered_once(stack):
    update = tg_update("text_message", 900500)
    assert tg_post(stack, update) == 200
    first = stack.platforms.wait_for("telegram", "900500", 1)
    time.sleep(1)
    answered = len(stack.platforms.texts("telegram", "900500"))
    assert first and tg_post(stack, update) == 200  # Telegram retries the same update
    time.sleep(3)
    assert len(stack.platforms.texts("telegram", "900500")) == answered


def test_facebook_redelivered_message_is_answered_once(stack):
    body = fb_text("fb-redelivered-1", "Ist die Müllerstraße gesperrt?")
    assert fb_post(stack, body) == 200
    assert stack.platforms.wait_for("facebook", "fb-redelivered-1", 1)
    time.sleep(1)
    answered = len(stack.platforms.texts("facebook", "fb-redelivered-1"))
    assert fb_post(stack, body) == 200
    time.sleep(3)
    assert len(stack.platforms.texts("facebook", "fb-redelivered-1")) == answered
