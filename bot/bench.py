"""``make bench``: load benchmark of the real stack on loopback; writes docs/benchmarks.md.

Starts the stack exactly like ``make run`` (trained model, SQLite stores, free ports),
then in one run:

1. N concurrent conversations of realistic German turns through the REST webhook;
2. the same load on ``/model/parse`` (NLU only: the floor the dialogue adds to), half
   before and half after the dialogue phase;
3. long conversations (3 × 200 turns) to compare latency at turn 5 and turn 200.

Every request loop is bounded in count and time and only talks to 127.0.0.1. It reports
p50/p95/p99 latency, messages per second, errors, the RSS of each process, model load time
and the last training time. Numbers, not assertions: no test depends on them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import REPO_ROOT

TURNS = [
    "Hallo",
    "Wann hat das Bürgerbüro heute geöffnet?",
    "und am Samstag?",
    "Wo melde ich meinen Hund an?",
    "Ist die Brückenstraße gesperrt?",
    "Welche Straßen sind am Wochenende gesperrt?",
    "Wer ist für Sperrmüll zuständig?",
    "Hat das Standesamt an Fronleichnam auf?",
    "Was kostet ein Reisepass?",
    "Danke, tschüss",
]
TOKEN = "bench-api-token"  # noqa: S105 - a throwaway token for the local stack


@dataclass
class Series:
    """Latencies (seconds) and errors of one load phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def pct(self, q: float) -> float:
        """Percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        idx = min(len(data) - 1, max(0, round(q / 100 * len(data)) - 1))
        return data[idx] * 1000

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (Linux /proc), in MB."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(  # noqa: S603
            ["pgrep", "-P", str(pid)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _stack_pids(supervisor: int) -> dict[str, int]:
    out = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=,args=", "--ppid", str(supervisor)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    pids: dict[str, int] = {}
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if "rasa run" in args or "/rasa run" in args or " run --model" in args:
            pids["rasa"] = int(pid)
        elif "bot.actions_server" in args:
            pids["actions"] = int(pid)
        elif "bot.web" in args:
            pids["web"] = int(pid)
    return pids


async def _conversation(
    http: aiohttp.ClientSession, url: str, sender: str, turns: int, series: Series, deadline: float
) -> list[float]:
    own: list[float] = []
    for i in range(turns):
        if time.monotonic() > deadline:
            break
        body = {"sender": sender, "message": TURNS[i % len(TURNS)]}
        started = time.perf_counter()
        try:
            async with http.post(url, json=body) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        elapsed = time.perf_counter() - started
        if ok:
            series.latencies.append(elapsed)
            own.append(elapsed)
        else:
            series.errors += 1
    return own


async def _parse_load(
    http: aiohttp.ClientSession, url: str, worker: int, turns: int, series: Series, deadline: float
) -> None:
    for i in range(turns):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        try:
            async with http.post(url, json={"text": TURNS[(i + worker) % len(TURNS)]}) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        if ok:
            series.latencies.append(time.perf_counter() - started)
        else:
            series.errors += 1


async def _nlu_phase(
    http: aiohttp.ClientSession, rasa: str, users: int, turns: int, limit_s: float, series: Series
) -> None:
    started = time.monotonic()
    await asyncio.gather(
        *(
            _parse_load(
                http, f"{rasa}/model/parse?token={TOKEN}", i, turns, series, started + limit_s
            )
            for i in range(users)
        )
    )
    series.seconds += time.monotonic() - started


async def run_load(
    rasa: str, users: int, turns: int, long_turns: int, limit_s: float, long_runs: int = 3
) -> dict[str, Any]:
    """The phases against a running Rasa server.

    The NLU-only floor is measured right before and right after the dialogue phase and
    pooled: on a shared virtual machine the speed drifts during a run, and the ratio of
    the two must not depend on which came first. The long conversation runs
    ``long_runs`` times (new senders), so that the p95 of turns 1-10 and 191-200 rests
    on 10 × ``long_runs`` turns each, not on the slowest of ten.
    """
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=users * 2)
    webhook = f"{rasa}/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        # warm-up (model graph, caches)
        await _conversation(http, webhook, "warmup", 5, Series("w"), time.monotonic() + 60)

        nlu = Series("nlu")
        await _nlu_phase(http, rasa, users, max(1, turns // 2), limit_s / 2, nlu)

        dialogue = Series("dialogue")
        started = time.monotonic()
        deadline = started + limit_s
        await asyncio.gather(
            *(
                _conversation(http, webhook, f"bench-{i}", turns, dialogue, deadline)
                for i in range(users)
            )
        )
        dialogue.seconds = time.monotonic() - started

        await _nlu_phase(http, rasa, users, max(1, turns - turns // 2), limit_s / 2, nlu)

        long = Series("long")
        early: list[float] = []
        late: list[float] = []
        started = time.monotonic()
        for run in range(long_runs):
            own = await _conversation(
                http, webhook, f"bench-long-{run}", long_turns, long, started + limit_s * 4
            )
            early += own[:10]
            late += own[-10:] if len(own) >= long_turns else []
        long.seconds = time.monotonic() - started
    return {
        "dialogue": dialogue,
        "nlu": nlu,
        "long": long,
        "p95_turn5_ms": _p95(early),
        "p95_turn200_ms": _p95(late),
        "long_runs": long_runs,
    }


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    s = Series("x", latencies=values)
    return s.pct(95)


def start_stack(state: Path) -> tuple[subprocess.Popen[bytes], dict[str, str], float]:
    """Starts the stack on free ports; returns the process, its env and seconds to healthy."""
    ports = {"RASA_PORT": _free_port(), "ACTIONS_PORT": _free_port(), "WEB_PORT": _free_port()}
    env = dict(
        os.environ,
        STATE_DIR=str(state),
        BOT_API_TOKEN=TOKEN,
        LOG_LEVEL="WARNING",
        RATE_LIMIT_PER_MINUTE="1000000",  # the benchmark is one very fast "citizen"
        RATE_LIMIT_PER_IP_PER_MINUTE="0",  # ... and all its users share 127.0.0.1
    )
    env.update({k: str(v) for k, v in ports.items()})
    for var in ("TRACKER_STORE_URL", "HANDOFF_DB_URL", "LOCK_STORE_URL"):
        env.pop(var, None)
    log = (state / "bench-stack.log").open("wb")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--no-train"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import urllib.error
    import urllib.request

    while time.monotonic() - started < 300:
        if proc.poll() is not None:
            raise RuntimeError(f"stack exited; see {state / 'bench-stack.log'}")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{ports['WEB_PORT']}/health", timeout=2
            ) as r:
                if r.status == 200:
                    return proc, env, time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError("stack did not become healthy in 300 s")


def machine() -> str:
    """A one-line description of the machine."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}){mem}, {system}, Python {platform.python_version()}"


def report(results: dict[str, Any], rss: dict[str, float], startup: float, users: int) -> str:
    """The Markdown report."""
    d, n, long = results["dialogue"], results["nlu"], results["long"]
    ratio = d.rate / n.rate if n.rate else float("nan")
    train = REPO_ROOT / "models" / ".train_seconds"
    train_s = train.read_text().strip() if train.exists() else "n/a"
    total_rss = sum(rss.values())
    per_process = ", ".join(f"{k} {v:.0f}" for k, v in rss.items())
    early, late = results["p95_turn5_ms"], results["p95_turn200_ms"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `make bench` on {machine()}.",
        "Stack: Rasa 3.6.21 (RulePolicy + MemoizationPolicy), SQLite tracker store, "
        f"{users} concurrent conversations.",
        "",
        "| phase | requests | errors | p50 ms | p95 ms | p99 ms | requests/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in (d, n, long):
        lines.append(
            f"| {s.name} | {len(s.latencies)} | {s.errors} | {s.pct(50):.0f} | {s.pct(95):.0f} | "
            f"{s.pct(99):.0f} | {s.rate:.1f} |"
        )
    lines += [
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| dialogue throughput / NLU-only floor | {ratio:.0%} | ≥ 60 % |",
        f"| p95 of a dialogue turn ({users} conversations) | {d.pct(95):.0f} ms | < 400 ms |",
        f"| errors | {d.errors + n.errors + long.errors} | 0 |",
        f"| p95 turns 1-10 vs. turns 191-200 of a conversation ({results['long_runs']} runs) "
        f"| {early:.0f} ms vs. {late:.0f} ms ({late / early:.2f} ×) | late ≤ 1.2 × early |",
        f"| RSS of all processes | {total_rss:.0f} MB ({per_process}) | < 1,500 MB |",
        f"| start to healthy (model load included) | {startup:.1f} s | |",
        f"| last training (`make train`) | {train_s} s | |",
        "",
        "Percentiles over each phase; every request went to 127.0.0.1. The NLU-only floor "
        "is measured before and after the dialogue phase and pooled. What limits the "
        "numbers: docs/PERFORMANCE.md.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and writes docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--long-turns", type=int, default=200)
    parser.add_argument("--long-runs", type=int, default=3, help="long conversations")
    parser.add_argument("--limit", type=float, default=120, help="seconds per phase at most")
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    if not (REPO_ROOT / "models" / "buergerservice.tar.gz").exists():
        print("no model: run `make train` first")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        proc, env, startup = start_stack(Path(tmp))
        try:
            rasa = f"http://127.0.0.1:{env['RASA_PORT']}"
            results = asyncio.run(
                run_load(rasa, args.users, args.turns, args.long_turns, args.limit, args.long_runs)
            )
            pids = _stack_pids(proc.pid)
            rss = {name: _rss_mb(pid) for name, pid in sorted(pids.items())}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    text = report(results, rss, startup, args.users)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
