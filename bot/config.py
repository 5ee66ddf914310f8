"""Every environment variable of the project, declared once, typed and validated.

:class:`Settings` is a pydantic 1.10 ``BaseSettings`` (pydantic is pinned by Rasa). Each
field names its variable (``env=``), its default, its range or allowed values and a
one-line description; ``.env.example`` and the README's table are generated from these
declarations (``python -m bot.config env-example`` / ``readme-table``, checked by
``tests/unit/test_config.py``). A bad value stops the start with a :class:`SettingsError`
that names the variable: the processes of the stack load their settings first thing.

Nothing here is read at import time: call :func:`load` (or :meth:`Settings.from_env`)
where the process starts and hand the object to the components. This module is the only
one of ``bot/`` and ``actions/`` that reads ``os.environ``. An empty value counts as
unset (``FOO=`` in ``.env`` keeps the default).

Not declared here, because ``make run`` derives them for its child processes from the
settings and overwrites what the environment says: :data:`DERIVED`.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseSettings, Field, ValidationError, root_validator, validator

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FEED = REPO_ROOT / "data" / "knowledge" / "closures-demo.geojson"
FEED_FILE = DEFAULT_FEED.name  # the default feed: this file of KNOWLEDGE_DIR
TIMEZONE = ZoneInfo("Europe/Berlin")
META_GRAPH_URL = "https://graph.facebook.com/v19.0"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

DERIVED = {
    "ACTION_ENDPOINT_URL": "endpoints.yml: the action server on 127.0.0.1:ACTIONS_PORT",
    "SANIC_REQUEST_MAX_SIZE": "Rasa's request limit, from REQUEST_MAX_BYTES",
    "SANIC_HOST": "Rasa's interface, from BIND_HOST",
    "PYTHONUNBUFFERED": "log lines appear at once",
}
"""Variables ``make run`` sets for its processes from the settings (not operator input)."""

GROUPS = {
    "network": "network (everything binds to loopback unless BIND_HOST says otherwise)",
    "state": "state",
    "secrets": "secrets (generated into STATE_DIR/secrets/ on first start when empty)",
    "stores": "stores (defaults: SQLite in STATE_DIR, in-memory locks)",
    "closures": "road closures",
    "handoff": "handoff, notifications, staff web app",
    "limits": "limits of the public side",
    "privacy": "data protection (docs/OPERATIONS.md, 'Data protection')",
    "performance": "performance and faults (docs/PERFORMANCE.md)",
    "messengers": "messengers (a channel is enabled when all of its variables are set)",
    "misc": "misc",
}
"""Sections of ``.env.example``, in this order."""

_SOURCE: ContextVar[Mapping[str, str] | None] = ContextVar("bot_config_source", default=None)


class SettingsError(ValueError):
    """One or more environment variables have a bad value (the message names each)."""


def _var(
    default: Any,
    name: str,
    description: str,
    group: str,
    *,
    shown: str | None = None,
    example: str | None = None,
    **constraints: Any,
) -> Any:
    """A declared variable: ``shown`` is the default as documented, ``example`` the
    value ``.env.example`` writes (both derived from ``default`` unless given)."""
    return Field(
        default,
        env=name,
        description=description,
        group=group,
        shown=shown,
        example=example,
        **constraints,
    )


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


def _check_scheme(value: str, schemes: tuple[str, ...], what: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise ValueError(f"must be {what} ({' or '.join(s + '://' for s in schemes)})")
    return value


class Settings(BaseSettings):
    """The operating contract's settings (README, "Configuration")."""

    # --- network
    bind_host: str = _var(
        "127.0.0.1",
        "BIND_HOST",
        "interface of all three servers; 0.0.0.0 only behind a reverse proxy",
        "network",
    )
    rasa_port: int = _var(
        5005,
        "RASA_PORT",
        "Rasa server: REST and socket.io chat, messenger webhooks, HTTP API (token only)",
        "network",
        ge=1,
        le=65535,
    )
    actions_port: int = _var(
        5055,
        "ACTIONS_PORT",
        "action server; never public: listens on 127.0.0.1 only, whatever BIND_HOST says",
        "network",
        ge=1,
        le=65535,
    )
    web_port: int = _var(
        8080,
        "WEB_PORT",
        "web app: website page, staff inbox, /health, /api",
        "network",
        ge=1,
        le=65535,
    )
    # --- state
    state_dir: Path = _var(
        REPO_ROOT / "var",
        "STATE_DIR",
        "SQLite files, feed cache, logs (logs/*.jsonl), generated secrets, the maintenance switch",
        "state",
        shown="./var",
        example="./var",
    )
    knowledge_dir: Path = _var(
        REPO_ROOT / "data" / "knowledge",
        "KNOWLEDGE_DIR",
        "the city: offices, services, city.yml, handoff.yml, special hours (re-read when "
        "changed); another city: a directory from `make import-dldb` or `make import-csv` "
        "(docs/IMPORT.md)",
        "state",
        shown="./data/knowledge",
        example="./data/knowledge",
    )
    # --- secrets
    bot_api_token: str = _var(
        "",
        "BOT_API_TOKEN",
        "Rasa HTTP API token (?token=); without it every API call is refused (401)",
        "secrets",
        shown="generated",
    )
    handoff_api_token: str = _var(
        "", "HANDOFF_API_TOKEN", "Bearer token of GET /api/handoffs", "secrets", shown="generated"
    )
    web_secret_key: str = _var(
        "",
        "WEB_SECRET_KEY",
        "key of the HMAC that stands for a sender id in the erasure audit log "
        "(staff sessions are random server-side tokens, nothing is signed with it)",
        "secrets",
        shown="generated",
    )
    action_server_token: str = _var(
        "",
        "ACTION_SERVER_TOKEN",
        "shared secret Rasa's action endpoint sends (?token=); the action server checks it",
        "secrets",
        shown="generated",
    )
    # --- stores
    tracker_store_url: str = _var(
        "",
        "TRACKER_STORE_URL",
        "Rasa's conversations, e.g. postgresql://rasa:secret@db:5432/rasa",
        "stores",
        shown="SQLite in STATE_DIR",
    )
    handoff_db_url: str = _var(
        "",
        "HANDOFF_DB_URL",
        "tickets, staff accounts, backlog, e.g. postgresql://rasa:secret@db:5432/handoff",
        "stores",
        shown="SQLite in STATE_DIR",
    )
    lock_store_url: str = _var(
        "",
        "LOCK_STORE_URL",
        "e.g. redis://127.0.0.1:6379/1 (required with several Rasa instances)",
        "stores",
        shown="in memory",
    )
    # --- road closures
    closures_feed_url: str = _var(
        "",
        "CLOSURES_FEED_URL",
        "https://, http:// or file://, VIZ GeoJSON or DATEX II; "
        "default: KNOWLEDGE_DIR/closures-demo.geojson (the demo feed)",
        "closures",
        shown="demo feed",
    )
    closures_ttl_seconds: int = _var(
        300,
        "CLOSURES_TTL_SECONDS",
        "how long a fetched feed is served from the cache",
        "closures",
        ge=0,
    )
    # --- handoff
    handoff_interim_after_hours: float | None = _var(
        None,
        "HANDOFF_INTERIM_AFTER_HOURS",
        "overrides interim_after_hours of data/knowledge/handoff.yml (0: at the next job round)",
        "handoff",
        shown="handoff.yml",
        ge=0,
    )
    smtp_host: str = _var(
        "", "SMTP_HOST", "staff notifications by e-mail; off when empty", "handoff", shown="unset"
    )
    smtp_port: int = _var(25, "SMTP_PORT", "port of SMTP_HOST", "handoff", ge=1, le=65535)
    smtp_from: str = _var(
        "",
        "SMTP_FROM",
        "sender address; default: buergerservice@ the city's first public e-mail domain",
        "handoff",
        shown="from city.yml",
    )
    smtp_user: str = _var("", "SMTP_USER", "SMTP login (none when empty)", "handoff")
    smtp_password: str = _var("", "SMTP_PASSWORD", "SMTP password", "handoff")
    smtp_starttls: bool = _var(
        False, "SMTP_STARTTLS", "1: STARTTLS before login", "handoff", shown="off", example=""
    )
    web_cookie_secure: bool = _var(
        False,
        "WEB_COOKIE_SECURE",
        "1: staff session cookie only over HTTPS (set behind TLS)",
        "handoff",
        shown="off",
        example="",
    )
    job_interval_seconds: float = _var(
        30.0,
        "JOB_INTERVAL_SECONDS",
        "how often notifications and interim messages are checked",
        "handoff",
        shown="30",
        example="30",
        gt=0,
    )
    staff_password: str = _var(
        "",
        "STAFF_PASSWORD",
        "`make user` / `bot.cli user`: the new account's password instead of a prompt",
        "handoff",
        shown="asked",
    )
    login_failures_per_account: int = _var(
        5,
        "LOGIN_FAILURES_PER_ACCOUNT",
        "failed staff logins per account within LOGIN_LOCKOUT_MINUTES before it is locked "
        "(audited)",
        "handoff",
        ge=1,
    )
    login_failures_per_ip: int = _var(
        20,
        "LOGIN_FAILURES_PER_IP",
        "failed staff logins per client IP within LOGIN_LOCKOUT_MINUTES before that IP is "
        "locked out",
        "handoff",
        ge=1,
    )
    login_lockout_minutes: int = _var(
        15, "LOGIN_LOCKOUT_MINUTES", "window and duration of the login lockout", "handoff", ge=1
    )
    staff_idle_minutes: int = _var(
        30,
        "STAFF_IDLE_MINUTES",
        "a staff session ends after this long without a request (8 hours at most)",
        "handoff",
        ge=1,
        le=480,
    )
    # --- limits of the public side
    rate_limit_per_minute: int = _var(
        20,
        "RATE_LIMIT_PER_MINUTE",
        "chat messages per sender and minute before a 'please wait' notice",
        "limits",
        ge=1,
    )
    rate_limit_per_ip_per_minute: int = _var(
        120,
        "RATE_LIMIT_PER_IP_PER_MINUTE",
        "requests per client IP and minute on the public routes (webhooks, website, /api): "
        "HTTP 429 with Retry-After above; 0 = off; loopback exempt",
        "limits",
        ge=0,
    )
    trusted_proxies: tuple[str, ...] = _var(
        (),
        "TRUSTED_PROXIES",
        "reverse proxies whose X-Forwarded-For is believed, comma-separated IPs or ranges, "
        "e.g. 127.0.0.1 (nginx on this machine); empty: the socket peer counts",
        "limits",
        shown="unset",
    )
    site_origins: tuple[str, ...] = _var(
        (),
        "SITE_ORIGINS",
        "origins whose pages may open the chat socket, comma-separated, e.g. "
        "https://www.musterstadt.de; empty: http://127.0.0.1:WEB_PORT, http://localhost:WEB_PORT",
        "limits",
        shown="the web app's own address",
    )
    socketio_redis_url: str = _var(
        "",
        "SOCKETIO_REDIS_URL",
        "several Rasa instances: socket.io rooms shared via Redis (a staff reply reaches the "
        "citizen on any instance), e.g. redis://127.0.0.1:6379/2",
        "limits",
        shown="unset",
    )
    socket_connections_per_ip: int = _var(
        20,
        "SOCKET_CONNECTIONS_PER_IP",
        "open chat sockets per client IP (loopback exempt, see TRUSTED_PROXIES)",
        "limits",
        ge=1,
    )
    socket_messages_per_minute: int = _var(
        30,
        "SOCKET_MESSAGES_PER_MINUTE",
        "chat messages per socket connection and minute; more are dropped with one notice",
        "limits",
        ge=1,
    )
    socket_messages_per_ip_per_minute: int = _var(
        60,
        "SOCKET_MESSAGES_PER_IP_PER_MINUTE",
        "chat messages per client IP and minute (loopback exempt)",
        "limits",
        ge=1,
    )
    socket_metadata_max_bytes: int = _var(
        4096,
        "SOCKET_METADATA_MAX_BYTES",
        "a chat message's customData above this is dropped, never stored",
        "limits",
        ge=0,
    )
    staff_delivery_ack_seconds: int = _var(
        5,
        "STAFF_DELIVERY_ACK_SECONDS",
        "a staff reply counts as delivered on the website only when the widget confirms it "
        "within this time",
        "limits",
        ge=1,
        le=60,
    )
    request_max_bytes: int = _var(
        1_000_000,
        "REQUEST_MAX_BYTES",
        "largest request body of every server (Rasa's via SANIC_REQUEST_MAX_SIZE): 413 above",
        "limits",
        ge=1024,
    )
    resume_token_hours: int = _var(
        72,
        "RESUME_TOKEN_HOURS",
        "a messenger case's website link (?fortsetzen=<token>) is valid this long, and once",
        "limits",
        ge=1,
    )
    resume_failures_per_hour: int = _var(
        10,
        "RESUME_FAILURES_PER_HOUR",
        "failed resume attempts per client and hour; above, attempts are refused unseen",
        "limits",
        ge=1,
    )
    # --- data protection
    retention_conversation_days: int = _var(
        90,
        "RETENTION_CONVERSATION_DAYS",
        "delete conversations whose last message is older (never with an open ticket); 0 = keep",
        "privacy",
        ge=0,
    )
    retention_ticket_days: int = _var(
        365,
        "RETENTION_TICKET_DAYS",
        "delete closed tickets with their messages this long after closing; 0 = keep",
        "privacy",
        ge=0,
    )
    retention_dry_run: bool = _var(
        False,
        "RETENTION_DRY_RUN",
        "1: the daily run only counts and logs what it would delete",
        "privacy",
        shown="off",
        example="",
    )
    retention_hour: int = _var(
        3,
        "RETENTION_HOUR",
        "local hour from which the daily run starts (and once after each start)",
        "privacy",
        ge=0,
        le=23,
    )
    # --- performance and faults
    action_timeout_seconds: float = _var(
        30.0,
        "ACTION_TIMEOUT_SECONDS",
        "slower action-server calls end with the 'technische Störung' notice",
        "performance",
        shown="30",
        example="30",
        gt=0,
    )
    tracker_cache_size: int = _var(
        200,
        "TRACKER_CACHE_SIZE",
        "conversations Rasa keeps in memory between turns (checked against the store every "
        "turn); 0 = always load from the store",
        "performance",
        ge=0,
    )
    action_events_window: int = _var(
        200,
        "ACTION_EVENTS_WINDOW",
        "latest events sent to the action server with each call (at least 50)",
        "performance",
        ge=50,
    )
    rasa_telemetry_enabled: bool = _var(
        False,
        "RASA_TELEMETRY_ENABLED",
        "read by Rasa itself; make run sets false unless given: no usage data to Rasa's servers",
        "performance",
        shown="false",
        example="false",
    )
    # --- messengers
    facebook_verify_token: str = _var(
        "", "FACEBOOK_VERIFY_TOKEN", "token Meta sends when verifying the webhook", "messengers"
    )
    facebook_app_secret: str = _var(
        "",
        "FACEBOOK_APP_SECRET",
        "app secret: checks X-Hub-Signature-256 of every webhook call",
        "messengers",
    )
    facebook_page_access_token: str = _var(
        "", "FACEBOOK_PAGE_ACCESS_TOKEN", "page token to send replies", "messengers"
    )
    facebook_graph_url: str = _var(
        "",
        "FACEBOOK_GRAPH_URL",
        "Graph API base of the Facebook channel (a test double or proxy); default: Meta's",
        "messengers",
        shown="Meta's",
    )
    telegram_bot_token: str = _var("", "TELEGRAM_BOT_TOKEN", "token from @BotFather", "messengers")
    telegram_bot_name: str = _var("", "TELEGRAM_BOT_NAME", "the bot's user name", "messengers")
    telegram_webhook_url: str = _var(
        "",
        "TELEGRAM_WEBHOOK_URL",
        "public https URL of /webhooks/telegram/webhook",
        "messengers",
    )
    telegram_secret_token: str = _var(
        "",
        "TELEGRAM_SECRET_TOKEN",
        "checked against X-Telegram-Bot-Api-Secret-Token",
        "messengers",
    )
    telegram_api_url: str = _var(
        "",
        "TELEGRAM_API_URL",
        "Bot API base (a local Bot API server or a test double); default: Telegram's",
        "messengers",
        shown="Telegram's",
    )
    whatsapp_verify_token: str = _var(
        "",
        "WHATSAPP_VERIFY_TOKEN",
        "WhatsApp Cloud API: token Meta sends when verifying the webhook",
        "messengers",
    )
    whatsapp_app_secret: str = _var(
        "",
        "WHATSAPP_APP_SECRET",
        "the Meta app's secret: checks X-Hub-Signature-256 of every webhook call",
        "messengers",
    )
    whatsapp_access_token: str = _var(
        "",
        "WHATSAPP_ACCESS_TOKEN",
        "system-user access token with whatsapp_business_messaging",
        "messengers",
    )
    whatsapp_phone_number_id: str = _var(
        "",
        "WHATSAPP_PHONE_NUMBER_ID",
        "the sending number's id (not the number itself)",
        "messengers",
    )
    whatsapp_template_name: str = _var(
        "",
        "WHATSAPP_TEMPLATE_NAME",
        "approved template sent instead of a staff message after 24 h of silence; "
        "empty: such a message is not delivered (the inbox says so)",
        "messengers",
    )
    whatsapp_template_language: str = _var(
        "de", "WHATSAPP_TEMPLATE_LANGUAGE", "the template's language code", "messengers"
    )
    whatsapp_graph_url: str = _var(
        META_GRAPH_URL,
        "WHATSAPP_GRAPH_URL",
        "Graph API base of the WhatsApp channel (a test double or proxy)",
        "messengers",
    )
    instagram_verify_token: str = _var(
        "",
        "INSTAGRAM_VERIFY_TOKEN",
        "Instagram direct messages: token Meta sends when verifying the webhook",
        "messengers",
    )
    instagram_app_secret: str = _var(
        "",
        "INSTAGRAM_APP_SECRET",
        "the Meta app's secret: checks X-Hub-Signature-256 of every webhook call",
        "messengers",
    )
    instagram_access_token: str = _var(
        "",
        "INSTAGRAM_ACCESS_TOKEN",
        "Page access token of the Page linked to the city's Instagram account",
        "messengers",
    )
    instagram_graph_url: str = _var(
        META_GRAPH_URL,
        "INSTAGRAM_GRAPH_URL",
        "Graph API base of the Instagram channel (a test double or proxy)",
        "messengers",
    )
    threema_id: str = _var(
        "", "THREEMA_ID", "Threema Gateway ID in end-to-end mode, e.g. *MSTADT1", "messengers"
    )
    threema_secret: str = _var(
        "",
        "THREEMA_SECRET",
        "the gateway's API secret: checks the MAC of every callback",
        "messengers",
    )
    threema_private_key: str = _var(
        "",
        "THREEMA_PRIVATE_KEY",
        "the gateway's private key, 64 hex digits (optionally 'private:...')",
        "messengers",
    )
    threema_api_url: str = _var(
        "https://msgapi.threema.ch",
        "THREEMA_API_URL",
        "gateway base URL (a test double)",
        "messengers",
    )
    # --- misc
    log_level: str = _var("INFO", "LOG_LEVEL", f"one of {', '.join(LOG_LEVELS)}", "misc")
    fixed_now: str = _var(
        "",
        "BOT_FIXED_NOW",
        "ISO time the assistant treats as 'now' (tests and demos only)",
        "misc",
        shown="unset",
    )

    class Config:
        frozen = True
        case_sensitive = True

        @classmethod
        def customise_sources(
            cls, init_settings: Any, env_settings: Any, file_secret_settings: Any
        ) -> tuple[Callable[[BaseSettings], dict[str, Any]], ...]:
            """Keyword arguments first, then the environment (or the mapping of
            :meth:`Settings.from_env`); no ``.env`` file, no secrets directory."""
            return (init_settings, _environment)

    # --- validation (messages name the field; SettingsError turns them into variables)

    @validator("log_level", pre=True)
    def _log_level(cls, value: Any) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @validator("trusted_proxies", pre=True)
    def _proxies(cls, value: Any) -> Any:
        entries = _comma_list(value)
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is no IP address or range") from None
        return entries

    @validator("site_origins", pre=True)
    def _origins(cls, value: Any) -> Any:
        origins = tuple(o.rstrip("/") for o in _comma_list(value))
        for origin in origins:
            _check_scheme(origin, ("https", "http"), "an origin")
        return origins

    @validator("closures_feed_url")
    def _feed(cls, value: str) -> str:
        return _check_scheme(value, ("https", "http", "file"), "a URL")

    @validator("tracker_store_url", "handoff_db_url")
    def _database(cls, value: str) -> str:
        dialect = urlsplit(value).scheme.split("+", 1)[0]  # postgresql+psycopg2 too
        if value and dialect not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @validator("lock_store_url", "socketio_redis_url")
    def _redis(cls, value: str) -> str:
        return _check_scheme(value, ("redis", "rediss"), "a Redis URL")

    @validator(
        "whatsapp_graph_url",
        "instagram_graph_url",
        "threema_api_url",
        "facebook_graph_url",
        "telegram_api_url",
    )
    def _api_base(cls, value: str) -> str:
        return _check_scheme(value, ("https", "http"), "a URL").rstrip("/")

    @validator("telegram_webhook_url")
    def _webhook(cls, value: str) -> str:
        return _check_scheme(value, ("https",), "a public URL")

    @validator("fixed_now")
    def _fixed_now(cls, value: str) -> str:
        if value:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("must be an ISO date and time") from None
        return value

    @root_validator(skip_on_failure=True)
    def _derived(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Defaults that follow from other settings."""
        state_dir = Path(values["state_dir"]).resolve()
        values["state_dir"] = state_dir
        values["tracker_store_url"] = (
            values["tracker_store_url"] or f"sqlite:///{state_dir / 'rasa.db'}"
        )
        values["handoff_db_url"] = (
            values["handoff_db_url"] or f"sqlite:///{state_dir / 'handoff.db'}"
        )
        # Another city's directory has no demo feed: without CLOSURES_FEED_URL its answer
        # is "not available" with its own contact, never the demo city's streets.
        values["closures_feed_url"] = (
            values["closures_feed_url"]
            or (Path(values["knowledge_dir"]).resolve() / FEED_FILE).as_uri()
        )
        if not values["site_origins"]:
            port = values["web_port"]
            values["site_origins"] = (
                f"http://{_loopback(values['bind_host'])}:{port}",
                f"http://localhost:{port}",
            )
        return values

    # --- construction

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings of an environment mapping (default: ``os.environ``) and nothing else.

        Raises:
            SettingsError: naming every variable with a bad value.
        """
        token = _SOURCE.set(os.environ if env is None else env)
        try:
            return cls()
        except ValidationError as exc:
            raise SettingsError(_explain(exc, _SOURCE.get() or {})) from None
        finally:
            _SOURCE.reset(token)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Variable name → field name, in declaration order."""
        return {f.field_info.extra["env"]: name for name, f in cls.__fields__.items()}

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated like the environment)."""
        values = {name: getattr(self, name) for name in self.__fields__}
        values.update(changes)
        try:
            with _no_environment():
                return type(self)(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc, {})) from None

    # --- derived values

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

    @property
    def maintenance_flag(self) -> Path:
        """The operator's switch: while this file exists, every message gets the notice."""
        return self.state_dir / "maintenance"

    def now(self) -> datetime:
        """The current time in Europe/Berlin, or ``BOT_FIXED_NOW`` when set (tests, demos)."""
        if self.fixed_now:
            fixed = datetime.fromisoformat(self.fixed_now)
            return fixed if fixed.tzinfo else fixed.replace(tzinfo=TIMEZONE)
        return datetime.now(TIMEZONE)


def _environment(settings: BaseSettings) -> dict[str, Any]:
    """The declared variables that are set (not empty) in the current source."""
    source = _SOURCE.get()
    env = os.environ if source is None else source
    out: dict[str, Any] = {}
    for name, field in settings.__fields__.items():
        raw = env.get(field.field_info.extra["env"])
        if raw is not None and raw.strip():
            out[name] = raw.strip()
    return out


@contextmanager
def _no_environment() -> Iterator[None]:
    token = _SOURCE.set({})
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _explain(exc: ValidationError, env: Mapping[str, str]) -> str:
    """One line per bad variable: its name, what is wrong, the value (never a secret's)."""
    fields = Settings.__fields__
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        var = fields[field].field_info.extra["env"] if field in fields else field
        message = f"{var}: {error['msg']}"
        raw = env.get(var, "").strip()
        if raw and raw not in message and not _is_secret(var) and "@" not in raw:
            message += f", got {raw[:80]!r}"
        lines.append(message)
    return "bad configuration: " + "; ".join(lines)


def _is_secret(var: str) -> bool:
    return any(word in var for word in ("TOKEN", "SECRET", "PASSWORD", "PRIVATE_KEY", "_KEY"))


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104


def load() -> Settings:
    """Settings of the current process environment (raises :class:`SettingsError`)."""
    return Settings.from_env()


def load_or_exit() -> Settings:
    """:func:`load` for a process's start: a bad value ends the process with exit code 2
    and one line naming the variable (no traceback)."""
    try:
        return load()
    except SettingsError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


@lru_cache(maxsize=1)
def current() -> Settings:
    """The process's settings, loaded once.

    For the components Rasa constructs itself from endpoints.yml and credentials.yml
    (tracker store, channel connectors, the input guard, the installed patches): they
    cannot be handed the object. ``bot.rasa_server`` loads it before Rasa starts, so a
    bad value stops the start there. ``current.cache_clear()`` forgets it (tests).
    """
    return load()


# --- documentation generated from the declarations ----------------------------------


def _shown(field: Any) -> str:
    extra = field.field_info.extra
    if extra.get("shown") is not None:
        return str(extra["shown"])
    default = field.default
    if default in ("", None, ()):
        return "unset"
    return str(default)


def _example(field: Any) -> str:
    extra = field.field_info.extra
    if extra.get("example") is not None:
        return str(extra["example"])
    default = field.default
    if default in ("", None, (), False):
        return ""
    return str(default)


def env_example() -> str:
    """The text of ``.env.example``: every variable, by section, with its comment."""
    lines = [
        "# Bürgerservice-Assistent: every environment variable, with its default.",
        "# Generated from bot/config.py (python -m bot.config env-example > .env.example).",
        "# Copy to .env and `set -a; . ./.env; set +a` before `make run`, or export them.",
        "# An empty value keeps the default.",
    ]
    by_group: dict[str, list[Any]] = {g: [] for g in GROUPS}
    for field in Settings.__fields__.values():
        by_group[field.field_info.extra["group"]].append(field)
    for group, fields in by_group.items():
        lines += ["", f"# --- {GROUPS[group]}"]
        for field in fields:
            assignment = f"{field.field_info.extra['env']}={_example(field)}"
            # at least one blank before "#": the shell takes "x#" as part of the value
            lines.append(f"{assignment.ljust(28)} # {field.field_info.description}")
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    """The README's table of variables (between its ``settings-table`` markers)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in Settings.__fields__.values():
        shown = _shown(field)
        words = ("unset", "generated", "asked", "off", "handoff.yml")
        default = shown if shown in words or " " in shown or "'" in shown else f"`{shown}`"
        description = field.field_info.description.replace("|", "\\|")
        rows.append(f"| `{field.field_info.extra['env']}` | {default} | {description} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.config env-example|readme-table|check``."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["env-example"]:
        sys.stdout.write(env_example())
    elif args == ["readme-table"]:
        sys.stdout.write(readme_table())
    elif args == ["check"]:
        try:
            load()
        except SettingsError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 2
        print("configuration ok")
    else:
        print("usage: python -m bot.config env-example|readme-table|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
