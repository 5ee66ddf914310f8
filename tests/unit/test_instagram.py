"""Instagram direct messages on a real Sanic server; the Graph API is the local recorder.
Payloads: instagram_messaging_webhook_shapes.json in tests/data/connectors/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.instagram import InstagramInput, quick_replies
from tests.builders import connector_shapes
from tests.unit.test_rate_limit import new_app, serve
from tests.unit.test_whatsapp import env, graph, signed  # noqa: F401  (fixtures)

SHAPES = connector_shapes("instagram_messaging_webhook_shapes.json")
SECRET = "ig-app-secret"


def shape(name: str, igsid: str) -> dict[str, Any]:
    raw = json.dumps(SHAPES[name]).replace("<IGSID>", igsid).replace("<IG_ID>", "17841400000")
    return json.loads(raw)


def channel(graph) -> InstagramInput:  # noqa: F811
    ch = InstagramInput.from_credentials(
        {
            "verify": "ig-verify",
            "secret": SECRET,
            "access-token": "ig-token",
            "graph_url": graph.url,
        }
    )
    assert isinstance(ch, InstagramInput)
    return ch


def answering(received: list[str]):
    async def on_new_message(message):
        received.append(message.text)
        out = message.output_channel
        n = 14 if message.sender_id.endswith("14") else 3
        buttons = [{"title": f"Amt {i}", "payload": f'/choose{{"i":{i}}}'} for i in range(n)]
        await out.send_text_with_buttons(message.sender_id, "Welches Amt? " + message.text, buttons)

    return on_new_message


async def post(url: str, http, payload: dict[str, Any], secret: str = SECRET) -> int:
    body, headers = signed(payload, secret)
    async with http.post(f"{url}/webhooks/instagram/webhook", data=body, headers=headers) as r:
        return r.status


async def test_handshake_and_signature(env, graph):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(channel(graph).blueprint(answering(received)), url_prefix="/webhooks/instagram")
    async with serve(app) as (url, http):
        hook = f"{url}/webhooks/instagram/webhook"
        params = {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": "ig-verify"}
        ok = await http.get(hook, params=params)
        assert (ok.status, await ok.text()) == (200, "42")
        bad = await http.get(hook, params={**params, "hub.verify_token": "x"})
        assert bad.status == 403
        assert await post(url, http, shape("text_message", "ig-1"), "wrong-secret") == 403
        async with http.post(hook, json=shape("text_message", "ig-1")) as r:  # unsigned
            assert r.status == 403
    assert received == [] and graph.calls == []


async def test_text_answered_with_quick_replies_not_buttons(env, graph):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(channel(graph).blueprint(answering(received)), url_prefix="/webhooks/instagram")
    async with serve(app) as (url, http):
        assert await post(url, http, shape("text_message", "ig-2")) == 200
    assert received == ["Wann hat das Standesamt geöffnet?"]
    sent = [c.body for c in graph.calls if c.path.endswith("/me/messages") and "message" in c.body]
    assert len(sent) == 1 and sent[0]["recipient"] == {"id": "ig-2"}
    message = sent[0]["message"]
    assert "attachment" not in message  # no button template on Instagram
    assert [q["title"] for q in message["quick_replies"]] == ["Amt 0", "Amt 1", "Amt 2"]
    assert message["quick_replies"][1]["payload"] == '/choose{"i":1}'


async def test_more_than_13_choices_are_numbered_and_answered_by_number(env, graph):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(channel(graph).blueprint(answering(received)), url_prefix="/webhooks/instagram")
    async with serve(app) as (url, http):
        assert await post(url, http, shape("text_message", "ig-14")) == 200
        reply = shape("text_message", "ig-14")
        msg = reply["entry"][0]["messaging"][0]["message"]
        msg["text"], msg["mid"] = "3", msg["mid"] + "x"
        assert await post(url, http, reply) == 200
    texts = [c.body["message"]["text"] for c in graph.calls if "message" in c.body]
    assert "Bitte antworten Sie mit der Zahl" in texts[0] and "14. Amt 13" in texts[0]
    assert received[1] == '/choose{"i":2}'


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("quick_reply", ['/ask_opening_hours{"office":"standesamt"}']),
        ("postback_icebreaker", ["/ask_opening_hours"]),
        ("image_attachment", ["/input_not_text"]),
        ("echo_ignored", []),
        ("read_ignored", []),
    ],
)
async def test_payload_shapes(env, graph, name, expected):  # noqa: F811
    received: list[str] = []
    app = new_app()
    app.blueprint(channel(graph).blueprint(answering(received)), url_prefix="/webhooks/instagram")
    async with serve(app) as (url, http):
        assert await post(url, http, shape(name, "ig-3")) == 200
    assert received == expected


async def test_a_page_webhook_is_not_instagram(env, graph):  # noqa: F811
    app = new_app()
    app.blueprint(channel(graph).blueprint(answering([])), url_prefix="/webhooks/instagram")
    page = shape("text_message", "ig-4")
    page["object"] = "page"
    async with serve(app) as (url, http):
        assert await post(url, http, page) == 400


async def test_long_text_split_at_1000(env, graph):  # noqa: F811
    bot = channel(graph).output_bot()
    text = ("Zeichen " * 300).strip()  # 2,399 characters
    await bot.send_text_message("ig-5", text)
    parts = [c.body["message"]["text"] for c in graph.calls]
    assert len(parts) == 3 and all(len(p) <= 1000 for p in parts)


def test_quick_replies_limits():
    assert quick_replies([{"title": "x" * 21, "payload": "p"}]) is None
    assert quick_replies([{"title": "ok", "payload": "p"}] * 14) is None
    assert quick_replies([{"title": "ok", "payload": "p"}]) == [
        {"content_type": "text", "title": "ok", "payload": "p"}
    ]
