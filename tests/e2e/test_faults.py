"""Faults: the action server or Rasa dies mid-conversation (issue 9).

The supervisor (`make run`) restarts a crashed process; the tracker store is SQL, so a
restarted Rasa continues each conversation where it was. The processes are killed with
SIGKILL, the way an out-of-memory kill or a crash ends them.
"""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.error
import urllib.request

from tests.e2e.conftest import Stack

NOTICE = "technische Störung"


def _kill(stack: Stack, name: str) -> int:
    pid = int((stack.state_dir / "run" / f"{name}.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the supervisor reaps it: the PID file changes
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        time.sleep(0.1)
    return pid


def _wait_until(stack: Stack, name: str, old_pid: int, timeout: float = 150) -> None:
    """Waits for a new process of ``name`` and a healthy stack."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid_file = stack.state_dir / "run" / f"{name}.pid"
        if int(pid_file.read_text()) != old_pid:
            try:
                with urllib.request.urlopen(f"{stack.web}/health", timeout=3) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.5)
    raise AssertionError(f"{name} did not come back within {timeout} s")


def test_action_server_killed_mid_conversation(stack):
    sender = "fault-actions"
    assert "Standesamt" in stack.say(sender, "Wann hat das Standesamt geöffnet?")
    old = _kill(stack, "actions")

    answer = stack.say(sender, "Wer ist für die Hundesteuer zuständig?")
    assert NOTICE in answer
    assert "Steueramt" not in answer

    _wait_until(stack, "actions", old)
    assert "Steueramt" in stack.say(sender, "Wer ist für die Hundesteuer zuständig?")
    # the conversation's state survived the fault: a follow-up continues the topic
    assert "Standesamt" in stack.say(sender, "Wann hat das Standesamt am Samstag geöffnet?")
    supervisor_log = (stack.state_dir / "supervisor.log").read_text()
    assert "actions stopped" in supervisor_log and "restarting" in supervisor_log


def test_rasa_restart_continues_every_conversation(stack):
    first, second = "fault-rasa-1", "fault-rasa-2"
    assert "Standesamt" in stack.say(first, "Wann hat das Standesamt geöffnet?")
    assert "Steueramt" in stack.say(second, "Wer ist für die Hundesteuer zuständig?")
    old = _kill(stack, "rasa")
    _wait_until(stack, "rasa", old)

    # "und am Samstag?" only makes sense with the office from before the restart
    answer = stack.say(first, "und am Samstag?")
    assert "Standesamt" in answer and "geschlossen – Wochenende" in answer
    status, tracker = stack.request(
        "GET", f"{stack.rasa}/conversations/{second}/tracker?token={stack.bot_api_token}"
    )
    assert status == 200
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert texts == ["Wer ist für die Hundesteuer zuständig?"]


def test_web_app_down_handoff_still_lands_in_the_staff_inbox(stack):
    import sqlite3

    sender = "fault-web"
    old = _kill(stack, "web")
    assert "Mitarbeiter" in stack.say(sender, "Ich möchte bitte mit einem Menschen sprechen")
    answer = stack.say(sender, "ja")
    reference = re.search(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}", answer)
    assert reference, answer
    with sqlite3.connect(stack.state_dir / "handoff.db") as db:  # written while web was down
        rows = db.execute("SELECT reference FROM tickets WHERE sender_id = ?", (sender,))
        assert [r[0] for r in rows] == [reference.group(0)]
    _wait_until(stack, "web", old)
    status, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and [t["reference"] for t in tickets] == [reference.group(0)]
