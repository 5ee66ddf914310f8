"""The website session in a real browser: kept for the tab only, ended by "Chat beenden",
and a messenger case continued with its single-use link.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser import BOT, ask, wait_for_message

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_the_conversation_stays_in_its_tab_and_chat_beenden_forgets_it(stack, browser):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    ask(page, "Wann hat das Standesamt am Donnerstag geöffnet?", "Standesamt")

    # the next person at a shared computer opens the page in a new tab: nothing to see
    other = context.new_page()
    other.goto(f"{stack.web}/")
    other.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    assert "Standesamt am Donnerstag" not in other.inner_text("#chat-log")
    other.close()

    page.reload()
    page.wait_for_selector("#chat-log li.msg.user")
    assert "Standesamt am Donnerstag" in page.inner_text("#chat-log")  # same tab: kept

    page.get_by_role("button", name="Chat beenden").click()
    wait_for_message(page, BOT, "Guten Tag")  # a new conversation greets
    assert "Standesamt am Donnerstag" not in page.inner_text("#chat-log")
    page.reload()
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    assert "Standesamt am Donnerstag" not in page.inner_text("#chat-log")
    context.close()


def test_a_messenger_case_continues_once_from_its_link(stack, browser):
    from tests.e2e.test_channels import _fresh, tg_post, tg_update

    update = _fresh(tg_update("text_message", 900410))
    update["message"]["text"] = (
        "Ich bekomme Bürgergeld und mein Bescheid ist falsch, Aktenzeichen 4711-0818"
    )
    assert tg_post(stack, update) == 200
    texts = " ".join(stack.platforms.wait_for("telegram", "900410", 2))
    link = re.search(r"https?://\S+fortsetzen=[A-Za-z0-9_-]+", texts)
    assert link, texts
    path = link.group(0).split("/", 3)[3]

    citizen = browser.new_context(locale="de-DE").new_page()
    citizen.goto(f"{stack.web}/{path}")
    wait_for_message(citizen, BOT, "Willkommen zurück")
    assert "fortsetzen" not in citizen.url  # the token leaves the address bar at once

    stranger = browser.new_context(locale="de-DE").new_page()
    stranger.goto(f"{stack.web}/{path}")
    wait_for_message(stranger, BOT, "kann ich keinen offenen Vorgang fortsetzen")
