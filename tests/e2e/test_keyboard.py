"""The website chat with the keyboard only, zoomed, narrow and without motion.

Debian's chromium through Playwright. A citizen who uses no mouse opens the chat through
the skip link, types, sends, uses suggestion buttons and the feedback, closes and reopens
the chat; at every step the focus is on a visible control with a visible focus indicator
and never falls to the page body. Also: new bot messages are inside the polite live
region, answered suggestions are disabled, the page and its parts carry ``lang``, the chat
works at 320 px and at 200 % zoom without horizontal scrolling, and its motion stops when
the system asks for reduced motion.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.a11y import BOT, focused, new_context, wait_for_message

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def press(page, key: str) -> dict:
    """Presses ``key``; returns the newly focused element, checked to be visible and ringed."""
    page.keyboard.press(key)
    now = focused(page)
    assert now["tag"] != "body", f"{key}: focus fell to the page body"
    assert now["visible"] and now["indicator"], f"{key}: focus not visible on {now}"
    return now


def tab_to(page, match, key: str = "Shift+Tab", limit: int = 40) -> dict:
    """Tabs (backwards by default) until ``match(focused)``; every stop is checked."""
    for _ in range(limit):
        now = press(page, key)
        if match(now):
            return now
    raise AssertionError(f"not reached with {limit} x {key}")


def submit(page, text: str, expect: str) -> str:
    before = page.locator(BOT).count()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    answer = wait_for_message(page, expect, start=before)
    assert focused(page)["id"] == "chat-input", "focus left the input when the answer came"
    return answer


def test_keyboard_only_chat(stack, browser):
    context = new_context(browser, width=1280, height=900)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot button", timeout=30_000)
    assert page.get_attribute("html", "lang") == "de"

    # two Tab presses and Enter reach the input: skip links first
    assert press(page, "Tab")["href"] == "#main"
    assert press(page, "Tab")["id"] == "skip-chat"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "chat-input"

    # type, send; the answer arrives in the polite live region while the focus stays put
    assert page.get_attribute("#chat-log", "role") == "log"
    assert page.get_attribute("#chat-log", "aria-live") == "polite"
    submit(page, "Was kannst du?", "Öffnungszeiten")
    assert page.locator("#chat-log ol > li.msg.bot").last.locator("button").count() == 3

    # a suggestion button, reached and pressed with the keyboard
    before = page.locator(BOT).count()
    tab_to(page, lambda f: f["text"] == "Straßensperrungen")
    page.keyboard.press("Enter")
    wait_for_message(page, "Sperrungen", start=before)
    assert focused(page)["id"] == "chat-input", "focus lost after a suggestion button"
    # answered suggestions (the greeting's and this one's) can no longer be pressed
    answered = page.locator("#chat-log li.msg.bot").nth(before - 1).locator("button")
    assert answered.count() == 3
    assert all(answered.nth(i).is_disabled() for i in range(3))
    assert page.locator("#chat-log li.msg.bot").first.locator("button:enabled").count() == 0
    chosen = page.locator("#chat-log button.chosen")
    assert chosen.count() == 1 and chosen.inner_text() == "Straßensperrungen"

    # thumbs up with the keyboard: the focus goes to the input, not to the body
    submit(page, "Wo melde ich meinen Hund an?", "Steueramt")
    tab_to(page, lambda f: f["text"] == "Ja, die Antwort war hilfreich")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-feedback-status:has-text('Vielen Dank')")
    after = focused(page)
    assert after["tag"] != "body" and after["id"] == "chat-input", after

    # thumbs down, a comment, send: all by keyboard
    submit(page, "Wann hat das Standesamt am Donnerstag geöffnet?", "Standesamt")
    tab_to(page, lambda f: f["text"] == "Nein, die Antwort war nicht hilfreich")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "chat-feedback-text"
    page.keyboard.type("Mir fehlen die Zeiten am Samstag.")
    assert press(page, "Tab")["text"] == "Rückmeldung senden"
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-feedback-status:has-text('Vielen Dank')")
    assert focused(page)["id"] == "chat-input"

    # close the chat and open it again
    toggle = tab_to(page, lambda f: f["id"] == "chat-toggle")
    assert toggle["text"] == "Chat schließen"
    page.keyboard.press("Enter")
    assert page.get_attribute("#chat-toggle", "aria-expanded") == "false"
    assert page.locator("#chat-body").is_hidden()
    now = focused(page)
    assert now["id"] == "chat-toggle" and now["text"] == "Chat öffnen" and now["indicator"]
    page.keyboard.press("Enter")
    assert page.get_attribute("#chat-toggle", "aria-expanded") == "true"
    assert focused(page)["id"] == "chat-input"
    # the skip link opens a closed chat too
    page.locator("#chat-toggle").focus()
    page.keyboard.press("Enter")
    page.locator("#skip-chat").focus()
    page.keyboard.press("Enter")
    assert page.locator("#chat-input").is_visible() and focused(page)["id"] == "chat-input"
    context.close()


def test_a_message_in_another_language_carries_its_lang(stack, browser):
    """The widget's side of English answers (issue 19, item 1): a ``bot_uttered`` whose
    metadata names another language than the page's gets ``lang`` on its list item.
    The real server's frames pass through; one reply is rewritten on its way to the page
    as the English-speaking server will send it."""
    context = new_context(browser)
    page = context.new_page()

    def relay(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda m: server.send(m))

        def to_page(m):
            if isinstance(m, str) and m.startswith('42["bot_uttered"') and "Gern geschehen" in m:
                event, data = json.loads(m[2:])
                data.update(text="You're welcome! Anything else?", metadata={"language": "en"})
                m = "42" + json.dumps([event, data])
            ws.send(m)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), relay)
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    page.focus("#chat-input")
    submit(page, "Danke", "You're welcome")
    english = page.locator("#chat-log li.msg.bot", has_text="You're welcome")
    assert english.get_attribute("lang") == "en"
    assert page.locator("#chat-log li.msg.bot").first.get_attribute("lang") is None  # German
    assert page.get_attribute("html", "lang") == "de"
    context.close()


def no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page scrolls sideways: {widths}"


def inside_viewport(page, selector: str, width: int) -> None:
    box = page.locator(selector).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [
        pytest.param(320, 640, 1, id="320px"),
        # 200 % zoom of a 1280 x 800 window: a 640 x 400 CSS viewport at device scale 2
        pytest.param(640, 400, 2, id="zoom200"),
    ],
)
def test_narrow_and_zoomed(stack, browser, width, height, scale):
    context = new_context(browser, width=width, height=height, device_scale_factor=scale)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    no_horizontal_scroll(page)
    page.focus("#chat-input")
    submit(page, "Wo beantrage ich einen Personalausweis?", "Termin")
    submit(page, "Ist die Brückenstraße gesperrt?", "Brückenstraße")
    no_horizontal_scroll(page)
    for selector in ("#chat-input", "#chat-form button[type=submit]", "#chat-toggle"):
        inside_viewport(page, selector, width)
    for path in ("/barrierefreiheit", "/datenschutz", "/staff/login"):
        page.goto(f"{stack.web}{path}")
        no_horizontal_scroll(page)
    context.close()


@pytest.mark.parametrize(
    ("motion", "animation", "scrolling"),
    [("reduce", "none", "auto"), ("no-preference", "msg-in", "smooth")],
)
def test_reduced_motion_is_respected(stack, browser, motion, animation, scrolling):
    context = new_context(browser, reduced_motion=motion)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    page.focus("#chat-input")
    submit(page, "Danke", "Gern geschehen")
    style = page.evaluate(
        """() => {
          const msg = document.querySelector("#chat-log li.msg.bot:last-child");
          return [getComputedStyle(msg).animationName,
                  getComputedStyle(document.getElementById("chat-log")).scrollBehavior];
        }"""
    )
    assert style == [animation, scrolling]
    context.close()


def test_language_switch_button_by_keyboard(stack, browser):
    """The widget's language switch (issue 19): a button named in the other language
    ("English" with lang=en, "Deutsch" with lang=de) that switches the conversation, by
    keyboard; the answer comes in the chosen language, the label follows, the focus
    stays on the button, the choice survives a reload, and axe-core finds nothing
    serious with the English conversation on the page."""
    from tests.e2e.a11y import axe_violations, blocking, describe

    context = new_context(browser, width=1280, height=900)
    page = context.new_page()
    page.goto(f"{stack.web}/")
    page.wait_for_selector("#chat-log li.msg.bot button", timeout=30_000)
    button = page.locator("#chat-language")
    assert button.inner_text() == "English"
    assert button.get_attribute("lang") == "en"
    assert button.get_attribute("aria-label") == "Chat in English"

    page.focus("#chat-input")
    now = tab_to(page, lambda f: f["id"] == "chat-language", key="Tab", limit=6)
    assert now["text"] == "Chat in English"  # focused() reads the accessible name
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    answer = wait_for_message(page, "in English", start=before)
    assert "How can I help you?" in answer
    assert page.locator("#chat-log li.msg.bot").last.get_attribute("lang") == "en"
    assert page.locator("#chat-log li.msg.user").last.get_attribute("lang") == "en"
    assert page.locator("#chat-log li.msg.user").last.inner_text().endswith("English")
    now = focused(page)
    assert now["id"] == "chat-language" and now["visible"] and now["indicator"], now
    assert button.inner_text() == "Deutsch" and button.get_attribute("lang") == "de"
    assert button.get_attribute("aria-label") == "Chat auf Deutsch"
    bad = blocking(axe_violations(page))
    assert not bad, describe(bad)

    # the conversation continues in English
    page.focus("#chat-input")
    submit(page, "Thank you", "welcome")
    assert page.locator("#chat-log li.msg.bot").last.get_attribute("lang") == "en"

    # the choice is kept over a reload (same tab), then back to German with the keyboard
    page.reload()
    page.wait_for_selector("#chat-log li.msg.bot", timeout=30_000)
    assert page.locator("#chat-language").inner_text() == "Deutsch"
    page.locator("#chat-language").focus()
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    answer = wait_for_message(page, "auf Deutsch", start=before)
    assert page.locator("#chat-log li.msg.bot").last.get_attribute("lang") is None
    assert page.locator("#chat-language").inner_text() == "English"
    assert focused(page)["id"] == "chat-language"
    context.close()
