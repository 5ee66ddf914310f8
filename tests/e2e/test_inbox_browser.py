"""A caseworker's day in the inbox, in the real chromium against the real stack.

Citizens write through the REST channel (the same Rasa conversation store as the
website); caseworkers work in the browser: the open inbox shows a citizen's new message
without a reload, a closed case takes no reply, a second caseworker is warned, search
finds a case by its reference and by a word of its text, and the inbox fits a phone.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import add_staff_user

pytestmark = [pytest.mark.stack, pytest.mark.browser]
PASSWORD = "inbox-test-passwort"
LIVE_TIMEOUT_MS = 25_000  # the inbox polls every 5 s


OFFICE = "buergerbuero_mitte"  # where "mit einem Menschen sprechen" is routed


@pytest.fixture(scope="module")
def caseworkers(stack) -> tuple[str, str]:
    return (
        add_staff_user(stack, "clara", PASSWORD, office=OFFICE),
        add_staff_user(stack, "david", PASSWORD, office=OFFICE),
    )


@pytest.fixture(scope="module")
def admin(stack) -> str:
    """Sees every office's cases (the searched one may be routed elsewhere)."""
    return add_staff_user(stack, "erika", PASSWORD, role="admin")


def open_case(stack, *before: str) -> str:
    """A citizen asks for a person and agrees; returns the case reference."""
    sender = f"inbox-{uuid.uuid4().hex[:8]}"
    for text in before:
        stack.say(sender, text)
    assert "weitergeben" in stack.say(sender, "Ich möchte mit einem Menschen sprechen")
    created = stack.say(sender, "ja")
    match = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", created)
    assert match, created
    return f"{sender}|{match.group(0)}"


def logged_in(browser, stack, name: str, **context: object):
    page = browser.new_context(locale="de-DE", **context).new_page()
    page.goto(f"{stack.web}/staff/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Posteingang')")
    return page


def test_open_inbox_shows_a_new_citizen_message_without_reload(stack, browser, caseworkers):
    sender, ref = open_case(stack).split("|")
    staff = logged_in(browser, stack, caseworkers[0])
    staff.goto(f"{stack.web}/staff/tickets/{ref}")
    staff.click('button:has-text("Vorgang übernehmen")')
    staff.wait_for_selector("text=Sie bearbeiten diesen Vorgang jetzt.")
    staff.goto(f"{stack.web}/staff/")
    row = f"tr[data-reference='{ref}']"
    staff.wait_for_selector(row)
    assert "ungelesen" not in staff.inner_text(row)
    navigations: list[str] = []
    staff.on("framenavigated", lambda frame: navigations.append(frame.url))

    stack.chat(sender, "Hallo? Ich habe noch eine Frage zu meinem Antrag.")

    staff.wait_for_selector(f"{row}[data-unread]", timeout=LIVE_TIMEOUT_MS)
    text = staff.inner_text(row)
    assert "ungelesen" in text and "neue Nachricht" in text
    assert re.match(r"\(\d+\) Posteingang", staff.title())
    assert navigations == []  # no reload
    staff.click(f"text={ref}")
    staff.wait_for_selector("#reply-text")
    assert "noch eine Frage zu meinem Antrag" in staff.inner_text(".transcript")


def test_a_closed_case_takes_no_reply_until_reopened(stack, browser, caseworkers):
    _, ref = open_case(stack).split("|")
    staff = logged_in(browser, stack, caseworkers[0])
    staff.goto(f"{stack.web}/staff/tickets/{ref}")
    csrf = staff.locator("#composer input[name=csrf]").get_attribute("value")
    staff.select_option("#close_reason", "erledigt")
    staff.click('button:has-text("Vorgang abschließen")')
    staff.wait_for_selector("text=Vorgang abgeschlossen.")
    assert staff.inner_text("#status-label") == "erledigt"
    assert staff.locator("#reply-text").count() == 0
    assert staff.locator("form[action$='/close'], form[action$='/update']").count() == 0
    refused = staff.request.post(
        f"{stack.web}/staff/tickets/{ref}/reply", form={"csrf": csrf, "text": "Noch etwas"}
    )
    assert refused.status == 409
    staff.reload()
    assert "Noch etwas" not in staff.content()
    staff.click('button:has-text("Wieder öffnen")')
    staff.wait_for_selector("#reply-text")


def test_second_caseworker_sees_the_collision_warning(stack, browser, caseworkers):
    _, ref = open_case(stack).split("|")
    first = logged_in(browser, stack, caseworkers[0])
    first.goto(f"{stack.web}/staff/tickets/{ref}")
    first.click('button:has-text("Vorgang übernehmen")')
    first.wait_for_selector("text=Sie bearbeiten diesen Vorgang jetzt.")
    assert first.locator("#collision").is_hidden()

    second = logged_in(browser, stack, caseworkers[1])
    second.goto(f"{stack.web}/staff/tickets/{ref}")
    warning = second.locator("#collision")
    assert warning.is_visible()
    assert f"{caseworkers[0]} bearbeitet diesen Vorgang" in warning.inner_text()
    # the first one is told too, without reloading
    first.wait_for_selector("#collision:not([hidden])", timeout=LIVE_TIMEOUT_MS)
    assert f"Gerade geöffnet von: {caseworkers[1]}" in first.inner_text("#collision")


def test_search_finds_a_case_by_reference_and_by_a_word(stack, browser, admin):
    _, ref = open_case(stack, "Der Zebrastreifen vor der Grundschule ist kaum noch zu sehen").split(
        "|"
    )
    _, other = open_case(stack).split("|")
    staff = logged_in(browser, stack, admin)
    staff.fill("#q", ref.lower())
    staff.click('button:has-text("Suchen")')
    staff.wait_for_selector(f"tr[data-reference='{ref}']")
    assert staff.locator("tr[data-reference]").count() == 1
    staff.fill("#q", "zebrastreifen")
    staff.click('button:has-text("Suchen")')
    staff.wait_for_selector(f"tr[data-reference='{ref}']")
    assert staff.locator(f"tr[data-reference='{other}']").count() == 0


def test_inbox_and_case_page_fit_a_phone(stack, browser, caseworkers):
    _, ref = open_case(stack).split("|")
    staff = logged_in(browser, stack, caseworkers[0], viewport={"width": 390, "height": 844})
    staff.wait_for_selector(f"tr[data-reference='{ref}']")
    for path in ("/staff/", f"/staff/tickets/{ref}"):
        staff.goto(f"{stack.web}{path}")
        staff.wait_for_load_state("load")
        widths = staff.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], (path, widths)
    staff.screenshot(path=str(stack.state_dir.parent / "inbox-390.png"), full_page=True)


def test_citizen_ends_the_case_and_the_open_inbox_shows_why(stack, browser, caseworkers):
    sender, ref = open_case(stack).split("|")
    staff = logged_in(browser, stack, caseworkers[0])
    # "alle" includes closed cases; the reference keeps the row on the first page
    staff.goto(f"{stack.web}/staff/?status=alle&q={ref}")
    row = f"tr[data-reference='{ref}']"
    staff.wait_for_selector(row)
    assert "beendet" not in staff.inner_text(row)
    navigations: list[str] = []
    staff.on("framenavigated", lambda frame: navigations.append(frame.url))

    assert "beendet" in stack.say(sender, "Hat sich erledigt, danke")

    staff.wait_for_selector(f"{row}:has-text('von Bürger/in beendet')", timeout=LIVE_TIMEOUT_MS)
    assert "erledigt – von Bürger/in beendet" in staff.inner_text(row)
    assert navigations == []  # no reload
    staff.click(f"text={ref}")
    staff.wait_for_selector("#status-label")
    assert staff.inner_text("#status-label") == "erledigt – von Bürger/in beendet"
    assert "Hat sich erledigt, danke" in staff.inner_text(".transcript")
    assert staff.locator("#reply-text").count() == 0  # closed: read-only
