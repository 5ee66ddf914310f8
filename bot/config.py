"""Configuration from the environment, read in one place.

Every variable is documented in `.env.example`. Nothing here is read at import time:
call :func:`load` (or :func:`Settings.from_env`) where the value is needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FEED = REPO_ROOT / "data" / "knowledge" / "closures-demo.geojson"
FEED_FILE = DEFAULT_FEED.name  # the default feed: this file of KNOWLEDGE_DIR
TIMEZONE = ZoneInfo("Europe/Berlin")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    return (env.get(name) or default).rstrip("/")


@dataclass(frozen=True)
class Settings:
    """The operating contract's settings (see README, "Konfiguration")."""

    bind_host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8080
    state_dir: Path = REPO_ROOT / "var"
    knowledge_dir: Path = REPO_ROOT / "data" / "knowledge"
    bot_api_token: str = ""
    handoff_api_token: str = ""
    tracker_store_url: str = ""
    handoff_db_url: str = ""
    lock_store_url: str = ""
    closures_feed_url: str = ""
    closures_ttl_seconds: int = 300
    fixed_now: str = ""
    log_level: str = "INFO"
    retention_conversation_days: int = 90
    retention_ticket_days: int = 365
    retention_dry_run: bool = False
    retention_hour: int = 3
    rate_limit_per_ip_per_minute: int = 120
    trusted_proxies: tuple[str, ...] = ()
    resume_token_hours: int = 72
    resume_failures_per_hour: int = 10
    site_origins: tuple[str, ...] = ("http://127.0.0.1:8080", "http://localhost:8080")
    socket_connections_per_ip: int = 20
    socket_messages_per_minute: int = 30
    socket_messages_per_ip_per_minute: int = 60
    socket_metadata_max_bytes: int = 4096
    action_server_token: str = ""
    socketio_redis_url: str = ""
    request_max_bytes: int = 1_000_000
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 20
    login_lockout_minutes: int = 15
    staff_idle_minutes: int = 30
    # messengers (each enabled when all of its variables are set; see bot.channels.messengers)
    whatsapp_verify_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_access_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_template_name: str = ""
    whatsapp_template_language: str = "de"
    whatsapp_graph_url: str = "https://graph.facebook.com/v19.0"
    instagram_verify_token: str = ""
    instagram_app_secret: str = ""
    instagram_access_token: str = ""
    instagram_graph_url: str = "https://graph.facebook.com/v19.0"
    threema_id: str = ""
    threema_secret: str = ""
    threema_private_key: str = ""
    threema_api_url: str = "https://msgapi.threema.ch"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Builds settings from an environment mapping (default: ``os.environ``)."""
        env = os.environ if env is None else env
        state_dir = Path(env.get("STATE_DIR") or REPO_ROOT / "var").resolve()
        bind_host = env.get("BIND_HOST") or "127.0.0.1"
        web_port = _int(env, "WEB_PORT", 8080)
        origins = tuple(
            o.strip().rstrip("/") for o in env.get("SITE_ORIGINS", "").split(",") if o.strip()
        ) or (f"http://{_loopback(bind_host)}:{web_port}", f"http://localhost:{web_port}")
        knowledge_dir = Path(env.get("KNOWLEDGE_DIR") or REPO_ROOT / "data" / "knowledge")
        return cls(
            bind_host=env.get("BIND_HOST") or "127.0.0.1",
            rasa_port=_int(env, "RASA_PORT", 5005),
            actions_port=_int(env, "ACTIONS_PORT", 5055),
            web_port=_int(env, "WEB_PORT", 8080),
            state_dir=state_dir,
            knowledge_dir=knowledge_dir,
            bot_api_token=env.get("BOT_API_TOKEN", ""),
            handoff_api_token=env.get("HANDOFF_API_TOKEN", ""),
            tracker_store_url=env.get("TRACKER_STORE_URL") or f"sqlite:///{state_dir / 'rasa.db'}",
            handoff_db_url=env.get("HANDOFF_DB_URL") or f"sqlite:///{state_dir / 'handoff.db'}",
            lock_store_url=env.get("LOCK_STORE_URL", ""),
            # Another city's directory has no demo feed: without CLOSURES_FEED_URL its
            # answer is "not available" with its own contact, never the demo city's streets.
            closures_feed_url=env.get("CLOSURES_FEED_URL")
            or (knowledge_dir.resolve() / FEED_FILE).as_uri(),
            closures_ttl_seconds=_int(env, "CLOSURES_TTL_SECONDS", 300),
            fixed_now=env.get("BOT_FIXED_NOW", ""),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            retention_conversation_days=_int(env, "RETENTION_CONVERSATION_DAYS", 90),
            retention_ticket_days=_int(env, "RETENTION_TICKET_DAYS", 365),
            retention_dry_run=_bool(env, "RETENTION_DRY_RUN"),
            retention_hour=_int(env, "RETENTION_HOUR", 3),
            rate_limit_per_ip_per_minute=_int(env, "RATE_LIMIT_PER_IP_PER_MINUTE", 120),
            trusted_proxies=tuple(
                p.strip() for p in env.get("TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            resume_token_hours=_int(env, "RESUME_TOKEN_HOURS", 72),
            resume_failures_per_hour=_int(env, "RESUME_FAILURES_PER_HOUR", 10),
            site_origins=origins,
            socket_connections_per_ip=_int(env, "SOCKET_CONNECTIONS_PER_IP", 20),
            socket_messages_per_minute=_int(env, "SOCKET_MESSAGES_PER_MINUTE", 30),
            socket_messages_per_ip_per_minute=_int(env, "SOCKET_MESSAGES_PER_IP_PER_MINUTE", 60),
            socket_metadata_max_bytes=_int(env, "SOCKET_METADATA_MAX_BYTES", 4096),
            action_server_token=env.get("ACTION_SERVER_TOKEN", ""),
            socketio_redis_url=env.get("SOCKETIO_REDIS_URL", ""),
            request_max_bytes=_int(env, "REQUEST_MAX_BYTES", 1_000_000),
            login_failures_per_account=_int(env, "LOGIN_FAILURES_PER_ACCOUNT", 5),
            login_failures_per_ip=_int(env, "LOGIN_FAILURES_PER_IP", 20),
            login_lockout_minutes=_int(env, "LOGIN_LOCKOUT_MINUTES", 15),
            staff_idle_minutes=_int(env, "STAFF_IDLE_MINUTES", 30),
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
            whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET", ""),
            whatsapp_access_token=env.get("WHATSAPP_ACCESS_TOKEN", ""),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            whatsapp_template_name=env.get("WHATSAPP_TEMPLATE_NAME", ""),
            whatsapp_template_language=env.get("WHATSAPP_TEMPLATE_LANGUAGE") or "de",
            whatsapp_graph_url=_url(env, "WHATSAPP_GRAPH_URL", cls.whatsapp_graph_url),
            instagram_verify_token=env.get("INSTAGRAM_VERIFY_TOKEN", ""),
            instagram_app_secret=env.get("INSTAGRAM_APP_SECRET", ""),
            instagram_access_token=env.get("INSTAGRAM_ACCESS_TOKEN", ""),
            instagram_graph_url=_url(env, "INSTAGRAM_GRAPH_URL", cls.instagram_graph_url),
            threema_id=env.get("THREEMA_ID", ""),
            threema_secret=env.get("THREEMA_SECRET", ""),
            threema_private_key=env.get("THREEMA_PRIVATE_KEY", ""),
            threema_api_url=_url(env, "THREEMA_API_URL", cls.threema_api_url),
        )

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server as seen from this machine."""
        return f"http://{_loopback(self.bind_host)}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        """Base URL of the action server: always on loopback (only Rasa may call it)."""
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def web_url(self) -> str:
        """Base URL of the web app as seen from this machine."""
        return f"http://{_loopback(self.bind_host)}:{self.web_port}"

    def now(self) -> datetime:
        """The current time in Europe/Berlin, or ``BOT_FIXED_NOW`` when set (tests, demos)."""
        if self.fixed_now:
            fixed = datetime.fromisoformat(self.fixed_now)
            return fixed if fixed.tzinfo else fixed.replace(tzinfo=TIMEZONE)
        return datetime.now(TIMEZONE)


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104


def load() -> Settings:
    """Settings of the current process environment."""
    return Settings.from_env()
