"""Retention also covers the trainers' backlog and rotated log files."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.privacy import RetentionPolicy, run_retention
from bot.store import backlog, make_engine

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def test_old_backlog_entries_and_rotated_logs_expire(tmp_path):
    handoff = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    tracker = make_engine(f"sqlite:///{tmp_path / 'rasa.db'}")
    with handoff.begin() as conn:
        for days, text in ((200, "alte Frage"), (10, "neue Frage")):
            conn.execute(
                sa.insert(backlog).values(
                    text=text, kind="fallback", created_at=NOW - timedelta(days=days)
                )
            )
    logs = tmp_path / "logs"
    logs.mkdir()
    old_time = (NOW - timedelta(days=200)).timestamp()
    for name in ("web.jsonl", "web.jsonl.1", "web.jsonl.2", "rasa.log"):
        (logs / name).write_text("x")
    os.utime(logs / "web.jsonl.2", (old_time, old_time))
    os.utime(logs / "rasa.log", (old_time, old_time))  # current file: kept
    result = run_retention(tracker, handoff, NOW, RetentionPolicy(90, 365), logs)
    assert (result.backlog, result.log_files) == (1, 1)
    with handoff.connect() as conn:
        assert [r.text for r in conn.execute(sa.select(backlog.c.text))] == ["neue Frage"]
    assert sorted(p.name for p in logs.iterdir()) == ["rasa.log", "web.jsonl", "web.jsonl.1"]
