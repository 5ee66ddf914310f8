"""Threema Gateway (end-to-end mode) with real NaCl encryption: the gateway's and the
citizen's keys are generated here; the gateway's server is the local recorder.
Shapes: threema_gateway_e2e_shapes.json in tests/data/connectors/.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from nacl.public import Box, PrivateKey

from bot.channels.threema import (
    ThreemaInput,
    callback_mac,
    parse_private_key,
    text_parts,
    unpad,
)
from tests.unit.test_rate_limit import new_app, serve
from tests.unit.test_whatsapp import env, graph  # noqa: F401  (fixtures)

GATEWAY_ID = "*MSTADT1"
SECRET = "threema-api-secret"
CITIZEN = "ECHOECHO"


class Keys:
    def __init__(self) -> None:
        self.gateway = PrivateKey.generate()
        self.citizen = PrivateKey.generate()


@pytest.fixture
def keys(graph):  # noqa: F811
    k = Keys()
    graph.threema_pubkeys[CITIZEN] = bytes(k.citizen.public_key).hex()
    return k


def channel(graph, keys: Keys) -> ThreemaInput:  # noqa: F811
    ch = ThreemaInput.from_credentials(
        {
            "id": GATEWAY_ID,
            "secret": SECRET,
            "private_key": "private:" + bytes(keys.gateway).hex(),
            "api_url": graph.url,
        }
    )
    assert isinstance(ch, ThreemaInput)
    ch.keys = type(ch.keys)()  # a fresh key cache per test
    return ch


def callback(keys: Keys, text: str | None, message_id: str, kind: int = 0x01) -> dict[str, str]:
    """What the gateway POSTs: the citizen's message encrypted to the gateway's key."""
    content = text.encode() if text is not None else b"\x00" * 8
    plain = bytes([kind]) + content + bytes([7]) * 7
    nonce = bytes(range(24))
    box = Box(keys.citizen, keys.gateway.public_key).encrypt(plain, nonce).ciphertext
    form = {
        "from": CITIZEN,
        "to": GATEWAY_ID,
        "messageId": message_id,
        "date": str(int(time.time())),
        "nonce": nonce.hex(),
        "box": box.hex(),
        "nickname": "Erika",
    }
    form["mac"] = callback_mac(SECRET, form)
    return form


def sent_texts(graph, keys: Keys) -> list[str]:  # noqa: F811
    """What the citizen's phone decrypts from the messages sent to the gateway."""
    out = []
    for c in graph.calls:
        if c.path != "/send_e2e":
            continue
        assert c.body["from"] == GATEWAY_ID and c.body["secret"] == SECRET
        box = Box(keys.citizen, keys.gateway.public_key)
        plain = unpad(box.decrypt(bytes.fromhex(c.body["box"]), bytes.fromhex(c.body["nonce"])))
        assert plain[0] == 0x01
        out.append(plain[1:].decode())
    return out


def answering(received: list[str]):
    async def on_new_message(message):
        received.append(message.text)
        out = message.output_channel
        if message.text.startswith("Welche"):
            buttons = [
                {"title": "Standesamt", "payload": "/a"},
                {"title": "Steueramt", "payload": "/b"},
            ]
            await out.send_text_with_buttons(message.sender_id, "Welches Amt?", buttons)
        else:
            await out.send_text_message(message.sender_id, f"Sie schrieben: {message.text}")

    return on_new_message


async def post(url: str, http, form: dict[str, Any]) -> int:
    async with http.post(f"{url}/webhooks/threema/webhook", data=form) as resp:
        return resp.status


async def test_round_trip_with_real_encryption_and_one_key_lookup(env, graph, keys):  # noqa: F811
    received: list[str] = []
    ch = channel(graph, keys)
    app = new_app()
    app.blueprint(ch.blueprint(answering(received)), url_prefix="/webhooks/threema")
    async with serve(app) as (url, http):
        assert await post(url, http, callback(keys, "Wann hat das Bürgerbüro auf? 🙂", "a1")) == 200
        assert await post(url, http, callback(keys, "Welches Amt ist zuständig?", "a2")) == 200
        assert await post(url, http, callback(keys, "2", "a3")) == 200  # numbered choice
    assert received == ["Wann hat das Bürgerbüro auf? 🙂", "Welches Amt ist zuständig?", "/b"]
    texts = sent_texts(graph, keys)
    assert texts[0] == "Sie schrieben: Wann hat das Bürgerbüro auf? 🙂"
    assert "Bitte antworten Sie mit der Zahl" in texts[1] and "2. Steueramt" in texts[1]
    lookups = [c for c in graph.calls if c.path.startswith("/pubkeys/")]
    assert [c.path for c in lookups] == [f"/pubkeys/{CITIZEN}"]  # looked up once, cached
    # the plain text never travels: only the box
    assert all("Bürgerbüro" not in str(c.body) for c in graph.calls)


@pytest.mark.parametrize("tamper", ["mac", "box", "from", "to", "missing_mac"])
async def test_wrong_mac_is_403_and_nothing_processed(env, graph, keys, tamper):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, keys).blueprint(answering(received)), url_prefix="/webhooks/threema"
    )
    form = callback(keys, "Hallo", "b1")
    if tamper == "mac":
        form["mac"] = "0" * 64
    elif tamper == "missing_mac":
        del form["mac"]
    elif tamper == "to":  # addressed to another gateway ID, correctly signed
        form["to"] = "*ANDERE1"
        form["mac"] = callback_mac(SECRET, form)
    else:
        form[tamper] = form[tamper][:-2] + ("00" if form[tamper][-2:] != "00" else "11")
    async with serve(app) as (url, http):
        assert await post(url, http, form) == 403
    assert received == [] and graph.calls == []


async def test_redelivered_callback_processed_once(env, graph, keys):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, keys).blueprint(answering(received)), url_prefix="/webhooks/threema"
    )
    form = callback(keys, "Hallo", "c1")
    async with serve(app) as (url, http):
        assert [await post(url, http, form) for _ in range(2)] == [200, 200]
    assert received == ["Hallo"]


@pytest.mark.parametrize(
    ("kind", "expected"), [(0x80, []), (0x90, []), (0x02, ["/input_not_text"])]
)
async def test_receipts_ignored_media_get_the_notice(env, graph, keys, kind, expected):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, keys).blueprint(answering(received)), url_prefix="/webhooks/threema"
    )
    async with serve(app) as (url, http):
        assert await post(url, http, callback(keys, None, f"d{kind}", kind=kind)) == 200
    assert received == expected


async def test_box_from_someone_else_is_not_processed(env, graph, keys):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, keys).blueprint(answering(received)), url_prefix="/webhooks/threema"
    )
    other = Keys()
    other.gateway = keys.gateway  # encrypted by another key than the one the gateway lists
    async with serve(app) as (url, http):
        assert await post(url, http, callback(other, "Hallo", "e1")) == 200
    assert received == []


async def test_unknown_sender_key_asks_the_gateway_to_retry(env, graph, keys):  # noqa: F811
    del graph.threema_pubkeys[CITIZEN]
    received: list[str] = []
    app = new_app()
    app.blueprint(
        channel(graph, keys).blueprint(answering(received)), url_prefix="/webhooks/threema"
    )
    async with serve(app) as (url, http):
        assert await post(url, http, callback(keys, "Hallo", "f1")) == 503
    assert received == []


def test_text_parts_stay_within_3500_bytes():
    text = "Öffnungszeiten " * 500  # 7,500 characters, 8,000 bytes
    parts = text_parts(text)
    assert all(len(p.encode()) <= 3500 for p in parts) and len(parts) >= 3
    assert " ".join(parts) == text.strip()
    assert text_parts("🙂" * 1000) and all(len(p.encode()) <= 3500 for p in text_parts("🙂" * 1000))


@pytest.mark.parametrize("raw", ["", "abc", "private:" + "00" * 31, "zz" * 32])
def test_bad_private_key_names_the_variable(raw):
    with pytest.raises(ValueError, match="THREEMA_PRIVATE_KEY"):
        parse_private_key(raw)
