"""Feedback and analytics in a real browser (Debian's chromium through Playwright).

A citizen asks on the website, rates the answer with thumbs down and a comment (with a
phone number that must not be stored); a member of staff logs in and finds the rating
counted on the analytics page, next to the server-rendered chart. No CSP violations on
either page.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime, timedelta

import pytest

from tests.e2e.conftest import FIXED_NOW, add_staff_user

pytestmark = [pytest.mark.stack, pytest.mark.browser]
PASSWORD = "auswertung-browser-passwort"
BOT = "#chat-log li.msg.bot, #chat-log li.msg.staff"


@pytest.fixture(scope="module")
def analyst(stack) -> str:
    return add_staff_user(stack, "ulrike", PASSWORD)


def wait_for_text(page, selector: str, text: str, timeout: float = 30.0, start: int = 0) -> str:
    """Polls with locators (the CSP forbids the eval that wait_for_function needs)."""
    deadline = time.monotonic() + timeout
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = page.locator(selector).all_inner_texts()[start:]
        if any(text in t for t in texts):
            return "\n".join(texts)
        page.wait_for_timeout(100)
    raise AssertionError(f"no {text!r} in {selector}: {texts}")


def csp_violations(page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return messages


def test_citizen_rates_answer_and_staff_sees_it_counted(stack, browser, analyst):
    citizen = browser.new_context(locale="de-DE").new_page()
    violations = csp_violations(citizen)
    citizen.goto(f"{stack.web}/")
    citizen.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    assert citizen.locator("#chat-feedback").is_hidden()  # not under the greeting

    before = citizen.locator(BOT).count()
    citizen.fill("#chat-input", "Wann hat das Standesamt am Donnerstag geöffnet?")
    citizen.keyboard.press("Enter")
    wait_for_text(citizen, BOT, "Standesamt", start=before)
    thumbs_down = citizen.get_by_role("button", name="Nein, die Antwort war nicht hilfreich")
    thumbs_up = citizen.get_by_role("button", name="Ja, die Antwort war hilfreich")
    thumbs_up.wait_for(state="visible", timeout=10_000)
    assert thumbs_down.get_attribute("aria-pressed") == "false"

    # keyboard: Tab from the thumbs-up button to thumbs down, Enter opens the comment
    thumbs_up.focus()
    citizen.keyboard.press("Tab")
    citizen.keyboard.press("Enter")
    comment = citizen.get_by_label("Was hat Ihnen gefehlt?")
    comment.wait_for(state="visible")
    assert thumbs_down.get_attribute("aria-pressed") == "true"
    assert citizen.evaluate("document.activeElement.id") == "chat-feedback-text"
    citizen.screenshot(path=str(stack.state_dir.parent / "feedback-open.png"), full_page=True)
    citizen.keyboard.type("Die Zeiten für Samstag fehlen. Rufen Sie mich an: 0171 2345678")
    citizen.get_by_role("button", name="Rückmeldung senden").click()
    wait_for_text(citizen, "#chat-feedback-status", "Vielen Dank für Ihre Rückmeldung")
    assert thumbs_down.is_hidden()
    citizen.screenshot(path=str(stack.state_dir.parent / "feedback.png"), full_page=True)

    # stored once, redacted, with the topic of the rated answer
    with sqlite3.connect(stack.state_dir / "handoff.db") as db:
        rows = db.execute(
            "SELECT rating, comment, topic, channel FROM feedback WHERE channel = 'socketio'"
        ).fetchall()
    assert rows == [
        (
            -1,
            "Die Zeiten für Samstag fehlen. Rufen Sie mich an: [Telefonnummer entfernt]",
            "ask_opening_hours",
            "socketio",
        )
    ]

    # after a reload the rated answer offers no second rating
    citizen.reload()
    citizen.wait_for_selector("#chat-log li.msg.bot")
    assert citizen.locator("#chat-feedback").is_hidden()
    assert violations == []

    staff = browser.new_context(locale="de-DE").new_page()
    staff_violations = csp_violations(staff)
    staff.goto(f"{stack.web}/staff/analytics/")
    assert staff.url.endswith("/staff/login")  # not without login
    staff.fill("#username", analyst)
    staff.fill("#password", PASSWORD)
    staff.click("button[type=submit]")
    staff.wait_for_selector("text=Posteingang")
    staff.get_by_role("link", name="Auswertung").click()
    staff.wait_for_selector("h1:has-text('Auswertung')")

    # the stack's clock is fixed; the Rasa events carry the real time: show both days
    days = sorted({date.fromisoformat(FIXED_NOW[:10]), datetime.now().date()})
    first, last = days[0] - timedelta(days=1), days[-1] + timedelta(days=1)
    if (last - first).days < 366:
        staff.fill("#from", first.isoformat())
        staff.fill("#to", last.isoformat())
        staff.get_by_role("button", name="Anzeigen").click()
        staff.wait_for_selector(f"input#from[value='{first.isoformat()}']")
        assert int(staff.inner_text("#kpi-conversations")) >= 1
        assert int(staff.inner_text("#kpi-messages")) >= 1
    chart = staff.locator("svg#chart-days")
    assert chart.is_visible()
    assert chart.get_attribute("role") == "img"
    assert "Gespräche pro Tag" in (staff.locator("#chart-days-desc").text_content() or "")
    assert staff.locator("#table-days").is_visible()
    # other tests of the same stack may rate too (a 👍 on Telegram): the page shows the store
    with sqlite3.connect(stack.state_dir / "handoff.db") as db:
        positive, negative, comments = db.execute(
            "SELECT SUM(rating = 1), SUM(rating = -1), COUNT(comment) FROM feedback"
        ).fetchone()
    assert comments >= 1 and negative >= 1
    assert staff.inner_text("#feedback-comments") == str(comments)
    assert f"{positive} positive und {negative} negative Bewertungen" in staff.inner_text(
        "#feedback-summary"
    )
    page = staff.content()
    assert "Samstag fehlen" not in page and "Telefonnummer" not in page  # counts only
    staff.screenshot(path=str(stack.state_dir.parent / "analytics.png"), full_page=True)
    assert staff_violations == []
