"""axe-core in a real browser: no serious or critical WCAG 2.1 A/AA violation.

Debian's chromium through Playwright, axe-core from node_modules (npm dev dependency),
on the pages a citizen and a member of staff use, at desktop width and at 390 px (phone):
the start page with the chat open, the chat after a conversation with suggestion
buttons, a link and the feedback form, the privacy notice and the accessibility
statement (German and English), the staff login, the inbox and a ticket.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.a11y import BOT, axe_violations, blocking, describe, new_context, wait_for_message
from tests.e2e.conftest import add_staff_user

pytestmark = [pytest.mark.stack, pytest.mark.browser]
PASSWORD = "barrierefrei-browser-passwort"
WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


@pytest.fixture(scope="module")
def admin(stack) -> str:
    return add_staff_user(stack, "bianca", PASSWORD, role="admin")


@pytest.fixture(scope="module")
def reference(stack) -> str:
    """An open ticket, so that the inbox shows its table and a ticket page exists."""
    stack.chat("a11y-ticket", "Ich möchte mit einem Menschen sprechen")
    text = stack.say("a11y-ticket", "Ja")
    found = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", text)
    assert found, text
    return found.group(0)


def assert_no_blocking(page, where: str) -> list[dict]:
    violations = axe_violations(page)
    bad = blocking(violations)
    assert not bad, f"{where}: axe-core found\n{describe(bad)}"
    if violations:  # moderate and minor findings: reported (pytest -s / -rA), not fatal
        print(f"\n{where}: axe-core, not blocking:\n{describe(violations)}")
    return violations


@pytest.mark.parametrize("width", WIDTHS)
def test_start_page_with_chat_open(stack, browser, width):
    context = new_context(browser, width=width)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot button", timeout=30_000)  # greeting, buttons
    assert page.locator("#chat-input").is_visible()
    assert_no_blocking(page, f"start page ({width} px)")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_chat_after_a_conversation_with_buttons_and_feedback(stack, browser, width):
    context = new_context(browser, width=width)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    before = page.locator(BOT).count()
    page.fill("#chat-input", "Was kannst du?")
    page.keyboard.press("Enter")
    wait_for_message(page, "Öffnungszeiten", start=before)
    before = page.locator(BOT).count()
    page.locator("#chat-log li.msg.bot button", has_text="Straßensperrungen").last.click()
    wait_for_message(page, "Sperrungen", start=before)
    before = page.locator(BOT).count()
    page.fill("#chat-input", "Wo beantrage ich einen Personalausweis?")
    page.keyboard.press("Enter")
    wait_for_message(page, "Termin", start=before)
    assert page.locator("#chat-feedback").is_visible()
    assert_no_blocking(page, f"chat after a conversation ({width} px)")
    # thumbs down opens the comment form: checked too
    page.locator("#chat-feedback .thumb[data-rating='-1']").click()
    page.wait_for_selector("#chat-feedback-text")
    assert_no_blocking(page, f"chat with the feedback form ({width} px)")
    context.close()


@pytest.mark.parametrize("path", ["/datenschutz", "/barrierefreiheit", "/en/accessibility"])
@pytest.mark.parametrize("width", WIDTHS)
def test_public_text_pages(stack, browser, width, path):
    context = new_context(browser, width=width)
    page = context.new_page()
    response = page.goto(f"{stack.web}{path}")
    assert response.status == 200
    assert_no_blocking(page, f"{path} ({width} px)")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_login_inbox_and_ticket(stack, browser, admin, reference, width):
    context = new_context(browser, width=width)
    page = context.new_page()
    page.goto(f"{stack.web}/staff/login")
    page.wait_for_selector("#username")
    assert_no_blocking(page, f"staff login ({width} px)")

    page.fill("#username", admin)
    page.fill("#password", "falsch")
    page.click("button[type=submit]")
    page.wait_for_selector(".error")
    assert_no_blocking(page, f"staff login with an error ({width} px)")

    page.fill("#username", admin)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(f"tr[data-reference='{reference}']")
    assert_no_blocking(page, f"staff inbox ({width} px)")

    page.goto(f"{stack.web}/staff/tickets/{reference}")
    page.wait_for_selector("#reply-text")
    assert_no_blocking(page, f"ticket page ({width} px)")
    context.close()
