"""Threema through the Threema Gateway in end-to-end mode (the documented HTTP API).

Incoming: the gateway POSTs a form (``from, to, messageId, date, nonce, box, mac``) to
``/webhooks/threema/webhook``. The call is authentic when ``mac`` is the HMAC-SHA256 of
``from‖to‖messageId‖date‖nonce‖box`` with the gateway's API secret (**403** otherwise,
compared in constant time) and ``to`` is our gateway ID. The box is decrypted with the
gateway's private key and the sender's public key (NaCl ``crypto_box``), which is looked
up once at ``GET /pubkeys/<id>`` and cached. Text messages are read; delivery receipts and
typing indicators are acknowledged and ignored; images, files, locations and the like get
the text-only notice.

Outgoing: ``POST /send_e2e`` with the text encrypted to the citizen's public key, type
byte 0x01 and random PKCS#7-style padding as the gateway documents, split at 3,500 bytes.
The gateway shows no buttons: choices become numbered text choices.

Why not the ``threema.gateway`` package (it resolves with Rasa's pins, MIT licence): it
needs the operating system's libsodium through ``libnacl`` (``make run`` would then need a
system package), its callback handler is written for aiohttp's web server (our webhooks
are Sanic's), and its server URLs are a class attribute to patch. PyNaCl ships libsodium
in its wheel; the HTTP API is four fields and two requests.

Payload shapes: tests/data/connectors/threema_gateway_e2e_shapes.json.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import logging
import secrets
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any

import aiohttp
from nacl.exceptions import CryptoError
from nacl.public import Box, PrivateKey, PublicKey
from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Request

from bot.cases import delivery
from bot.channels.base import (
    Incoming,
    RetryLater,
    TextOutput,
    Unsupported,
    WebhookInput,
    credential_strings,
    required_credentials,
)
from bot.channels.textfit import STAFF_PREFIX, ChoiceMemory, numbered_choices, split_text

logger = logging.getLogger(__name__)
MAX_TEXT_BYTES = 3500
TIMEOUT = aiohttp.ClientTimeout(total=10)
NOT_TEXT = "/input_not_text"
TYPE_TEXT, TYPE_DELIVERY_RECEIPT, TYPE_TYPING = 0x01, 0x80, 0x90
MAC_FIELDS = ("from", "to", "messageId", "date", "nonce", "box")


def parse_private_key(raw: str) -> PrivateKey:
    """``THREEMA_PRIVATE_KEY``: 64 hex digits, optionally ``private:`` in front (as the
    gateway's key generator writes it).

    Raises:
        ValueError: not a 32-byte hex key (the message names the variable).
    """
    value = raw.strip()
    if value.lower().startswith("private:"):
        value = value.split(":", 1)[1]
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError("THREEMA_PRIVATE_KEY must be 64 hex digits (optionally 'private:...')")
    return PrivateKey(key)


def callback_mac(secret: str, form: dict[str, str]) -> str:
    """The MAC the gateway sends with a callback."""
    message = "".join(form.get(f, "") for f in MAC_FIELDS).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def pad(data: bytes) -> bytes:
    """Random padding of 1-255 bytes, each the padding's length (the gateway's scheme)."""
    n = secrets.randbelow(254) + 1
    return data + bytes([n]) * n


def unpad(data: bytes) -> bytes:
    """Removes the padding; raises ValueError when it is not valid."""
    if not data:
        raise ValueError("empty message")
    n = data[-1]
    if n < 1 or n > len(data) - 1:
        raise ValueError("bad padding")
    return data[:-n]


def encrypt(private_key: PrivateKey, public_key: PublicKey, text: str) -> tuple[bytes, bytes]:
    """``(nonce, box)`` of a text message."""
    nonce = secrets.token_bytes(Box.NONCE_SIZE)
    encrypted = Box(private_key, public_key).encrypt(pad(bytes([TYPE_TEXT]) + text.encode()), nonce)
    return nonce, encrypted.ciphertext


def decrypt(private_key: PrivateKey, public_key: PublicKey, nonce: bytes, box: bytes) -> bytes:
    """The message (type byte + content) of a box; raises CryptoError or ValueError."""
    return unpad(Box(private_key, public_key).decrypt(box, nonce))


def text_parts(text: str) -> list[str]:
    """Parts of at most 3,500 bytes (UTF-8), cut where split_text cuts."""
    out: list[str] = []
    for part in split_text(text, MAX_TEXT_BYTES):
        if len(part.encode()) <= MAX_TEXT_BYTES:
            out.append(part)
        else:  # umlauts, emoji: up to 4 bytes a character
            out.extend(split_text(part, MAX_TEXT_BYTES // 4))
    return out


class PublicKeys:
    """Public keys by Threema ID from the gateway, each looked up once (bounded cache)."""

    def __init__(self, size: int = 10_000) -> None:
        self._keys: OrderedDict[str, PublicKey] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.lookups = 0

    async def get(self, api_url: str, gateway_id: str, secret: str, threema_id: str) -> PublicKey:
        """The key of ``threema_id``; raises on a failed lookup."""
        with self._lock:
            key = self._keys.get(threema_id)
        if key is not None:
            return key
        self.lookups += 1
        url = f"{api_url}/pubkeys/{threema_id}"
        params = {"from": gateway_id, "secret": secret}
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            async with session.get(url, params=params) as resp:
                resp.raise_for_status()
                key = PublicKey(bytes.fromhex((await resp.text()).strip()))
        with self._lock:
            self._keys[threema_id] = key
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
        return key


class ThreemaOutput(TextOutput):
    """Encrypted text messages through ``/send_e2e``."""

    def __init__(self, channel: ThreemaInput) -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> str:
        """The channel's name in the tracker."""
        return "threema"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Encrypted to the recipient's public key, split at 3,500 bytes."""
        if kwargs.get("staff"):
            text = STAFF_PREFIX + text
        ch = self.channel

        async def send() -> None:  # the gateway answers 200 with the message id, else raises
            public_key = await ch.public_key(recipient_id)
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                for part in text_parts(text):
                    nonce, box = encrypt(ch.private_key, public_key, part)
                    form = {
                        "from": ch.gateway_id,
                        "to": recipient_id,
                        "nonce": nonce.hex(),
                        "box": box.hex(),
                        "secret": ch.secret,
                    }
                    async with session.post(f"{ch.api_url}/send_e2e", data=form) as resp:
                        resp.raise_for_status()

        await delivery.confirm(kwargs, "threema", send)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """No buttons in Threema: numbered choices."""
        self.channel.choices.remember(recipient_id, buttons)
        await self.send_text_message(recipient_id, numbered_choices(text, buttons), **kwargs)


class ThreemaInput(WebhookInput):
    """``/webhooks/threema/webhook``: the gateway's callback in end-to-end mode."""

    choices = ChoiceMemory()
    keys = PublicKeys()

    @classmethod
    def name(cls) -> str:
        """Rasa's URL convention: /webhooks/threema/webhook."""
        return "threema"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Built by Rasa from the credentials bot.channels.messengers writes."""
        spec = {
            "gateway_id": ("id", ""),
            "secret": ("secret", ""),
            "private_key": ("private_key", ""),
            "api_url": ("api_url", "https://msgapi.threema.ch"),
        }
        return cls(**credential_strings(required_credentials(cls, credentials), spec))

    def __init__(self, gateway_id: str, secret: str, private_key: str, api_url: str) -> None:
        self.gateway_id = gateway_id
        self.secret = secret
        self.private_key = parse_private_key(private_key)
        self.api_url = api_url.rstrip("/")

    async def public_key(self, threema_id: str) -> PublicKey:
        """The citizen's public key (cached after the first lookup)."""
        return await self.keys.get(self.api_url, self.gateway_id, self.secret, threema_id)

    def get_output_channel(self) -> OutputChannel:
        """For replies and pushes (staff replies through Rasa's HTTP API)."""
        return ThreemaOutput(self)

    def reply_channel(self) -> OutputChannel:
        """Answers are encrypted like pushes."""
        return ThreemaOutput(self)

    @staticmethod
    def _form(request: Request) -> dict[str, str]:
        try:
            form = request.form or {}
        except Exception:
            return {}
        return {k: str(form.get(k) or "") for k in (*MAC_FIELDS, "mac")}

    def authenticate(self, request: Request) -> bool:
        """The callback's MAC (and that it is addressed to our gateway ID)."""
        form = self._form(request)
        if not self.secret or not form["mac"]:
            return False
        expected = callback_mac(self.secret, form)
        if not hmac.compare_digest(expected, form["mac"].lower()):
            return False
        return hmac.compare_digest(form["to"], self.gateway_id)

    async def parse(self, request: Request) -> list[Incoming]:
        """The decrypted message; receipts and undecryptable boxes give none."""
        form = self._form(request)
        sender = form["from"]
        if len(sender) != 8:
            raise Unsupported("a Threema ID has 8 characters")
        try:
            nonce, box = binascii.unhexlify(form["nonce"]), binascii.unhexlify(form["box"])
        except (binascii.Error, ValueError) as exc:
            raise Unsupported("nonce or box not hex") from exc
        try:
            public_key = await self.public_key(sender)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("threema public key lookup failed: %s", type(exc).__name__)
            raise RetryLater("public key lookup failed") from exc  # the gateway retries
        try:
            message = decrypt(self.private_key, public_key, nonce, box)
        except (CryptoError, ValueError) as exc:
            # Authentic (MAC) but unreadable: a retry would not help. Logged, not processed.
            logger.warning("threema message not decrypted: %s", type(exc).__name__)
            return []
        kind, content = message[0], message[1:]
        if kind in (TYPE_DELIVERY_RECEIPT, TYPE_TYPING):
            return []
        text = content.decode("utf-8", errors="replace") if kind == TYPE_TEXT else NOT_TEXT
        sent_at = None
        if form["date"].isdigit():
            sent_at = datetime.fromtimestamp(int(form["date"]), timezone.utc)
        return [Incoming(sender, text, form["messageId"], sent_at)]
