"""WhatsApp, Instagram and Threema against the real stack, with payloads shaped like the
platforms' documented webhooks (tests/data/connectors/). Only the platforms' servers are
replaced, by the local recorder (tests/recorder.py); Threema's encryption is real NaCl
with keys generated for this test session.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nacl.public import Box, PrivateKey

from bot.channels.threema import callback_mac, unpad
from bot.web.rasa_client import RasaClient
from tests.e2e.conftest import (
    FIXED_NOW,
    IG_SECRET,
    IG_VERIFY,
    THREEMA_GATEWAY_ID,
    THREEMA_SECRET,
    WA_PHONE_ID,
    WA_SECRET,
    WA_TEMPLATE,
    WA_VERIFY,
)

pytestmark = pytest.mark.stack
DATA = Path(__file__).resolve().parents[1] / "data" / "connectors"
WA = json.loads((DATA / "whatsapp_cloud_api_webhook_shapes.json").read_text())
IG = json.loads((DATA / "instagram_messaging_webhook_shapes.json").read_text())
NOW = datetime.fromisoformat(FIXED_NOW)
REFERENCE = re.compile(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}")


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def meta_post(stack, channel: str, payload: dict[str, Any], secret: str) -> int:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
    return post(f"{stack.rasa}/webhooks/{channel}/webhook", body, headers)


_ids = iter(range(10_000))


def wa_message(shape: str, wa_id: str, at: datetime = NOW, text: str | None = None) -> dict:
    """A documented Cloud API webhook from ``wa_id`` sent at ``at`` (its own wamid)."""
    raw = json.dumps(WA[shape]).replace("<WA_ID>", wa_id).replace("<PHONE_NUMBER_ID>", WA_PHONE_ID)
    payload = json.loads(raw.replace("<TIMESTAMP>", str(int(at.timestamp()))))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] += f".{next(_ids)}"
    if text is not None:
        message["text"]["body"] = text
    return payload


def wa_calls(stack, wa_id: str) -> list[dict[str, Any]]:
    return [
        c.body
        for c in stack.platforms.calls
        if c.path == f"/{WA_PHONE_ID}/messages" and c.body.get("to") == wa_id
    ]


def wait_calls(stack, wa_id: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(wa_calls(stack, wa_id)) < count:
        time.sleep(0.1)
    return wa_calls(stack, wa_id)


def staff_reply(stack, sender_id: str, text: str) -> None:
    """What the inbox's reply button does (bot.web.staff → RasaClient)."""

    async def send() -> None:
        async with aiohttp.ClientSession() as session:
            client = RasaClient(session, stack.rasa, stack.bot_api_token)
            await client.send_staff_message(sender_id, text, "anna")

    asyncio.run(send())


# --- WhatsApp ---------------------------------------------------------------------------


def test_whatsapp_verification_and_forged_webhooks(stack):
    query = urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": WA_VERIFY}
    )
    status, body = stack.request("GET", f"{stack.rasa}/webhooks/whatsapp/webhook?{query}")
    assert (status, str(body)) == (200, "1158201444")
    payload = wa_message("text_message", "4917100001001")
    assert meta_post(stack, "whatsapp", payload, "not-the-secret") == 403
    unsigned = post(
        f"{stack.rasa}/webhooks/whatsapp/webhook",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
    )
    assert unsigned == 403
    time.sleep(1)
    assert wa_calls(stack, "4917100001001") == []


def test_whatsapp_routine_question_answered(stack):
    wa_id = "4917100001002"
    assert meta_post(stack, "whatsapp", wa_message("text_message", wa_id), WA_SECRET) == 200
    texts = stack.platforms.wait_for("whatsapp", wa_id, 1)
    assert any("Standesamt" in t and "Uhr" in t for t in texts), texts


def test_whatsapp_choices_as_list_and_the_citizens_pick(stack):
    wa_id = "4917100001003"
    payload = wa_message("text_message", wa_id, text="Wann hat es heute auf?")
    assert meta_post(stack, "whatsapp", payload, WA_SECRET) == 200
    calls = wait_calls(stack, wa_id, 1)
    interactive = next(c["interactive"] for c in calls if c.get("type") == "interactive")
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    standesamt = next(r for r in rows if r["title"] == "Standesamt")
    pick = wa_message("list_reply", wa_id)
    reply = pick["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["list_reply"]
    reply.update(id=standesamt["id"], title=standesamt["title"])
    assert meta_post(stack, "whatsapp", pick, WA_SECRET) == 200
    texts = stack.platforms.wait_for("whatsapp", wa_id, len(calls) + 1)
    assert any("Standesamt" in t and "08:30" in t for t in texts[len(calls) :]), texts


@pytest.mark.parametrize("shape", ["status_delivered", "status_read"])
def test_whatsapp_status_callbacks_ignored(stack, shape):
    raw = (
        json.dumps(WA[shape])
        .replace("<WA_ID>", "4917100001004")
        .replace("<PHONE_NUMBER_ID>", WA_PHONE_ID)
    )
    assert (
        meta_post(
            stack, "whatsapp", json.loads(raw.replace("<TIMESTAMP>", "1764000000")), WA_SECRET
        )
        == 200
    )
    time.sleep(1)
    assert wa_calls(stack, "4917100001004") == []


def test_whatsapp_redelivered_message_answered_once(stack):
    wa_id = "4917100001005"
    payload = wa_message("text_message", wa_id)
    assert meta_post(stack, "whatsapp", payload, WA_SECRET) == 200
    assert stack.platforms.wait_for("whatsapp", wa_id, 1)
    time.sleep(1)
    answered = len(wa_calls(stack, wa_id))
    assert meta_post(stack, "whatsapp", payload, WA_SECRET) == 200
    time.sleep(3)
    assert len(wa_calls(stack, wa_id)) == answered


def test_whatsapp_personal_data_switches_with_its_words_link_and_threema(stack):
    wa_id = "4917100001006"
    payload = wa_message(
        "text_message",
        wa_id,
        text="Meine Steuer-ID ist 86095742719, bitte ändern Sie meine Adresse",
    )
    assert meta_post(stack, "whatsapp", payload, WA_SECRET) == 200
    texts = " ".join(stack.platforms.wait_for("whatsapp", wa_id, 2))
    assert "Aus Datenschutzgründen" in texts and "nicht über WhatsApp" in texts
    assert "WhatsApp ist ein Dienst eines US-Unternehmens (Meta)" in texts
    reference = REFERENCE.search(texts)
    assert reference and re.search(r"fortsetzen=[A-Za-z0-9_-]{32,}", texts)
    assert f"vorgang={reference.group(0)}" not in texts
    assert THREEMA_GATEWAY_ID in texts and "Threema" in texts
    assert "86095742719" not in texts
    status, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={wa_id}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and [(t["channel"], t["reason"]) for t in tickets] == [
        ("whatsapp", "personal_data")
    ]


def test_whatsapp_staff_reply_inside_and_outside_the_24_hour_window(stack):
    inside, outside = "4917100001007", "4917100001008"
    recent = wa_message("text_message", inside, at=NOW - timedelta(hours=23, minutes=50))
    old = wa_message("text_message", outside, at=NOW - timedelta(hours=24, minutes=10))
    assert meta_post(stack, "whatsapp", recent, WA_SECRET) == 200
    assert meta_post(stack, "whatsapp", old, WA_SECRET) == 200
    n_inside = len(wait_calls(stack, inside, 1))
    n_outside = len(wait_calls(stack, outside, 1))
    staff_reply(stack, inside, "Ihr Antrag ist eingegangen.")
    staff_reply(stack, outside, "Ihr Bescheid liegt zur Abholung bereit.")
    got_inside = wait_calls(stack, inside, n_inside + 1)[n_inside:]
    got_outside = wait_calls(stack, outside, n_outside + 1)[n_outside:]
    assert [c["type"] for c in got_inside] == ["text"]
    assert got_inside[0]["text"]["body"].endswith("Ihr Antrag ist eingegangen.")
    assert [c["type"] for c in got_outside] == ["template"]
    assert got_outside[0]["template"] == {"name": WA_TEMPLATE, "language": {"code": "de"}}
    # The citizen taps the template's button: the waiting staff text is delivered.
    answer = wa_message("template_quick_reply", outside)
    assert meta_post(stack, "whatsapp", answer, WA_SECRET) == 200
    later = wait_calls(stack, outside, n_outside + 2)[n_outside + 1 :]
    assert later and later[0]["type"] == "text"
    assert later[0]["text"]["body"].endswith("Ihr Bescheid liegt zur Abholung bereit.")


# --- Instagram --------------------------------------------------------------------------


def ig_message(shape: str, igsid: str, text: str | None = None) -> dict[str, Any]:
    payload = json.loads(
        json.dumps(IG[shape]).replace("<IGSID>", igsid).replace("<IG_ID>", "17841400000")
    )
    message = payload["entry"][0]["messaging"][0]["message"]
    message["mid"] += f".{next(_ids)}"
    if text is not None:
        message["text"] = text
    return payload


def test_instagram_handshake_and_forged_webhook(stack):
    query = urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.challenge": "77", "hub.verify_token": IG_VERIFY}
    )
    status, body = stack.request("GET", f"{stack.rasa}/webhooks/instagram/webhook?{query}")
    assert (status, str(body)) == (200, "77")
    assert meta_post(stack, "instagram", ig_message("text_message", "ig-e2e-0"), "wrong") == 403


def test_instagram_question_answered_with_quick_replies(stack):
    igsid = "ig-e2e-1"
    assert (
        meta_post(stack, "instagram", ig_message("text_message", igsid, "Hallo"), IG_SECRET) == 200
    )
    stack.platforms.wait_for("instagram", igsid, 1)
    time.sleep(1)
    sent = [
        c.body["message"]
        for c in stack.platforms.calls
        if c.path.endswith("/me/messages")
        and (c.body.get("recipient") or {}).get("id") == igsid
        and "message" in c.body
    ]
    assert any("Guten Tag" in (m.get("text") or "") for m in sent), sent
    assert not any("attachment" in m for m in sent)  # no button template on Instagram
    assert any(m.get("quick_replies") for m in sent), sent


def test_instagram_personal_data_switches_with_instagram_words(stack):
    igsid = "ig-e2e-2"
    payload = ig_message(
        "text_message", igsid, "Meine IBAN ist DE89 3704 0044 0532 0130 00, bitte überweisen"
    )
    assert meta_post(stack, "instagram", payload, IG_SECRET) == 200
    texts = " ".join(stack.platforms.wait_for("instagram", igsid, 2))
    assert "Instagram ist ein Dienst eines US-Unternehmens" in texts
    assert REFERENCE.search(texts) and "0532 0130" not in texts


# --- Threema ----------------------------------------------------------------------------


class Citizen:
    """A Threema user with a key pair of its own, registered at the fake gateway."""

    def __init__(self, stack, threema_id: str) -> None:
        self.stack, self.id, self.key = stack, threema_id, PrivateKey.generate()
        stack.platforms.threema_pubkeys[threema_id] = bytes(self.key.public_key).hex()
        self.box = Box(self.key, stack.threema_key.public_key)

    def send(self, text: str) -> int:
        nonce = bytes(24 - len(self.id)) + self.id.encode()
        nonce = hashlib.sha256(nonce + text.encode()).digest()[:24]
        plain = b"\x01" + text.encode() + bytes([3]) * 3
        form = {
            "from": self.id,
            "to": THREEMA_GATEWAY_ID,
            "messageId": hashlib.sha256(nonce).hexdigest()[:16],
            "date": str(int(time.time())),
            "nonce": nonce.hex(),
            "box": self.box.encrypt(plain, nonce).ciphertext.hex(),
        }
        form["mac"] = callback_mac(THREEMA_SECRET, form)
        body = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return post(f"{self.stack.rasa}/webhooks/threema/webhook", body, headers)

    def received(self, count: int, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            out = []
            for c in list(self.stack.platforms.calls):
                if c.path == "/send_e2e" and c.body.get("to") == self.id:
                    plain = unpad(
                        self.box.decrypt(
                            bytes.fromhex(c.body["box"]), bytes.fromhex(c.body["nonce"])
                        )
                    )
                    out.append(plain[1:].decode())
            if len(out) >= count or time.monotonic() > deadline:
                return out
            time.sleep(0.1)


def test_threema_round_trip_with_real_encryption(stack):
    citizen = Citizen(stack, "ECHOECH1")
    assert citizen.send("Wann hat das Standesamt geöffnet?") == 200
    texts = citizen.received(1)
    assert any("Standesamt" in t and "Uhr" in t for t in texts), texts
    assert citizen.send("Und das Bürgerbüro Mitte?") == 200
    assert len(citizen.received(len(texts) + 1)) > len(texts)
    lookups = [c for c in stack.platforms.calls if c.path == f"/pubkeys/{citizen.id}"]
    assert len(lookups) == 1  # looked up once, then cached
    sent = [
        c.body
        for c in stack.platforms.calls
        if c.path == "/send_e2e" and c.body.get("to") == citizen.id
    ]
    assert all("Standesamt" not in json.dumps(b) for b in sent)  # only ciphertext leaves


def test_threema_forged_callback_is_403(stack):
    citizen = Citizen(stack, "ECHOECH2")
    form = {
        "from": citizen.id,
        "to": THREEMA_GATEWAY_ID,
        "messageId": "0" * 16,
        "date": "1",
        "nonce": "00" * 24,
        "box": "00",
        "mac": "0" * 64,
    }
    body = urllib.parse.urlencode(form).encode()
    assert (
        post(
            f"{stack.rasa}/webhooks/threema/webhook",
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        == 403
    )


def test_threema_personal_data_stays_in_the_channel(stack):
    """The city allows Threema for personal data: no switch, consent as on the website."""
    citizen = Citizen(stack, "ECHOECH3")
    assert citizen.send("Meine Steuer-ID ist 86095742719, bitte ändern Sie meine Adresse") == 200
    texts = " ".join(citizen.received(2))
    assert "Aus Datenschutzgründen" not in texts
    assert "weitergeben" in texts or "Mitarbeit" in texts, texts
