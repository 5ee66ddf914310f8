"""The two web pages in a real browser: Debian's chromium driven by Playwright.

A citizen chats on the website (three kinds of question, a button, a reload, keyboard
only), hands a case over, and sees the reply a member of staff types in the inbox; the
staff member hands the conversation back and the assistant answers again.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import add_staff_user

pytestmark = [pytest.mark.stack, pytest.mark.browser]
STAFF_PASSWORD = "browser-test-passwort"


@pytest.fixture(scope="module")
def staff_account(stack) -> str:
    # staff see their office's cases: both test cases go to the default office
    return add_staff_user(stack, "sabine", STAFF_PASSWORD, office="buergerbuero_mitte")


def wait_for_message(page, selector: str, text: str, timeout: float = 30.0, start: int = 0) -> str:
    """Waits until a chat message matching ``selector`` (from index ``start``) contains
    ``text``. Polls with locators: the page's CSP forbids the eval that
    ``wait_for_function`` would need, and that is how it should be."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = page.locator(selector).all_inner_texts()[start:]
        if any(text in t for t in texts):
            page.wait_for_timeout(300)  # the rest of a multi-part answer
            return "\n".join(page.locator(selector).all_inner_texts()[start:])
        page.wait_for_timeout(100)
    raise AssertionError(f"no message with {text!r} in {selector}: {texts}")


BOT = "#chat-log li.msg.bot, #chat-log li.msg.staff"


def ask(page, text: str, expect: str, timeout: float = 30.0) -> str:
    """Types a question, presses Enter, waits for an answer containing ``expect``."""
    before = page.locator(BOT).count()
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")
    return wait_for_message(page, BOT, expect, timeout, start=before)


def test_website_chat_three_topics_button_reload_keyboard(stack, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{stack.web}/")
    assert "automatisierten Assistenten" in page.inner_text("#chat-notice")
    assert page.get_attribute("#chat-log", "aria-live") == "polite"
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)  # greeting on open

    answer = ask(page, "Wann hat das Standesamt am Donnerstag geöffnet?", "Standesamt")
    assert "08:30–12:00" in answer
    answer = ask(page, "Wo melde ich meinen Hund an?", "Steueramt")
    assert "96,00 EUR" in answer
    answer = ask(page, "Ist die Brückenstraße gesperrt?", "Brückenstraße")
    assert "Vollsperrung" in answer and "Stand:" in answer

    # a button from the domain renders as a button and works
    ask(page, "Was kannst du?", "Öffnungszeiten")
    before = page.locator(BOT).count()
    page.locator("#chat-log li.msg.bot button", has_text="Straßensperrungen").last.click()
    wait_for_message(page, BOT, "Aktuelle Sperrungen", start=before)

    # links are clickable
    ask(page, "Wo beantrage ich einen Personalausweis?", "Termin")
    assert (
        page.locator("#chat-log a[href='https://termine.musterstadt.de/buergerbuero']").count() >= 1
    )

    # the conversation survives a reload
    count = page.locator("#chat-log li").count()
    page.reload()
    page.wait_for_selector("#chat-log li")
    assert page.locator("#chat-log li").count() == count
    page.screenshot(path=str(tmp_path / "website.png"), full_page=True)  # not app state

    # keyboard only: Tab to the input, type, Enter
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement && document.activeElement.getAttribute('href')")
    assert focused == "#main"  # skip link first
    page.focus("#chat-input")
    before = page.locator(BOT).count()
    page.keyboard.type("danke")
    page.keyboard.press("Enter")
    wait_for_message(page, BOT, "Gern geschehen", start=before)
    context.close()


def test_handoff_reply_in_inbox_reaches_website_and_hand_back(stack, browser, staff_account):
    citizen = browser.new_context(locale="de-DE").new_page()
    citizen.goto(f"{stack.web}/")
    citizen.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    answer = ask(citizen, "Ich möchte mit einem Menschen sprechen", "weitergeben")
    assert "Mitarbeiter" in answer
    answer = ask(citizen, "Ja", "Vorgangsnummer")
    reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", answer)
    assert reference, answer
    ref = reference.group(0)

    staff = browser.new_context(locale="de-DE").new_page()
    staff.goto(f"{stack.web}/staff/")
    staff.fill("#username", staff_account)
    staff.fill("#password", STAFF_PASSWORD)
    staff.click("button[type=submit]")
    staff.wait_for_selector(f"tr[data-reference='{ref}']")
    staff.click(f"text={ref}")
    staff.wait_for_selector("#reply-text")
    assert "Ich möchte mit einem Menschen sprechen" in staff.inner_text(".transcript")
    staff.fill(
        "#reply-text", "Guten Tag, hier ist Frau Sommer vom Bürgerbüro. Wie kann ich helfen?"
    )
    staff.click('button:has-text("Antwort senden")')
    staff.wait_for_selector("text=Antwort gesendet.")

    wait_for_message(citizen, "#chat-log li.msg.staff", "Frau Sommer")
    staff.screenshot(path=str(stack.state_dir.parent / "inbox.png"), full_page=True)

    staff.click('button:has-text("Zurückgeben")')
    staff.wait_for_selector("text=an den Assistenten zurückgegeben")
    wait_for_message(citizen, "#chat-log li", "wieder mit dem digitalen Assistenten")
    answer = ask(citizen, "Wann hat das Fundbüro geöffnet?", "Fundbüro")
    assert "09:00–12:00" in answer


def test_telegram_case_staff_reply_typed_in_browser_reaches_telegram(stack, browser, staff_account):
    from tests.e2e.test_channels import tg_post, tg_update

    chat_id = 900300
    update = tg_update("text_message", chat_id)
    update["message"]["text"] = "Ich möchte bitte mit einem Mitarbeiter sprechen"
    assert tg_post(stack, update) == 200
    assert any("weitergeben" in t for t in stack.platforms.wait_for("telegram", str(chat_id), 2))
    update["message"]["text"] = "ja"
    update["update_id"] += 1
    assert tg_post(stack, update) == 200
    texts = stack.platforms.wait_for("telegram", str(chat_id), 3)
    reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", " ".join(texts))
    assert reference, texts

    staff = browser.new_context(locale="de-DE").new_page()
    staff.goto(f"{stack.web}/staff/login")
    staff.fill("#username", staff_account)
    staff.fill("#password", STAFF_PASSWORD)
    staff.click("button[type=submit]")
    staff.goto(f"{stack.web}/staff/tickets/{reference.group(0)}")
    staff.fill("#reply-text", "Guten Tag, wir rufen Sie morgen zurück.")
    staff.click('button:has-text("Antwort senden")')
    staff.wait_for_selector("text=Antwort gesendet.")
    texts = stack.platforms.wait_for("telegram", str(chat_id), 4)
    assert any("wir rufen Sie morgen zurück" in t for t in texts), texts
    assert any(t.startswith("Nachricht vom Bürgerservice") for t in texts)
