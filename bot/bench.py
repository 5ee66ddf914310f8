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

A city's IT department benches its own catalogue with ``--knowledge-dir DIR`` (the
directory ``python -m bot.cli import`` wrote; the stack runs with ``KNOWLEDGE_DIR=DIR``
on the trained model). The questions are then the same ten, with the office and service
names taken from that catalogue (:func:`turns_for`). ``--compare-demo`` benches the demo
city first, in the same run and with questions built the same way from its catalogue,
and reports the ratios (the machine's speed drifts; ratios within one run do not).
Both runs read the same road-closures feed (``CLOSURES_FEED_URL``, default the demo's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

from bot.config import DEFAULT_FEED, REPO_ROOT, Settings

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
DEMO_DIR = REPO_ROOT / "data" / "knowledge"


def turns_for(knowledge_dir: Path) -> list[str]:
    """The ten turns of :data:`TURNS` with offices and services of ``knowledge_dir``.

    Two city offices with opening hours (the first of two different kinds), the service
    offered at the most offices (the "which district?" answer of a large city), and two
    more services from the catalogue (named as the catalogue names them, e.g.
    "Personalausweis beantragen"); the small-talk and road-closure turns stay as they are.
    Deterministic: file order decides ties.
    """
    from bot.knowledge.base import load_knowledge

    k = load_knowledge(knowledge_dir)
    with_hours = [o for o in k.city_offices() if o.opening_hours]
    first = with_hours[0]
    kind = first.name.split()[0]
    second = next((o for o in with_hours if o.name.split()[0] != kind), with_hours[-1])
    services = list(k.services.values())
    many = max(services, key=lambda s: len(s.also_at))
    others = [s for s in services if s.id != many.id]
    asked = others[len(others) // 3]
    later = others[(2 * len(others)) // 3 :] + others
    fee = next((s for s in later if s.fee), later[0])
    return [
        "Hallo",
        f"Wann hat {first.the()} heute geöffnet?",
        "und am Samstag?",
        f"{many.name}, wo geht das?",
        "Ist die Brückenstraße gesperrt?",
        "Welche Straßen sind am Wochenende gesperrt?",
        f"Wer ist zuständig für: {asked.name}?",
        f"Hat {second.the()} an Fronleichnam auf?",
        f"Was kostet das: {fee.name}?",
        "Danke, tschüss",
    ]


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
    http: aiohttp.ClientSession,
    url: str,
    sender: str,
    turns: int,
    series: Series,
    deadline: float,
    texts: list[str] = TURNS,
) -> list[float]:
    own: list[float] = []
    for i in range(turns):
        if time.monotonic() > deadline:
            break
        body = {"sender": sender, "message": texts[i % len(texts)]}
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
    http: aiohttp.ClientSession,
    url: str,
    worker: int,
    turns: int,
    series: Series,
    deadline: float,
    texts: list[str] = TURNS,
) -> None:
    for i in range(turns):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        try:
            async with http.post(url, json={"text": texts[(i + worker) % len(texts)]}) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        if ok:
            series.latencies.append(time.perf_counter() - started)
        else:
            series.errors += 1


async def _nlu_phase(
    http: aiohttp.ClientSession,
    rasa: str,
    users: int,
    turns: int,
    limit_s: float,
    series: Series,
    texts: list[str] = TURNS,
) -> None:
    started = time.monotonic()
    url = f"{rasa}/model/parse?token={TOKEN}"
    await asyncio.gather(
        *(_parse_load(http, url, i, turns, series, started + limit_s, texts) for i in range(users))
    )
    series.seconds += time.monotonic() - started


async def run_load(
    rasa: str,
    users: int,
    turns: int,
    long_turns: int,
    limit_s: float,
    long_runs: int = 3,
    texts: list[str] = TURNS,
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
        await _conversation(http, webhook, "warmup", 5, Series("w"), time.monotonic() + 60, texts)

        nlu = Series("nlu")
        await _nlu_phase(http, rasa, users, max(1, turns // 2), limit_s / 2, nlu, texts)

        dialogue = Series("dialogue")
        started = time.monotonic()
        deadline = started + limit_s
        await asyncio.gather(
            *(
                _conversation(http, webhook, f"bench-{i}", turns, dialogue, deadline, texts)
                for i in range(users)
            )
        )
        dialogue.seconds = time.monotonic() - started

        await _nlu_phase(http, rasa, users, max(1, turns - turns // 2), limit_s / 2, nlu, texts)

        long = Series("long")
        early: list[float] = []
        late: list[float] = []
        started = time.monotonic()
        for run in range(long_runs):
            own = await _conversation(
                http, webhook, f"bench-long-{run}", long_turns, long, started + limit_s * 4, texts
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


def start_stack(
    state: Path, knowledge_dir: Path | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, str], float]:
    """Starts the stack on free ports; returns the process, its env and seconds to healthy.

    ``knowledge_dir`` runs another city's directory (``KNOWLEDGE_DIR``); the closures
    feed stays the one of the environment or the demo's, so both cities read the same.
    """
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
    env.setdefault("CLOSURES_FEED_URL", DEFAULT_FEED.as_uri())
    if knowledge_dir is not None:
        env["KNOWLEDGE_DIR"] = str(knowledge_dir.resolve())
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


@dataclass
class Run:
    """One benched stack: what it ran and what was measured."""

    label: str
    knowledge_dir: Path | None
    texts: list[str]
    results: dict[str, Any] = field(default_factory=dict)
    rss: dict[str, float] = field(default_factory=dict)
    startup: float = 0.0

    def describe(self) -> str:
        """The directory and the size of its catalogue."""
        from bot.knowledge.base import load_knowledge

        k = load_knowledge(self.knowledge_dir or DEMO_DIR)
        where = self.knowledge_dir or DEMO_DIR
        with contextlib.suppress(ValueError):
            where = where.resolve().relative_to(REPO_ROOT)
        return f"{self.label}: `{where}`, {len(k.offices)} offices, {len(k.services)} services"


def bench(run: Run, args: argparse.Namespace) -> Run:
    """Starts the stack for ``run``, loads it and records the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, env, run.startup = start_stack(Path(tmp), run.knowledge_dir)
        try:
            rasa = f"http://127.0.0.1:{env['RASA_PORT']}"
            run.results = asyncio.run(
                run_load(
                    rasa,
                    args.users,
                    args.turns,
                    args.long_turns,
                    args.limit,
                    args.long_runs,
                    run.texts,
                )
            )
            pids = _stack_pids(proc.pid)
            run.rss = {name: _rss_mb(pid) for name, pid in sorted(pids.items())}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    return run


def comparison(base: Run, other: Run) -> str:
    """Markdown: the figures of two runs of one ``make bench`` side by side, as ratios."""

    def row(name: str, a: float, b: float, unit: str, digits: int = 0) -> str:
        ratio = b / a if a else float("nan")
        return f"| {name} | {a:,.{digits}f} {unit} | {b:,.{digits}f} {unit} | {ratio:.2f} × |"

    bd, od = base.results["dialogue"], other.results["dialogue"]
    bn, on = base.results["nlu"], other.results["nlu"]
    lines = [
        "",
        f"## {other.label} against {base.label}, same run",
        "",
        f"- {base.describe()}",
        f"- {other.describe()}",
        "",
        "Both on the same trained model and closures feed; the questions are the same ten "
        "with each catalogue's office and service names (`bot.bench.turns_for`):",
        "",
        *(
            f"  {i + 1}. {a} / {b}"
            for i, (a, b) in enumerate(zip(base.texts, other.texts, strict=True))
        ),
        "",
        f"| figure | {base.label} | {other.label} | ratio |",
        "|---|---|---|---|",
        row("p50 of a dialogue turn", bd.pct(50), od.pct(50), "ms"),
        row("p95 of a dialogue turn", bd.pct(95), od.pct(95), "ms"),
        row("dialogue turns per second", bd.rate, od.rate, "/s", 1),
        row("p95 of an NLU parse (floor)", bn.pct(95), on.pct(95), "ms"),
        row(
            "p95 turns 1-10 of a long conversation",
            base.results["p95_turn5_ms"],
            other.results["p95_turn5_ms"],
            "ms",
        ),
        row(
            "p95 turns 191-200",
            base.results["p95_turn200_ms"],
            other.results["p95_turn200_ms"],
            "ms",
        ),
        row("start to healthy", base.startup, other.startup, "s", 1),
        row("RSS of all processes", sum(base.rss.values()), sum(other.rss.values()), "MB"),
    ]
    for proc in sorted(set(base.rss) | set(other.rss)):
        lines.append(row(f"RSS {proc}", base.rss.get(proc, 0.0), other.rss.get(proc, 0.0), "MB"))
    errors = sum(r.errors for r in (bd, od, bn, on, base.results["long"], other.results["long"]))
    lines += ["", f"Errors in both runs: {errors}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and writes docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--long-turns", type=int, default=200)
    parser.add_argument("--long-runs", type=int, default=3, help="long conversations")
    parser.add_argument("--limit", type=float, default=120, help="seconds per phase at most")
    parser.add_argument(
        "--knowledge-dir",
        type=Path,
        default=Settings.from_env().knowledge_dir,
        help="the city's knowledge directory (default: KNOWLEDGE_DIR, else the demo city)",
    )
    parser.add_argument(
        "--compare-demo",
        action="store_true",
        help="with --knowledge-dir: bench the demo city first, in the same run, and report ratios",
    )
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    other = args.knowledge_dir
    if other is not None and other.resolve() == DEMO_DIR.resolve():
        other = None
    if args.compare_demo and other is None:
        print("--compare-demo needs --knowledge-dir (another city's directory)")
        return 2
    if other is not None and not (other / "offices.yml").exists():
        print(f"{other}: no offices.yml (a knowledge directory, see docs/IMPORT.md)")
        return 2
    if not (REPO_ROOT / "models" / "buergerservice.tar.gz").exists():
        print("no model: run `make train` first")
        return 1
    runs: list[Run] = []
    if args.compare_demo:
        runs.append(bench(Run("demo city", DEMO_DIR, turns_for(DEMO_DIR)), args))
    if other is not None:
        runs.append(bench(Run(other.name, other, turns_for(other)), args))
    else:
        runs.append(bench(Run("demo city", None, TURNS), args))
    last = runs[-1]
    text = report(last.results, last.rss, last.startup, args.users)
    if last.knowledge_dir is not None:
        text += f"\nKnowledge directory: {last.describe()}.\n"
    if len(runs) == 2:
        text += comparison(runs[0], runs[1])
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
