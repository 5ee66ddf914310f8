"""A staff reply is "delivered" only when it reached the citizen, on the real stack.

Website: a citizen with python-socketio's client on Rasa's socket (acknowledging like the
shipped widget) asks for a person; the caseworker answers in the inbox over HTTP. With the
chat open the reply is delivered; after the citizen closed it the inbox says "nicht
zugestellt", and "Erneut senden" delivers it once the citizen is back. Telegram: the Bot
API (the local recorder) refuses a chat that blocked the bot, as Telegram answers (403).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
import requests
import socketio

from tests.e2e.conftest import add_staff_user
from tests.e2e.test_channels import tg_post, tg_update

pytestmark = pytest.mark.stack
PASSWORD = "zustell-test-passwort"
OFFICE = "buergerbuero_mitte"  # where "mit einem Menschen sprechen" is routed


class Citizen:
    """The website widget's protocol: session_request, user_uttered, bot_uttered (acked)."""

    def __init__(self, rasa: str, session: str | None = None) -> None:
        self.client = socketio.Client(
            reconnection=False, websocket_extra_options={"suppress_origin": True}
        )
        self.texts: list[str] = []
        self.session = session
        confirmed = threading.Event()

        @self.client.on("session_confirm")
        def on_confirm(data: Any) -> None:
            self.session = data if isinstance(data, str) else data["session_id"]
            confirmed.set()

        @self.client.on("bot_uttered")
        def on_bot(data: dict[str, Any]) -> bool:
            self.texts.append(str(data.get("text", "")))
            return True  # the acknowledgement the server asked for (chat.js: ack())

        self.client.connect(rasa, socketio_path="/socket.io", transports=["websocket"])
        self.client.emit("session_request", {"session_id": session})
        assert confirmed.wait(10), "no session_confirm"

    def say(self, text: str, expect: str, timeout: float = 30) -> str:
        before = len(self.texts)
        self.client.emit(
            "user_uttered",
            {"message": text, "session_id": self.session, "customData": {"language": "de"}},
        )
        return self.wait(expect, timeout, start=before)

    def wait(self, expect: str, timeout: float = 20, start: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            joined = "\n".join(self.texts[start:])
            if expect in joined:
                return joined
            time.sleep(0.1)
        raise AssertionError(f"{expect!r} not in {self.texts[start:]}")

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module")
def caseworker(stack) -> requests.Session:
    add_staff_user(stack, "zoe", PASSWORD, office=OFFICE)
    http = requests.Session()
    resp = http.post(f"{stack.web}/staff/login", data={"username": "zoe", "password": PASSWORD})
    assert resp.status_code == 200
    return http


def csrf(http: requests.Session, url: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', http.get(url).text)
    assert match
    return match.group(1)


def reply(stack, http: requests.Session, reference: str, text: str) -> str:
    page = f"{stack.web}/staff/tickets/{reference}"
    resp = http.post(f"{page}/reply", data={"csrf": csrf(http, page), "text": text})
    assert resp.status_code == 200
    return resp.text


def resend(stack, http: requests.Session, reference: str, answer: str) -> str:
    page = f"{stack.web}/staff/tickets/{reference}"
    mid = re.search(r"/resend/(\d+)", answer)
    assert mid, answer[-2000:]
    resp = http.post(f"{page}/resend/{mid.group(1)}", data={"csrf": csrf(http, page)})
    assert resp.status_code == 200
    return resp.text


def test_a_website_reply_is_delivered_only_to_an_open_chat_and_resent_later(stack, caseworker):
    citizen = Citizen(stack.rasa)
    try:
        assert "weitergeben" in citizen.say("Ich möchte mit einem Menschen sprechen", "weitergeben")
        created = citizen.say("Ja", "Vorgangsnummer")
        reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", created).group(0)
        answer = reply(stack, caseworker, reference, "Guten Tag, hier ist das Bürgerbüro.")
        assert "Antwort gesendet." in answer and "nicht zugestellt" not in answer
        citizen.wait("hier ist das Bürgerbüro")
    finally:
        citizen.close()
    session = citizen.session
    answer = reply(stack, caseworker, reference, "Ihr Termin ist am Montag um 9 Uhr.")
    assert "nicht zugestellt" in answer and "nicht geöffnet" in answer
    assert "Antwort gesendet." not in answer
    inbox = caseworker.get(f"{stack.web}/staff/?status=alle").text
    row = re.search(rf'<tr[^>]*data-reference="{reference}".*?</tr>', inbox, re.S).group(0)
    assert "Antwort nicht zugestellt" in row

    back = Citizen(stack.rasa, session)  # the citizen opens the chat again (same tab)
    try:
        answer = resend(stack, caseworker, reference, answer)
        assert "Antwort gesendet." in answer
        back.wait("Ihr Termin ist am Montag")
    finally:
        back.close()
    inbox = caseworker.get(f"{stack.web}/staff/?status=alle").text
    row = re.search(rf'<tr[^>]*data-reference="{reference}".*?</tr>', inbox, re.S).group(0)
    assert "Antwort nicht zugestellt" not in row


def test_a_telegram_chat_that_blocked_the_bot_gets_no_delivered_reply(stack, caseworker):
    chat_id = 900779  # a chat no other test uses (test_channels has 900777)
    update = tg_update("text_message", chat_id)
    update["message"]["text"] = "Ich möchte bitte mit einem Mitarbeiter sprechen"
    assert tg_post(stack, update) == 200
    assert stack.platforms.wait_for("telegram", str(chat_id), 2)
    update["message"]["text"] = "ja"
    update["update_id"] += 1
    assert tg_post(stack, update) == 200
    texts = stack.platforms.wait_for("telegram", str(chat_id), 3)
    reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", " ".join(texts)).group(0)
    stack.platforms.refused.add(str(chat_id))  # the citizen blocked the bot
    try:
        answer = reply(stack, caseworker, reference, "Wir rufen Sie morgen zurück.")
    finally:
        stack.platforms.refused.discard(str(chat_id))
    assert "nicht zugestellt" in answer and "Messenger hat sie nicht angenommen" in answer
    answer = resend(stack, caseworker, reference, answer)
    assert "Antwort gesendet." in answer
    assert any(
        "Wir rufen Sie morgen zurück" in t for t in stack.platforms.texts("telegram", str(chat_id))
    )
