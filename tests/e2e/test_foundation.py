"""The operating contract and the base conversation, on the real stack (REST webhook)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.stack


def test_health_reports_each_component_and_was_503_before_ready(stack):
    status, body = stack.request("GET", f"{stack.web}/health")
    assert status == 200
    assert body["status"] == "ok"
    assert set(body["components"]) >= {"rasa", "actions", "store"}
    assert all(c["ok"] for c in body["components"].values())
    assert body["components"]["rasa"]["detail"] == "model loaded"
    # the web app answered before Rasa had loaded its model: 503 then, 200 only at the end
    assert 503 in stack.health_codes
    assert stack.health_codes[-1] == 200


def test_hallo_gets_a_german_greeting_with_the_three_topics(stack):
    replies = stack.chat("foundation-hallo", "Hallo")
    assert "Guten Tag" in replies[0]["text"]
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert titles == ["Öffnungszeiten", "Wer ist zuständig?", "Straßensperrungen"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_rasa_api_refused_without_valid_token(stack, token):
    url = f"{stack.rasa}/model/parse" + (f"?token={token}" if token else "")
    status, _ = stack.request("POST", url, {"text": "Hallo"})
    assert status == 401


def test_rasa_api_works_with_token(stack):
    assert stack.parse("Hallo")["intent"]["name"] == "greet"


def test_handoff_api_needs_bearer_token(stack):
    status, _ = stack.request("GET", f"{stack.web}/api/handoffs")
    assert status == 401
    status, body = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id=nobody",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert (status, body) == (200, [])


def test_bot_challenge_discloses_automation(stack):
    text = stack.say("foundation-bot", "Bist du ein Mensch oder ein Bot?")
    assert "automatisierter Assistent" in text


def test_capabilities_offer_the_three_topics(stack):
    replies = stack.chat("foundation-cap", "Was kannst du alles?")
    assert "wann ein Amt geöffnet hat" in replies[0]["text"]
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert titles == ["Öffnungszeiten", "Wer ist zuständig?", "Straßensperrungen"]


def test_out_of_scope_is_polite_and_says_what_it_can_do(stack):
    text = stack.say("foundation-oos", "Wer wird deutscher Fußballmeister?")
    assert "nicht helfen" in text and "Öffnungszeiten" in text


def test_insult_gets_calm_reminder_and_conversation_continues(stack):
    sender = "foundation-insult"
    assert "Netiquette" in stack.say(sender, "du bist so ein dummer bot")
    assert "Guten Tag" in stack.say(sender, "hallo")


def test_second_miss_in_a_row_offers_staff(stack):
    sender = "foundation-fallback"
    first = stack.say(sender, "blorp quux zzkk")
    assert "nicht verstanden" in first
    second = stack.chat(sender, "xyzzy plugh frobnicate")
    assert "Mitarbeiter" in second[0]["text"]
    assert [b["payload"] for b in second[0]["buttons"]] == ["/request_human", "/deny"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "leer"),
        ("   \n\t ", "leer"),
        ("a" * 100_000, "sehr lang"),
        ("\x00\x01\x02binary\x03\x04", "Textnachrichten"),
    ],
)
def test_bad_input_gets_a_clear_answer(stack, message, expected):
    assert expected in stack.say("foundation-bad", message)


@pytest.mark.parametrize(
    "message",
    ["<script>alert(1)</script>", "😀😀😀", "What are your opening hours?", "ääääääää", "{}[]"],
)
def test_odd_input_never_crashes(stack, message):
    replies = stack.chat("foundation-odd", message)
    assert replies and all("text" in r for r in replies)
    assert "<script>" not in json.dumps(replies)


def test_structured_logs_under_state_dir(stack):
    logs = stack.state_dir / "logs"
    lines = (logs / "web.jsonl").read_text().splitlines()
    assert lines, "web app wrote no structured log"
    entry = json.loads(lines[0])
    assert {"ts", "level", "logger", "msg"} <= set(entry)
    assert (logs / "rasa-server.log").exists()


def test_maintenance_mode_without_restart(stack):
    flag = stack.state_dir / "maintenance"
    flag.write_text("on")
    try:
        assert "Wartungsarbeiten" in stack.say("foundation-maint", "Wann hat das Standesamt auf?")
    finally:
        flag.unlink()
    assert "Standesamt" in stack.say("foundation-maint", "Wann hat das Standesamt auf?")


def test_rate_limit_per_sender(stack):
    texts = [stack.say("foundation-flood", "Hallo") for _ in range(22)]
    assert "Guten Tag" in texts[0]
    assert "sehr viele Nachrichten" in texts[-1]
    assert "Guten Tag" in stack.say("foundation-other", "Hallo")
