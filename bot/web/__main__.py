"""``python -m bot.web``: serves the web app on BIND_HOST:WEB_PORT."""

from __future__ import annotations

from bot.config import load_or_exit
from bot.logging_setup import setup_logging
from bot.web.app import create_app


def main() -> None:
    """Runs the web app (blocking)."""
    settings = load_or_exit()
    setup_logging(settings.state_dir, "web", settings.log_level)
    app = create_app(settings)
    app.run(
        host=settings.bind_host, port=settings.web_port, access_log=False, motd=False, workers=1
    )


if __name__ == "__main__":
    main()
