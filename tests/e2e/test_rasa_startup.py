"""The real stack's Rasa was started through bot.rasa_server, with every patch installed."""

from __future__ import annotations

import pytest

from bot.rasa_server import PATCHES

pytestmark = pytest.mark.stack


def test_rasa_log_names_the_version_and_every_patch_by_kind(stack):
    log = (stack.state_dir / "logs" / "rasa.log").read_text(errors="replace")
    lines = [line for line in log.splitlines() if "patches installed" in line]
    assert lines, "bot.rasa_server did not log its patches"
    line = lines[-1]
    assert "bot.rasa_server" in line and "Rasa 3.6.21" in line
    speed_ups, behaviour = line.split("behaviour changes:")
    for patch in PATCHES:
        assert patch.name in (speed_ups if patch.kind == "speed-up" else behaviour)
