"""The settings object: every variable declared once, validated, and documented from it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import config
from bot.config import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_the_defaults_are_the_operating_contract():
    s = Settings.from_env({})
    assert (s.bind_host, s.rasa_port, s.actions_port, s.web_port) == (
        "127.0.0.1",
        5005,
        5055,
        8080,
    )
    assert s.state_dir == (ROOT / "var").resolve()
    assert s.tracker_store_url == f"sqlite:///{s.state_dir / 'rasa.db'}"
    assert s.handoff_db_url == f"sqlite:///{s.state_dir / 'handoff.db'}"
    assert s.lock_store_url == ""
    assert s.closures_feed_url == config.DEFAULT_FEED.as_uri()
    assert s.site_origins == ("http://127.0.0.1:8080", "http://localhost:8080")
    assert (s.action_timeout_seconds, s.tracker_cache_size, s.action_events_window) == (
        30.0,
        200,
        200,
    )
    assert (s.smtp_host, s.smtp_port, s.job_interval_seconds) == ("", 25, 30.0)


def test_values_are_typed_and_empty_keeps_the_default(tmp_path):
    s = Settings.from_env(
        {
            "STATE_DIR": str(tmp_path),
            "WEB_PORT": "9090",
            "RETENTION_DRY_RUN": "yes",
            "LOG_LEVEL": "debug",
            "SITE_ORIGINS": "https://www.musterstadt.de/, http://localhost:9090",
            "ACTION_TIMEOUT_SECONDS": "2.5",
            "RASA_PORT": "",
            "THREEMA_API_URL": "http://127.0.0.1:9/",
        }
    )
    assert s.state_dir == tmp_path.resolve() and s.web_port == 9090 and s.rasa_port == 5005
    assert s.retention_dry_run is True and s.log_level == "DEBUG"
    assert s.site_origins == ("https://www.musterstadt.de", "http://localhost:9090")
    assert s.action_timeout_seconds == 2.5
    assert s.threema_api_url == "http://127.0.0.1:9"
    assert s.tracker_store_url == f"sqlite:///{tmp_path.resolve() / 'rasa.db'}"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        # not a number
        ({"WEB_PORT": "achtzig"}, "WEB_PORT"),
        ({"ACTION_TIMEOUT_SECONDS": "schnell"}, "ACTION_TIMEOUT_SECONDS"),
        ({"RETENTION_CONVERSATION_DAYS": "neunzig"}, "RETENTION_CONVERSATION_DAYS"),
        # out of range
        ({"RASA_PORT": "70000"}, "RASA_PORT"),
        ({"RASA_PORT": "0"}, "RASA_PORT"),
        ({"RETENTION_HOUR": "24"}, "RETENTION_HOUR"),
        ({"ACTION_EVENTS_WINDOW": "10"}, "ACTION_EVENTS_WINDOW"),
        ({"TRACKER_CACHE_SIZE": "-1"}, "TRACKER_CACHE_SIZE"),
        ({"HANDOFF_INTERIM_AFTER_HOURS": "-1"}, "HANDOFF_INTERIM_AFTER_HOURS"),
        ({"STAFF_IDLE_MINUTES": "600"}, "STAFF_IDLE_MINUTES"),
        # a bad URL
        ({"CLOSURES_FEED_URL": "ftp://feed.example/closures.xml"}, "CLOSURES_FEED_URL"),
        ({"CLOSURES_FEED_URL": "closures.geojson"}, "CLOSURES_FEED_URL"),
        ({"LOCK_STORE_URL": "http://127.0.0.1:6379"}, "LOCK_STORE_URL"),
        ({"TRACKER_STORE_URL": "mysql://db/rasa"}, "TRACKER_STORE_URL"),
        ({"TELEGRAM_WEBHOOK_URL": "http://bot.example/hook"}, "TELEGRAM_WEBHOOK_URL"),
        ({"SITE_ORIGINS": "www.musterstadt.de"}, "SITE_ORIGINS"),
        # a bad enum, boolean, address or time
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"RETENTION_DRY_RUN": "vielleicht"}, "RETENTION_DRY_RUN"),
        ({"TRUSTED_PROXIES": "127.0.0.1, nginx"}, "TRUSTED_PROXIES"),
        ({"BOT_FIXED_NOW": "Montag früh"}, "BOT_FIXED_NOW"),
    ],
)
def test_a_bad_value_stops_with_the_variable_named(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_every_bad_variable_is_named_at_once_and_secrets_are_not_echoed():
    with pytest.raises(SettingsError) as err:
        Settings.from_env(
            {
                "WEB_PORT": "x",
                "LOG_LEVEL": "LOUD",
                "HANDOFF_DB_URL": "mysql://user:hunter2@db/handoff",
            }
        )
    message = str(err.value)
    assert "WEB_PORT" in message and "LOG_LEVEL" in message and "HANDOFF_DB_URL" in message
    assert "'x'" in message  # a plain value is shown, to find the typo
    assert "hunter2" not in message  # a URL with a password is not


def test_from_env_reads_only_the_mapping_it_is_given(monkeypatch):
    monkeypatch.setenv("WEB_PORT", "9999")
    assert Settings.from_env({}).web_port == 8080
    assert Settings.from_env().web_port == 9999


def test_settings_are_frozen_and_replace_validates():
    s = Settings.from_env({})
    with pytest.raises(TypeError):
        s.web_port = 1  # type: ignore[misc]
    assert s.replace(web_port=9000).web_port == 9000
    with pytest.raises(SettingsError, match="WEB_PORT"):
        s.replace(web_port=0)


def test_a_bad_value_stops_the_start_of_every_process(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "STATE_DIR": str(tmp_path), "RASA_PORT": "fünf"}
    for module in ("bot.cli", "bot.web", "bot.actions_server", "bot.rasa_server"):
        args = ["run"] if module in ("bot.cli", "bot.rasa_server") else []
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0, module
        assert "RASA_PORT" in done.stderr + done.stdout, module
        assert "Traceback" not in done.stderr, module


# --- the documentation is generated from the declarations, in both directions ---------


def _documented_in_env_example() -> list[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def _documented_in_readme() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- settings-table")[1].split("<!-- /settings-table -->")[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, flags=re.MULTILINE)


def test_env_example_is_generated_from_the_settings():
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == config.env_example(), (
        "regenerate: python -m bot.config env-example > .env.example"
    )
    declared = list(Settings.variables())
    assert _documented_in_env_example() == declared  # nothing missing, nothing extra


def test_readme_table_is_generated_from_the_settings():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.readme_table() in text, "regenerate: python -m bot.config readme-table"
    assert _documented_in_readme() == list(Settings.variables())


def test_every_field_has_a_variable_a_description_and_a_section():
    names = list(Settings.variables())
    assert len(names) == len(set(names)) == len(Settings.__fields__)
    for field in Settings.__fields__.values():
        assert field.field_info.description, field.name
        assert field.field_info.extra["group"] in config.GROUPS, field.name


def test_the_web_secret_key_is_not_said_to_sign_cookies():
    field = Settings.__fields__["web_secret_key"]
    assert "audit" in field.field_info.description
    assert "signs" not in field.field_info.description


def test_no_module_but_config_reads_the_environment():
    offenders = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").rglob("*.py")]):
        if path == ROOT / "bot" / "config.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"os\.(environ\.get|environ\[|getenv)|getenv\(", code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
