"""A redelivered webhook is processed once, on every messenger (Telegram, Facebook here;
WhatsApp, Instagram and Threema in their own test modules)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

from bot.channels.dedup import SeenMessages
from bot.channels.facebook import SignedFacebookInput
from bot.channels.telegram import SignedTelegramInput
from bot.store import make_engine
from tests.unit.test_rate_limit import new_app, serve
from tests.unit.test_whatsapp import env, graph, signed  # noqa: F401  (fixtures)

DATA = Path(__file__).resolve().parents[1] / "data" / "connectors"
TG = json.loads((DATA / "telegram_update_shapes_de.json").read_text())
FB = json.loads((DATA / "facebook_messenger_webhook_shapes.json").read_text())


def recording(received: list[str]):
    async def on_new_message(message):
        received.append(message.text)

    return on_new_message


async def test_telegram_update_redelivered_is_processed_once(env, graph, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TELEGRAM_API_URL", graph.url)
    channel = SignedTelegramInput("123:token", "bot", None, secret_token="geheim")
    received: list[str] = []
    app = new_app()
    app.blueprint(channel.blueprint(recording(received)), url_prefix="/webhooks/telegram")
    update = copy.deepcopy(TG["text_message"])
    headers = {"X-Telegram-Bot-Api-Secret-Token": "geheim"}
    async with serve(app) as (url, http):
        hook = f"{url}/webhooks/telegram/webhook"
        for _ in range(3):
            async with http.post(hook, json=update, headers=headers) as r:
                assert r.status == 200
        update["update_id"] += 1  # the next update from the same chat is new
        async with http.post(hook, json=update, headers=headers) as r:
            assert r.status == 200
    assert received == [TG["text_message"]["message"]["text"]] * 2


async def test_facebook_message_redelivered_is_processed_once(env, graph):  # noqa: F811
    channel = SignedFacebookInput("verify", "app-secret", "page-token")
    channel.graph_url = graph.url
    received: list[str] = []
    app = new_app()
    app.blueprint(channel.blueprint(recording(received)), url_prefix="/webhooks/facebook")
    raw = json.dumps(FB["text_message"]).replace("<PSID>", "fb-dup").replace("<PAGE_ID>", "p")
    async with serve(app) as (url, http):
        for _ in range(2):
            body, headers = signed(json.loads(raw), "app-secret")
            async with http.post(
                f"{url}/webhooks/facebook/webhook", data=body, headers=headers
            ) as r:
                assert r.status == 200
    assert received == ["Ist die Müllerstraße gesperrt?"]


def test_seen_messages_shared_through_the_store_and_pruned(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    one, two = SeenMessages(lambda: engine, lambda: now), SeenMessages(lambda: engine, lambda: now)
    assert one.first_time("telegram", "42", "1001")
    assert not one.first_time("telegram", "42", "1001")  # same process
    assert not two.first_time("telegram", "42", "1001")  # another Rasa instance
    assert two.first_time("telegram", "43", "1001")  # another chat
    assert two.first_time("facebook", "42", "1001")  # another channel
    assert one.first_time("telegram", "42", None) and one.first_time("telegram", "42", None)
    with engine.connect() as conn:
        dump = " ".join(str(tuple(r)) for r in conn.exec_driver_sql("SELECT * FROM webhook_seen"))
    assert "1001" not in dump  # hashes only


def test_store_down_means_processed_not_lost():
    def broken():
        raise __import__("sqlalchemy").exc.OperationalError("x", {}, Exception("down"))

    seen = SeenMessages(broken)
    assert seen.first_time("whatsapp", "4917", "wamid.1")
