"""Command line of the project: run the stack, train, validate, manage staff accounts.

``python -m bot.cli run`` is what ``make run`` starts: it trains when needed, starts the
Rasa server, the action server and the web app, prints the URLs once all are healthy and
stops every process on Ctrl-C or SIGTERM. A process that crashes is restarted with
back-off (its PID is in ``STATE_DIR/run/<name>.pid``); one that keeps crashing stops all.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT, Settings, SettingsError

MODEL_NAME = "buergerservice"
TRAINING_DATA_DIRS = ("data/nlu", "data/rules", "data/stories")


def training_data(root: Path = REPO_ROOT) -> list[str]:
    """The training-data folders that hold files (git keeps no empty folder)."""
    return [d for d in TRAINING_DATA_DIRS if any((root / d).glob("*.yml"))]


VENV_BIN = Path(sys.executable).parent


def _bin(name: str) -> str:
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


def model_path(root: Path = REPO_ROOT) -> Path:
    """Where the trained model lives."""
    return root / "models" / f"{MODEL_NAME}.tar.gz"


# --- training -------------------------------------------------------------------------


def cmd_gen_nlu(_: argparse.Namespace) -> int:
    """Writes the NLU data generated from data/knowledge/."""
    from bot.training import generate_nlu

    print(f"generated {generate_nlu(REPO_ROOT).relative_to(REPO_ROOT)}")
    return 0


def train_if_needed(force: bool = False, root: Path = REPO_ROOT) -> bool:
    """Trains when config, domain or data changed since the last training.

    Returns:
        True when a model was trained, False when the existing one is current.
    """
    from bot.training import fingerprint, generate_nlu

    generate_nlu(root)
    fp = fingerprint(root)
    stamp = root / "models" / ".fingerprint"
    model = model_path(root)
    if not force and model.exists() and stamp.exists() and stamp.read_text() == fp:
        print(f"==> model is up to date ({model.relative_to(root)})")
        return False
    print("==> training the model (about 1-2 minutes) ...", flush=True)
    started = time.monotonic()
    cmd = [
        _bin("rasa"), "train",
        "--config", "config.yml",
        "--domain", "domain",
        "--data", *training_data(root),
        "--out", "models",
        "--fixed-model-name", MODEL_NAME,
    ]  # fmt: skip
    subprocess.run(cmd, cwd=root, check=True)  # noqa: S603
    stamp.write_text(fp)
    seconds = time.monotonic() - started
    (root / "models" / ".train_seconds").write_text(f"{seconds:.0f}\n")
    print(f"==> trained in {seconds:.0f} s", flush=True)
    return True


def cmd_train(args: argparse.Namespace) -> int:
    """``make train``."""
    train_if_needed(force=args.force)
    return 0


def cmd_validate(_: argparse.Namespace) -> int:
    """Rasa's data validation plus the project's own checks of data/knowledge/."""
    from bot.training import generate_nlu
    from bot.validation import validate_project

    problems = validate_project(REPO_ROOT)
    knowledge_dir = Settings.from_env().knowledge_dir.resolve()
    if knowledge_dir != (REPO_ROOT / "data" / "knowledge").resolve():
        # another city's directory (KNOWLEDGE_DIR, e.g. from `import`): its data too
        from bot.knowledge.base import validate_knowledge

        problems += [f"{knowledge_dir}: {p}" for p in validate_knowledge(knowledge_dir)]
    for p in problems:
        print(f"ERROR {p}")
    generate_nlu(REPO_ROOT)
    cmd = [
        _bin("rasa"), "data", "validate",
        "--domain", "domain", "--config", "config.yml",
        "--data", *training_data(),
    ]  # fmt: skip
    rasa_ok = subprocess.run(cmd, cwd=REPO_ROOT).returncode == 0  # noqa: S603
    if problems or not rasa_ok:
        print(f"validation failed: {len(problems)} project problem(s), rasa ok={rasa_ok}")
        return 1
    print("validation passed")
    return 0


# --- running --------------------------------------------------------------------------


def secret(state_dir: Path, name: str, given: str) -> str:
    """A secret from the environment, or one generated once and kept in STATE_DIR."""
    if given:
        return given
    path = state_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def effective_credentials(env: dict[str, str]) -> dict[str, Any]:
    """credentials.yml plus the messenger channels whose variables are set."""
    creds: dict[str, Any] = yaml.safe_load((REPO_ROOT / "credentials.yml").read_text()) or {}
    from bot.channels.messengers import messenger_credentials

    creds.update(messenger_credentials(env))
    return creds


def stack_env(settings: Settings, base: dict[str, str]) -> dict[str, str]:
    """The environment for the three processes: every ${VAR} of endpoints.yml set."""
    env = dict(base)
    state = settings.state_dir
    env.update(
        STATE_DIR=str(state),
        BIND_HOST=settings.bind_host,
        RASA_PORT=str(settings.rasa_port),
        ACTIONS_PORT=str(settings.actions_port),
        WEB_PORT=str(settings.web_port),
        BOT_API_TOKEN=secret(state, "bot_api_token", settings.bot_api_token),
        HANDOFF_API_TOKEN=secret(state, "handoff_api_token", settings.handoff_api_token),
        WEB_SECRET_KEY=secret(state, "web_secret_key", settings.web_secret_key),
        TRACKER_STORE_URL=settings.tracker_store_url,
        HANDOFF_DB_URL=settings.handoff_db_url,
        LOCK_STORE_URL=settings.lock_store_url,
        CLOSURES_FEED_URL=settings.closures_feed_url,
        ACTION_ENDPOINT_URL=f"{settings.actions_url}/webhook",
        ACTION_SERVER_TOKEN=secret(state, "action_server_token", settings.action_server_token),
        # every Sanic server of the stack (Rasa's too) refuses larger request bodies (413)
        SANIC_REQUEST_MAX_SIZE=str(settings.request_max_bytes),
        SANIC_HOST=settings.bind_host,
        PYTHONUNBUFFERED="1",
    )
    # Rasa sends usage telemetry to Rasa's servers unless told not to; a city's server
    # does not phone home (an operator may still set it to "true" explicitly).
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def process_specs(settings: Settings, env: dict[str, str], model: Path) -> dict[str, list[str]]:
    """The command line of each process of the stack."""
    creds_path = settings.state_dir / "credentials.yml"  # holds messenger secrets: 0600
    fd = os.open(creds_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump(effective_credentials(env), allow_unicode=True))
    creds_path.chmod(0o600)
    logs = settings.state_dir / "logs"
    return {
        "actions": [
            _bin("python"), "-m", "bot.actions_server",
        ],
        "rasa": [  # through bot.rasa_server: version check and Rasa patches, then `rasa run`
            _bin("python"), "-m", "bot.rasa_server", "run",
            "--model", str(model),
            "--endpoints", str(REPO_ROOT / "endpoints.yml"),
            "--credentials", str(creds_path),
            "--interface", settings.bind_host,
            "--port", str(settings.rasa_port),
            "--enable-api", "--auth-token", env["BOT_API_TOKEN"],
            "--cors", settings.web_url,
            "--log-file", str(logs / "rasa-server.log"),
        ],
        "web": [_bin("python"), "-m", "bot.web"],
    }  # fmt: skip


def wait_healthy(
    settings: Settings,
    procs: dict[str, subprocess.Popen[bytes]],
    timeout: float,
    on_exit: Callable[[str, subprocess.Popen[bytes]], bool] | None = None,
) -> bool:
    """Polls /health until every component is ready, a process died, or time ran out.

    ``on_exit`` handles a process that stopped (restart it and return True); without it,
    or when it returns False, a stopped process ends the wait with False.
    """
    deadline = time.monotonic() + timeout
    url = f"{settings.web_url}/health"
    while time.monotonic() < deadline:
        for name, proc in list(procs.items()):
            if proc.poll() is None:
                continue
            if on_exit is None:
                print(f"ERROR: {name} exited with code {proc.returncode}; see var/logs/{name}.log")
                return False
            if not on_exit(name, proc):  # it said why
                return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def stop_all(procs: dict[str, subprocess.Popen[bytes]], grace: float = 15) -> None:
    """SIGTERM to every process group, SIGKILL after ``grace`` seconds."""
    for proc in procs.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class RestartPolicy:
    """When to restart a crashed process: exponential back-off, then give up.

    A process that crashes ``max_restarts`` times within ``window`` seconds is broken
    (a bad model, a port taken), and restarting it forever would hide that: the
    supervisor then stops everything with an error instead.
    """

    def __init__(self, max_restarts: int = 5, window: float = 600.0, base: float = 1.0) -> None:
        self.max_restarts = max_restarts
        self.window = window
        self.base = base
        self._crashes: dict[str, list[float]] = {}

    def next_delay(self, name: str, now: float) -> float | None:
        """Seconds to wait before restarting ``name``, or None to give up."""
        recent = [t for t in self._crashes.get(name, []) if now - t < self.window]
        recent.append(now)
        self._crashes[name] = recent
        if len(recent) > self.max_restarts:
            return None
        return min(self.base * 2 ** (len(recent) - 1), 30.0)


def secure_state_dir(state: Path) -> None:
    """STATE_DIR private to the service account: directories 0700, files 0600.

    Sets the umask 077 for this process and the three it starts, so that every file
    created later (databases, logs, secrets, credentials.yml) is private as well.
    """
    os.umask(0o077)
    state.mkdir(parents=True, exist_ok=True)
    for path in [state, *state.rglob("*")]:
        if path.is_symlink():
            continue
        with contextlib.suppress(OSError):
            path.chmod(0o700 if path.is_dir() else 0o600)


def cmd_run(args: argparse.Namespace) -> int:
    """Starts Rasa, the action server and the web app; stops them on Ctrl-C / SIGTERM."""
    settings = Settings.from_env()
    secure_state_dir(settings.state_dir)
    from bot.rasa_server import RasaVersionError, check_rasa_version

    try:
        check_rasa_version()
    except RasaVersionError as exc:
        print(f"ERROR: {exc}")
        return 1
    (settings.state_dir / "logs").mkdir(parents=True, exist_ok=True)
    if not args.no_train:
        train_if_needed()
    model = model_path()
    if not model.exists():
        print("ERROR: no trained model; run `make train` first")
        return 1
    env = stack_env(settings, dict(os.environ))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    specs = process_specs(settings, env, model)
    pid_dir = settings.state_dir / "run"
    pid_dir.mkdir(parents=True, exist_ok=True)

    def start(name: str) -> None:
        log = (settings.state_dir / "logs" / f"{name}.log").open("ab")
        procs[name] = subprocess.Popen(  # noqa: S603
            specs[name], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        (pid_dir / f"{name}.pid").write_text(str(procs[name].pid))

    restarts = RestartPolicy()

    def restart(name: str, proc: subprocess.Popen[bytes]) -> bool:
        """Restarts a stopped process after the back-off; False when it keeps crashing."""
        delay = restarts.next_delay(name, time.monotonic())
        if delay is None:
            print(
                f"ERROR: {name} stopped (exit code {proc.returncode}) "
                f"{restarts.max_restarts} times within {restarts.window:.0f} s; stopping all"
            )
            return False
        print(
            f"WARNING: {name} stopped (exit code {proc.returncode}); restarting in "
            f"{delay:.0f} s (see {settings.state_dir}/logs/{name}.log)",
            flush=True,
        )
        time.sleep(delay)
        if not stopping:
            start(name)
        return True

    try:
        for name in specs:
            start(name)
        print("==> starting Rasa (loading the model takes about 40 s), actions, web app ...")
        if not wait_healthy(settings, procs, args.timeout, restart) and not stopping:
            print(f"ERROR: the stack did not become healthy; logs in {settings.state_dir}/logs")
            return 1
        if not stopping:
            print_urls(settings)
        while not stopping:
            for name, proc in list(procs.items()):
                if proc.poll() is not None and not stopping and not restart(name, proc):
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print("==> stopping ...", flush=True)
        stop_all(procs)
        print("==> stopped")


def print_urls(settings: Settings) -> None:
    """What a newcomer needs after `make run`."""
    print(
        "\n==> Bürgerservice-Assistent is running\n"
        f"    Website with chat:  {settings.web_url}/\n"
        f"    Staff inbox:        {settings.web_url}/staff/  (accounts: make user)\n"
        f"    Health:             {settings.web_url}/health\n"
        f"    REST chat (tests):  POST {settings.rasa_url}/webhooks/rest/webhook\n"
        f"    Logs:               {settings.state_dir / 'logs'}\n"
        "    Stop with Ctrl-C.\n",
        flush=True,
    )


# --- staff accounts -------------------------------------------------------------------


def cmd_user(args: argparse.Namespace) -> int:
    """Creates or updates a staff account (password asked, or from STAFF_PASSWORD)."""
    from bot.web.auth import upsert_user

    settings = Settings.from_env()
    password = settings.staff_password or getpass.getpass("Passwort: ")
    if len(password) < 10:
        print("ERROR: das Passwort muss mindestens 10 Zeichen haben")
        return 1
    from bot.store import make_engine

    upsert_user(
        make_engine(settings.handoff_db_url), args.username, password, args.role, args.office
    )
    print(json.dumps({"user": args.username, "role": args.role, "office": args.office}))
    if args.role == "staff" and not args.office:
        print(
            "WARNING: staff without --office see only the unassigned queue (docs/SECURITY.md)",
            file=sys.stderr,
        )
    return 0


def cmd_maintenance(args: argparse.Namespace) -> int:
    """Switches maintenance mode on or off for the running assistant (no restart)."""
    flag = Settings.from_env().maintenance_flag
    if args.state == "on":
        flag.parent.mkdir(parents=True, exist_ok=True)
        flag.write_text("on\n")
    elif flag.exists():
        flag.unlink()
    print(f"maintenance mode {'on' if flag.exists() else 'off'} ({flag})")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """Deletes expired conversations and closed tickets now (``RETENTION_*``); prints counts."""
    from dataclasses import replace

    from bot.logging_setup import setup_logging
    from bot.privacy import run_retention
    from bot.store import make_engine
    from bot.web.jobs import retention_policy

    settings = Settings.from_env()
    setup_logging(settings.state_dir, "retention", settings.log_level)
    policy = retention_policy(settings)
    if args.dry_run:
        policy = replace(policy, dry_run=True)
    tracker, handoff = make_engine(settings.tracker_store_url), make_engine(settings.handoff_db_url)
    try:
        result = run_retention(
            tracker, handoff, settings.now(), policy, settings.state_dir / "logs"
        )
    finally:
        tracker.dispose()
        handoff.dispose()
    print(json.dumps(result.as_dict()))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Writes a complete knowledge directory from a DLDB export or two CSV files."""
    from bot.importers.csv_import import import_csv
    from bot.importers.dldb import import_dldb
    from bot.importers.knowledge_writer import (
        ImportError_,
        ImportTarget,
        read_district_map,
        write_knowledge,
    )
    from bot.knowledge.opening_hours import state_holidays

    try:
        state_holidays(args.state.upper())
    except ValueError:
        print(
            f"--state {args.state!r} is not a German state code of the holidays package (BE, NW, …)"
        )
        return 2
    target = ImportTarget(
        city=args.city,
        state=args.state,
        districts=read_district_map(args.districts) if args.districts else {},
        appointment_base=args.appointment_base or "",
        website_base=args.website or "",
    )
    try:
        if args.source == "dldb":
            result = import_dldb(args.locations, args.services, target)
        else:
            result = import_csv(args.offices, args.services, target)
        offices, services, profile, report, default = result
    except (ImportError_, ValueError) as exc:
        print(f"import failed: {exc}")
        return 1
    problems = write_knowledge(args.out, offices, services, profile, report, default)
    print(f"wrote {args.out}: {report.summary()}")
    print(f"report: {args.out / 'import-report.json'}")
    for p in problems:
        print(f"ERROR {p}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="buergerbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="start the whole stack")
    p.add_argument("--no-train", action="store_true", help="do not train, use the model as is")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for health")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("train", help="train when config, domain or data changed")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_train)
    sub.add_parser("gen-nlu", help="write data/nlu/generated/").set_defaults(func=cmd_gen_nlu)
    sub.add_parser("validate", help="validate data and knowledge").set_defaults(func=cmd_validate)
    p = sub.add_parser("user", help="create or update a staff account")
    p.add_argument("username")
    p.add_argument("--role", choices=["staff", "trainer", "privacy", "admin"], default="staff")
    p.add_argument("--office", default=None, help="office id the account belongs to")
    p.set_defaults(func=cmd_user)
    p = sub.add_parser("maintenance", help="maintenance notice for every message: on|off")
    p.add_argument("state", choices=["on", "off"])
    p.set_defaults(func=cmd_maintenance)
    p = sub.add_parser("retention", help="delete expired conversations and closed tickets now")
    p.add_argument("--dry-run", action="store_true", help="only count and log, delete nothing")
    p.set_defaults(func=cmd_retention)
    p = sub.add_parser("import", help="knowledge directory from a DLDB export or CSV files")
    src = p.add_subparsers(dest="source", required=True)
    for name in ("dldb", "csv"):
        q = src.add_parser(name)
        if name == "dldb":
            q.add_argument("--locations", type=Path, required=True, help="DLDB locations JSON")
            q.add_argument("--services", type=Path, required=True, help="DLDB services JSON")
        else:
            q.add_argument("--offices", type=Path, required=True, help="offices CSV")
            q.add_argument("--services", type=Path, required=True, help="services CSV")
        q.add_argument("--out", type=Path, required=True, help="knowledge directory to write")
        q.add_argument("--city", required=True, help="the city's name")
        q.add_argument("--state", required=True, help="state code for holidays, e.g. BE")
        q.add_argument("--districts", type=Path, help="CSV postal_code;district")
        q.add_argument("--appointment-base", help="base URL for relative appointment links")
        q.add_argument("--website", help="the city's website base URL")
        q.set_defaults(func=cmd_import)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:  # a bad environment variable: say which, start nothing
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
