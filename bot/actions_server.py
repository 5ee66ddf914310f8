"""Starts rasa-sdk's action server for the ``actions`` package on BIND_HOST:ACTIONS_PORT."""

from __future__ import annotations

import os

from bot.config import Settings
from bot.logging_setup import setup_logging


def main() -> None:
    """Runs the action server (blocking)."""
    from rasa_sdk.endpoint import run

    settings = Settings.from_env()
    setup_logging(settings.state_dir, "actions", settings.log_level)
    os.environ["SANIC_HOST"] = settings.bind_host  # rasa-sdk reads the host from here
    run("actions", port=settings.actions_port, cors_origins=[])


if __name__ == "__main__":
    main()
