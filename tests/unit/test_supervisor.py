"""The supervisor's restart policy: back-off, then give up on a process that keeps dying."""

from __future__ import annotations

from bot.cli import RestartPolicy


def test_back_off_doubles_and_is_capped():
    policy = RestartPolicy(max_restarts=10, window=1000, base=1.0)
    delays = [policy.next_delay("rasa", now=float(t)) for t in range(7)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_gives_up_after_too_many_crashes_in_the_window():
    policy = RestartPolicy(max_restarts=3, window=600, base=1.0)
    assert [policy.next_delay("actions", now=t) for t in (0.0, 10.0, 20.0)] == [1.0, 2.0, 4.0]
    assert policy.next_delay("actions", now=30.0) is None


def test_old_crashes_are_forgotten_and_processes_counted_apart():
    policy = RestartPolicy(max_restarts=2, window=60, base=1.0)
    assert policy.next_delay("web", now=0.0) == 1.0
    assert policy.next_delay("web", now=10.0) == 2.0
    assert policy.next_delay("rasa", now=11.0) == 1.0
    assert policy.next_delay("web", now=100.0) == 1.0  # the first two are out of the window


def test_stack_env_keeps_rasa_from_phoning_home(tmp_path):
    from bot.cli import stack_env
    from bot.config import Settings

    settings = Settings.from_env({"STATE_DIR": str(tmp_path)})
    env = stack_env(settings, {})
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["BOT_API_TOKEN"]  # generated into STATE_DIR/secrets
    assert (
        stack_env(settings, {"RASA_TELEMETRY_ENABLED": "true"})["RASA_TELEMETRY_ENABLED"] == "true"
    )
