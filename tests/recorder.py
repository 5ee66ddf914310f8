"""A local stand-in for the messenger platforms' outbound APIs (the edge of the machine).

Records every request the assistant would have sent to Telegram's Bot API, Meta's
Graph API (Messenger, Instagram, WhatsApp Cloud API) or the Threema Gateway and answers
with the shape those APIs document, so that the real connector code runs unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Call:
    """One recorded request."""

    method: str
    path: str
    body: Any


@dataclass
class Recorder:
    """The running server and what it received."""

    server: ThreadingHTTPServer
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Threema Gateway: public keys by Threema ID (hex), as GET /pubkeys/<id> answers them
    threema_pubkeys: dict[str, str] = field(default_factory=dict)
    # Recipients the platform refuses to deliver to (blocked the bot, left the chat): their
    # sends are answered with the platform's documented error (see _refusal).
    refused: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def texts(self, platform: str, recipient: str) -> list[str]:
        """Texts sent to one recipient on one platform."""
        out = []
        with self.lock:
            calls = list(self.calls)
        for c in calls:
            to_telegram = platform == "telegram" and c.path.endswith("/sendMessage")
            if to_telegram and str(c.body.get("chat_id")) == str(recipient):
                out.append(str(c.body.get("text", "")))
            if platform == "whatsapp" and c.path.endswith("/messages") and "to" in c.body:
                if str(c.body.get("to")) == str(recipient):
                    out.append(_whatsapp_text(c.body))
                continue
            meta = platform in ("facebook", "instagram")
            to_facebook = meta and c.path.endswith("/me/messages")
            if to_facebook and str((c.body.get("recipient") or {}).get("id")) == str(recipient):
                msg = c.body.get("message") or {}
                text = msg.get("text") or (
                    (msg.get("attachment") or {}).get("payload", {}).get("text")
                )
                if text:
                    out.append(str(text))
        return out

    def wait_for(self, platform: str, recipient: str, count: int, timeout: float = 30) -> list[str]:
        """Waits until at least ``count`` texts reached the recipient."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts(platform, recipient)
            if len(texts) >= count:
                return texts
            time.sleep(0.1)
        return self.texts(platform, recipient)


def _whatsapp_text(body: dict[str, Any]) -> str:
    """The visible text of a Cloud API message; a template as ``[template:<name>]``."""
    kind = body.get("type")
    if kind == "text":
        return str((body.get("text") or {}).get("body", ""))
    if kind == "interactive":
        return str(((body.get("interactive") or {}).get("body") or {}).get("text", ""))
    if kind == "template":
        return f"[template:{(body.get('template') or {}).get('name')}]"
    return ""


def _parse(raw: bytes, content_type: str) -> Any:
    if not raw:
        return {}
    if "json" in content_type:
        return json.loads(raw)
    if "x-www-form-urlencoded" in content_type:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(raw.decode()))
    if "multipart/form-data" in content_type:
        # aiogram posts form data; keep the simple text fields
        import email.parser
        import email.policy

        msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (
                part.get_content().strip() if part.get_content_type() == "text/plain" else ""
            )
        return fields
    return {"raw": raw.decode(errors="replace")}


def _recipient(path: str, body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    if path.endswith("/sendMessage"):
        return str(body.get("chat_id", ""))
    if path.endswith("/me/messages"):
        return str((body.get("recipient") or {}).get("id", ""))
    return str(body.get("to", ""))  # WhatsApp Cloud API, Threema /send_e2e


def _refusal(path: str, body: Any, refused: set[str]) -> tuple[int, str, bytes] | None:
    """The platform's answer when it does not deliver to a recipient, shaped as documented:
    Telegram 403 "bot was blocked by the user", Graph API 400 (#551) "This person isn't
    available right now", WhatsApp 400 (#131026) "Message undeliverable", Threema 400."""
    recipient = _recipient(path, body)
    if not recipient or recipient not in refused:
        return None
    if path.endswith("/sendMessage"):
        payload: Any = {
            "ok": False,
            "error_code": 403,
            "description": "Forbidden: bot was blocked by the user",
        }
        return 403, "application/json", json.dumps(payload).encode()
    if path == "/send_e2e":
        return 400, "text/plain", b""
    whatsapp = path.endswith("/messages") and not path.endswith("/me/messages")
    error = (
        {"message": "Message undeliverable", "type": "OAuthException", "code": 131026}
        if whatsapp
        else {
            "message": "(#551) This person isn't available right now.",
            "type": "OAuthException",
            "code": 551,
            "error_subcode": 1545041,
        }
    )
    payload = {"error": {**error, "fbtrace_id": "AbCdEfGhIjK"}}
    return 400, "application/json", json.dumps(payload).encode()


def start_recorder() -> Recorder:
    """Starts the recorder on a free loopback port."""
    holder: dict[str, Recorder] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = _parse(self.rfile.read(length), self.headers.get("Content-Type") or "")
            rec = holder["r"]
            path = self.path.split("?", 1)[0]
            refusal = _refusal(path, body, rec.refused)
            if refusal is None:  # a refused send did not reach anybody: not recorded
                with rec.lock:
                    rec.calls.append(Call(self.command, path, body))
            if refusal is not None:
                status, content_type, data = refusal
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if path.startswith("/pubkeys/") or path == "/send_e2e":  # Threema Gateway
                if path == "/send_e2e":
                    text = f"{len(rec.calls):016x}"
                else:
                    text = rec.threema_pubkeys.get(path.rsplit("/", 1)[-1], "")
                data = text.encode()
                self.send_response(200 if text else 404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if "/bot" in path:  # Telegram Bot API
                method = path.rsplit("/", 1)[-1]
                if method == "sendMessage":
                    result: Any = {
                        "message_id": len(rec.calls),
                        "date": 1700000000,
                        "chat": {"id": int(str(body.get("chat_id", 0)) or 0), "type": "private"},
                        "text": body.get("text", ""),
                    }
                elif method == "getMe":
                    result = {
                        "id": 1,
                        "is_bot": True,
                        "first_name": "Musterstadt",
                        "username": "musterstadt_bot",
                    }
                else:
                    result = True
                payload = {"ok": True, "result": result}
            else:  # Graph API
                payload = {"recipient_id": "x", "message_id": f"m{len(rec.calls)}"}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Recorder(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder["r"]
