"""Rasa's start-up: the version is checked, every patch is installed by name and logged.

The tracker store no longer installs anything, so another ``tracker_store.type`` keeps
the patches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rasa
import rasa.__main__ as rasa_cli

from bot import rasa_faults, rasa_perf, rasa_server
from bot.rasa_server import BEHAVIOUR, PATCHES, SPEED_UP, RasaVersionError


@pytest.fixture
def pristine() -> Iterator[None]:
    """Rasa's own methods during the test; whatever was installed before, afterwards."""
    saved = [(p, p.owner.__dict__[p.attribute]) for p in PATCHES]
    originals = {
        "event-type-table": staticmethod(rasa_perf._original),
        "action-result-validator-once": rasa_perf._original_validate_action_result,
        "incremental-dialogue-states": rasa_perf._original_states_for_tracker_history,
        "incremental-applied-events": rasa_perf._original_applied_events,
        "no-copy-for-read-only-actions": rasa_perf._original_run_action,
        "rule-policy-debug-text-only-when-logged": staticmethod(
            rasa_perf._original_format_tracker_states
        ),
        "action-events-window": rasa_perf._original_action_call_format,
        "technical-problem-notice": rasa_faults._original_run,
    }
    assert set(originals) == {p.name for p in PATCHES}
    for patch in PATCHES:
        setattr(patch.owner, patch.attribute, originals[patch.name])
    assert not any(p.installed() for p in PATCHES)
    try:
        yield
    finally:
        for patch, value in saved:
            setattr(patch.owner, patch.attribute, value)


def test_the_verified_version_is_the_locked_one() -> None:
    lock = (Path(__file__).parents[2] / "requirements.lock").read_text()
    assert f"rasa=={rasa_server.VERIFIED_RASA_VERSION}\n" in lock
    rasa_server.check_rasa_version()  # the installed one passes


@pytest.mark.parametrize("version", ["3.6.20", "3.7.0", "3.6.21rc1", ""])
def test_any_other_version_is_refused_with_what_to_do(version: str) -> None:
    with pytest.raises(RasaVersionError) as err:
        rasa_server.check_rasa_version(version)
    message = str(err.value)
    assert f"Rasa {version} is installed" in message
    assert "verified for Rasa 3.6.21 only" in message
    assert "make install" in message


def test_start_refuses_another_version_before_rasa_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pristine: None
) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.7.1")

    def must_not_run() -> None:
        raise AssertionError("Rasa was started")

    monkeypatch.setattr(rasa_cli, "main", must_not_run)
    assert rasa_server.main(["run", "--model", "x"]) == 2
    assert "Rasa 3.7.1 is installed" in capsys.readouterr().err
    assert not any(p.installed() for p in PATCHES)


def test_start_installs_every_patch_logs_them_and_runs_rasa_with_the_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pristine: None
) -> None:
    import sys

    seen: dict[str, Any] = {}

    def fake_rasa_main() -> None:
        seen["argv"] = list(sys.argv)
        seen["installed"] = [p.name for p in PATCHES if p.installed()]

    monkeypatch.setattr(rasa_cli, "main", fake_rasa_main)
    monkeypatch.setattr(sys, "argv", ["bot.rasa_server"])
    assert rasa_server.main(["run", "--model", "m.tar.gz", "--port", "5005"]) == 0
    assert seen["argv"] == ["rasa", "run", "--model", "m.tar.gz", "--port", "5005"]
    assert seen["installed"] == [p.name for p in PATCHES]  # before Rasa loads anything
    err = capsys.readouterr().err
    assert "Rasa 3.6.21, patches installed: speed-ups: event-type-table" in err
    speed, behaviour = err.split("behaviour changes:")
    assert "technical-problem-notice (RemoteAction.run)" in behaviour
    assert "action-events-window (RemoteAction._action_call_format)" in behaviour
    assert "technical-problem-notice" not in speed


def test_patches_are_named_once_and_speed_ups_apart_from_behaviour_changes() -> None:
    names = [p.name for p in PATCHES]
    assert len(names) == len(set(names)) == 8
    assert {p.kind for p in PATCHES} == {SPEED_UP, BEHAVIOUR}
    assert [p.name for p in PATCHES if p.kind == BEHAVIOUR] == [
        "action-events-window",
        "technical-problem-notice",
    ]
    kinds = [p.kind for p in PATCHES]
    assert kinds == sorted(kinds, key=[SPEED_UP, BEHAVIOUR].index)  # speed-ups first
    assert len({p.target for p in PATCHES}) == len(PATCHES)  # no method patched twice


def test_install_by_name_installs_only_those(pristine: None) -> None:
    chosen = rasa_server.install(["technical-problem-notice"])
    assert [p.name for p in chosen] == ["technical-problem-notice"]
    assert [p.name for p in PATCHES if p.installed()] == ["technical-problem-notice"]
    rasa_server.install(["technical-problem-notice"])  # idempotent
    assert rasa_server.patches(["technical-problem-notice"])[0].installed()
    with pytest.raises(KeyError, match="no-such-patch"):
        rasa_server.install(["no-such-patch"])


def test_module_installers_keep_their_own_patches(pristine: None) -> None:
    rasa_perf.install()
    assert {p.name for p in PATCHES if p.installed()} == {
        p.name for p in PATCHES if p.name != "technical-problem-notice"
    }
    rasa_faults.install()
    assert all(p.installed() for p in PATCHES)


def test_the_tracker_store_installs_nothing(tmp_path: Path, pristine: None) -> None:
    from bot.rasa_stores import URLTrackerStore

    URLTrackerStore(host=f"sqlite:///{tmp_path / 'rasa.db'}")
    assert not any(p.installed() for p in PATCHES)


def test_the_stack_starts_rasa_through_this_module(tmp_path: Path) -> None:
    from bot.cli import process_specs, stack_env
    from bot.config import Settings

    settings = Settings.from_env({"STATE_DIR": str(tmp_path)})
    env = stack_env(settings, {})
    rasa_cmd = process_specs(settings, env, tmp_path / "model.tar.gz")["rasa"]
    assert rasa_cmd[1:4] == ["-m", "bot.rasa_server", "run"]
