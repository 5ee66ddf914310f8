"""`make bench` for a city's own directory: its questions and the side-by-side report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bench import DEMO_DIR, TURNS, Run, Series, comparison, main, turns_for
from bot.cli import main as cli
from bot.importers import synthetic
from bot.knowledge.base import load_knowledge


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("bench-city")
    lp, sp = synthetic.write(src, n_locations=80, n_services=120)
    out = src / "kb"
    rc = cli(["import", "dldb", "--locations", str(lp), "--services", str(sp),
              "--out", str(out), "--city", "Beispielstadt", "--state", "BE"])  # fmt: skip
    assert rc == 0
    return out


def test_the_questions_name_the_cities_own_offices_and_services(imported: Path) -> None:
    k = load_knowledge(imported)
    turns = turns_for(imported)
    assert len(turns) == len(TURNS)
    offices = [o.the() for o in k.city_offices()]
    assert sum(any(name in t for name in offices) for t in turns) == 2
    busiest = max(k.services.values(), key=lambda s: len(s.also_at))
    assert len(busiest.also_at) >= 3 and busiest.name in turns[3]
    assert sum(any(s.name in t for s in k.services.values()) for t in turns) >= 3
    assert not any("Bürgerbüro" in t for t in turns)  # a demo-city office
    # the demo city's questions, built the same way, name its own
    assert "Bürgerbüro Mitte" in turns_for(DEMO_DIR)[1]


def _run(label: str, ms: float, startup: float, rss: float) -> Run:
    series = {n: Series(n, latencies=[ms / 1000] * 20, seconds=1.0) for n in ("d", "n", "l")}
    results = {
        "dialogue": series["d"],
        "nlu": series["n"],
        "long": series["l"],
        "p95_turn5_ms": ms,
        "p95_turn200_ms": ms,
    }
    return Run(label, DEMO_DIR, TURNS, results, {"rasa": rss, "actions": 100.0}, startup)


def test_the_comparison_reports_ratios() -> None:
    text = comparison(_run("demo city", 100, 20.0, 1000), _run("city-500", 120, 30.0, 1200))
    assert "| p95 of a dialogue turn | 100 ms | 120 ms | 1.20 × |" in text
    assert "| start to healthy | 20.0 s | 30.0 s | 1.50 × |" in text
    assert "| RSS of all processes | 1,100 MB | 1,300 MB | 1.18 × |" in text
    assert "| RSS rasa | 1,000 MB | 1,200 MB | 1.20 × |" in text


def test_bad_arguments_are_refused_before_anything_starts(tmp_path: Path) -> None:
    assert main(["--compare-demo"]) == 2
    assert main(["--knowledge-dir", str(tmp_path), "--compare-demo"]) == 2
