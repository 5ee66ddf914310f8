"""Starts rasa-sdk's action server for the ``actions`` package on 127.0.0.1:ACTIONS_PORT.

Only Rasa may call it: the server listens on loopback whatever ``BIND_HOST`` says, answers
403 to any other peer, and ``/webhook`` needs the shared ``ACTION_SERVER_TOKEN`` that
Rasa's action endpoint sends (``token:`` in endpoints.yml, as ``?token=``). ``/health``
stays open to loopback for the web app's health check.
"""

from __future__ import annotations

import hmac
from typing import Any

from bot.config import load_or_exit
from bot.logging_setup import setup_logging

REQUEST_MAX_SIZE = 1_000_000  # a tracker window of 200 events is far below this


def guard_action_server(app: Any, token: str) -> None:
    """Adds the loopback check and the shared token to rasa-sdk's Sanic app."""
    from sanic.response import json

    from bot.ratelimit import is_loopback

    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_SIZE

    @app.middleware("request")
    async def only_rasa(request: Any) -> Any:
        if not is_loopback(request.ip or ""):
            return json({"error": "forbidden"}, status=403)
        if request.path.rstrip("/") == "/health":
            return None
        sent = str(request.args.get("token") or "")
        if not token or not hmac.compare_digest(sent.encode(), token.encode()):
            return json({"error": "forbidden"}, status=403)
        return None


def main() -> None:
    """Runs the action server (blocking)."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.utils import number_of_sanic_workers

    settings = load_or_exit()
    setup_logging(settings.state_dir, "actions", settings.log_level)
    app = create_app("actions", cors_origins=[])
    guard_action_server(app, settings.action_server_token)
    app.run("127.0.0.1", settings.actions_port, workers=number_of_sanic_workers())


if __name__ == "__main__":
    main()
