"""A response in another language reaches the widget with its language (issue 19).

domain/ English variations carry ``metadata: {language: en}``; the website channel puts it
on every socket message, so the widget sets ``lang="en"`` on the message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.channels.website import WebsiteOutput


class FakeServer:
    """Records what would go out through socket.io (the edge of the machine)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def emit(self, event: str, data: dict[str, Any], room: str | None = None) -> None:
        self.sent.append(data)


def test_language_metadata_on_text_and_buttons():
    server = FakeServer()
    out = WebsiteOutput(server, "bot_uttered")
    buttons = [{"title": "Opening hours", "payload": "/ask_opening_hours"}]
    meta = {"metadata": {"language": "en"}}
    asyncio.run(out.send_text_message("s1", "Hello!\n\nHow can I help?", **meta))
    asyncio.run(out.send_text_with_buttons("s1", "Which office?", buttons, **meta))
    assert [m["metadata"] for m in server.sent] == [{"language": "en"}] * 3
    assert server.sent[-1]["quick_replies"][0]["payload"] == "/ask_opening_hours"


def test_german_responses_stay_as_they_were():
    server = FakeServer()
    out = WebsiteOutput(server, "bot_uttered")
    asyncio.run(out.send_text_message("s1", "Guten Tag!"))
    asyncio.run(out.send_text_message("s1", "Antwort", staff=True))
    assert server.sent == [{"text": "Guten Tag!"}, {"text": "Antwort", "metadata": {"staff": True}}]


def test_a_custom_response_reaches_the_widget_as_one_custom_message():
    """The receipt during a case (utter_case_noted) is ``{"custom": …}``: Rasa's own
    SocketIOOutput would pass the dict's keys to ``emit()`` and the widget sees nothing."""
    server = FakeServer()
    out = WebsiteOutput(server, "bot_uttered")
    receipt = {"case_noted": "Angekommen beim Steueramt · Vorgang MS-7K4P-Q2XD"}
    asyncio.run(out.send_custom_json("s1", receipt))
    assert server.sent == [{"custom": receipt}]
