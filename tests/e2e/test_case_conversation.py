"""The conversation while a case is open, through Rasa's REST channel and the case store.

A citizen writes after the handoff: each message goes into the case (the inbox's
``ticket_messages``), the first is acknowledged with the reference, the next ones get a
receipt only (no text, so the website's typing indicator ends), a staff reply starts a new
round; a routine question is answered by the assistant when data/knowledge/handoff.yml
allows it, and only acknowledged when the city switched it off (a second stack with its
own knowledge directory); "Hat sich erledigt" closes the case "von Bürger/in" and the
conversation is back with the assistant.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack, launch
from tests.e2e.test_browser import BOT, ask

pytestmark = pytest.mark.stack


def open_case(stack: Stack) -> tuple[str, str]:
    sender = f"case-{uuid.uuid4().hex[:8]}"
    assert "weitergeben" in stack.say(sender, "Ich möchte mit einem Menschen sprechen")
    created = stack.say(sender, "ja")
    match = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", created)
    assert match, created
    return sender, match.group(0)


def texts(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies if r.get("text")]


def case_row(stack: Stack, reference: str) -> dict:
    with sqlite3.connect(stack.state_dir / "handoff.db") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM tickets WHERE reference = ?", (reference,)).fetchone()
        messages = db.execute(
            "SELECT kind, text FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (row["id"],)
        ).fetchall()
    return {**dict(row), "messages": [(m["kind"], m["text"]) for m in messages]}


def test_messages_during_a_case_land_in_it_and_are_acknowledged_once(stack):
    sender, ref = open_case(stack)
    first = stack.chat(sender, "Hallo, ist da jemand?")
    assert texts(first) == [
        f"Ihre Nachricht ist beim Bürgerbüro Mitte angekommen. Das ist Ihr Vorgang {ref}. "
        "Wir antworten Ihnen hier."
    ]
    second = stack.chat(sender, "Hallo??")
    assert texts(second) == []  # acknowledged once, not every time ...
    assert [r.get("custom") for r in second] == [  # ... but never silent
        {"case_noted": f"Angekommen beim Bürgerbüro Mitte · Vorgang {ref}"}
    ]
    citizen = [t for kind, t in case_row(stack, ref)["messages"] if kind == "citizen"]
    assert citizen == ["Hallo, ist da jemand?", "Hallo??"]

    # a staff reply (as the inbox sends it) starts a new round: acknowledged again
    status, _ = stack.request(
        "POST",
        f"{stack.rasa}/conversations/{sender}/tracker/events?token={stack.bot_api_token}"
        "&execute_side_effects=true&output_channel=latest",
        [{"event": "bot", "text": "Wir sehen uns das an.", "metadata": {"staff": True}}],
    )
    assert status == 200
    again = texts(stack.chat(sender, "Danke! Noch eine Ergänzung: es eilt."))
    assert len(again) == 1 and "angekommen" in again[0]


def test_routine_question_during_a_case_is_answered_as_the_assistant(stack):
    sender, ref = open_case(stack)
    stack.chat(sender, "Hallo?")  # this round's acknowledgement
    replies = texts(stack.chat(sender, "Wann hat das Steueramt geöffnet?"))
    assert replies[0] == "Das beantwortet Ihnen der Assistent, nicht das Team:"
    assert "Steueramt" in replies[1] and "Uhr" in replies[1]
    row = case_row(stack, ref)
    assert ("citizen", "Wann hat das Steueramt geöffnet?") in row["messages"]
    assert row["status"] != "erledigt"
    # still in the case afterwards
    assert texts(stack.chat(sender, "Ok")) == []


def test_hat_sich_erledigt_closes_the_case_and_gives_the_conversation_back(stack):
    sender, ref = open_case(stack)
    done = texts(stack.chat(sender, "Hat sich erledigt, danke"))
    assert done == [
        f"Gut, ich habe Ihren Vorgang {ref} beendet. Das Team beim Bürgerbüro Mitte sieht das. "
        "Kann ich sonst noch helfen?"
    ]
    row = case_row(stack, ref)
    assert (row["status"], row["close_reason"]) == ("erledigt", "buerger")
    assert ("citizen", "Hat sich erledigt, danke") in row["messages"]
    with sqlite3.connect(stack.state_dir / "handoff.db") as db:
        audit = db.execute(
            "SELECT actor, detail FROM audit_log WHERE action = 'close' AND target = ?", (ref,)
        ).fetchall()
    assert audit and audit[0][0] == "citizen" and "buerger" in audit[0][1]
    # back with the assistant: a routine question gets its plain answer
    after = texts(stack.chat(sender, "Wann hat das Steueramt geöffnet?"))
    assert after and "Steueramt" in after[0] and "Assistent, nicht das Team" not in after[0]
    assert len(case_row(stack, ref)["messages"]) == len(row["messages"])


def test_an_ambiguous_end_asks_first(stack):
    sender, ref = open_case(stack)
    asked = stack.chat(sender, "Das mit dem Bescheid ist eigentlich geklärt, glaube ich")
    assert texts(asked)[-1].startswith(f"Soll ich Ihren Vorgang {ref} beenden?")
    assert case_row(stack, ref)["status"] != "erledigt"
    assert texts(stack.chat(sender, "/deny")) == [f"Gut, Ihr Vorgang {ref} bleibt offen."]
    assert case_row(stack, ref)["status"] != "erledigt"


@pytest.fixture(scope="module")
def routine_off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A city that switched routine answers during a case off (its own knowledge dir)."""
    kb = tmp_path_factory.mktemp("kb-off") / "knowledge"
    shutil.copytree(Path(ROOT) / "data" / "knowledge", kb)
    handoff = kb / "handoff.yml"
    text = handoff.read_text(encoding="utf-8")
    assert "answer_routine_questions: true" in text
    handoff.write_text(
        text.replace("answer_routine_questions: true", "answer_routine_questions: false"),
        encoding="utf-8",
    )
    with launch(tmp_path_factory, KNOWLEDGE_DIR=str(kb)) as s:
        yield s


def test_routine_answers_off_by_the_setting_only_acknowledge(routine_off):
    sender, ref = open_case(routine_off)
    replies = texts(routine_off.chat(sender, "Wann hat das Steueramt geöffnet?"))
    assert replies == [
        f"Ihre Nachricht ist beim Bürgerbüro Mitte angekommen. Das ist Ihr Vorgang {ref}. "
        "Wir antworten Ihnen hier."
    ]
    assert ("citizen", "Wann hat das Steueramt geöffnet?") in case_row(routine_off, ref)["messages"]


@pytest.mark.browser
@pytest.mark.xfail(
    strict=False,
    reason="known race, not yet understood: in 2 of 4 full runs on 2026-12-01 the receipt for "
    "the second message of a round never came (30 s); see the session-6 closing note",
)
def test_website_a_further_message_gets_a_receipt_and_the_typing_indicator_ends(stack, browser):
    page = browser.new_context(locale="de-DE").new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    ask(page, "Ich möchte mit einem Menschen sprechen", "weitergeben")
    created = ask(page, "Ja", "Vorgangsnummer")
    match = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", created)
    assert match, created
    ask(page, "Hallo, ist da jemand?", "angekommen")
    answers = page.locator(BOT).count()

    page.fill("#chat-input", "Hallo??")
    page.keyboard.press("Enter")
    receipt = page.wait_for_selector("#chat-log li.msg.receipt", timeout=30_000)
    assert receipt is not None
    assert f"Vorgang {match.group(0)}" in receipt.inner_text()
    assert page.inner_text("#chat-status") == ""  # "Der Assistent schreibt …" ended at once
    assert page.locator(BOT).count() == answers  # acknowledged once, no second text
