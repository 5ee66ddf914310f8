"""A small client of Rasa's HTTP API for staff replies and hand-back (token auth).

Staff replies enter the citizen's conversation as ``bot`` events with
``execute_side_effects=true&output_channel=latest``: Rasa pushes them through the channel
the citizen last used (website socket, Telegram, Facebook), exactly as its own bot
messages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=15)


class RasaError(RuntimeError):
    """Rasa did not accept the request."""


class RasaClient:
    """Async client of the Rasa HTTP API."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = token

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Appends events and executes their side effects (messages are delivered)."""
        url = f"{self._base}/conversations/{quote(sender_id, safe='')}/tracker/events"
        params = {
            "token": self._token,
            "execute_side_effects": "true",
            "output_channel": "latest",
        }
        async with self._session.post(url, params=params, json=events, timeout=TIMEOUT) as resp:
            if resp.status != 200:
                raise RasaError(f"Rasa answered HTTP {resp.status}")

    async def send_staff_message(
        self, sender_id: str, text: str, author: str, message_id: int | None = None
    ) -> None:
        """Sends a staff reply into the citizen's conversation.

        With ``message_id`` (the stored reply) the citizen's channel reports whether it
        really arrived (bot.cases.delivery); Rasa answering 200 alone proves nothing.
        """
        metadata: dict[str, Any] = {"staff": True, "author": author}
        if message_id is not None:
            metadata["message_id"] = message_id
        await self.append_events(sender_id, [{"event": "bot", "text": text, "metadata": metadata}])

    async def hand_back(self, sender_id: str, text: str) -> None:
        """Resumes the bot: the conversation continues with the assistant."""
        await self.append_events(
            sender_id,
            [
                {"event": "resume"},
                {"event": "slot", "name": "handoff_stage", "value": None},
                {"event": "slot", "name": "handoff_reason", "value": None},
                {"event": "bot", "text": text, "metadata": {"staff": False}},
                # A paused conversation ended without action_listen; without it no rule
                # would match the citizen's next message.
                {"event": "action", "name": "action_listen"},
            ],
        )

    async def tracker_events(self, sender_id: str) -> list[dict[str, Any]]:
        """All events of a conversation (for the transcript)."""
        url = f"{self._base}/conversations/{quote(sender_id, safe='')}/tracker"
        params = {"token": self._token, "include_events": "ALL"}
        async with self._session.get(url, params=params, timeout=TIMEOUT) as resp:
            if resp.status != 200:
                raise RasaError(f"Rasa answered HTTP {resp.status}")
            body = await resp.json()
        return list(body.get("events") or [])
