"""The running stack's doors, tried from outside: body limits, the action server, state."""

from __future__ import annotations

import stat
import urllib.error
import urllib.request

import pytest

pytestmark = [pytest.mark.stack]


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, BrokenPipeError | ConnectionResetError):
            return 413  # Sanic answers 413 on the header and closes before the body is sent
        raise


def test_rasa_refuses_a_huge_body(stack):
    body = b'{"sender": "big", "message": "' + b"A" * 2_000_000 + b'"}'
    assert _post(f"{stack.rasa}/webhooks/rest/webhook", body) == 413


def test_the_action_server_wants_rasa_s_token(stack):
    url = f"http://127.0.0.1:{stack.actions_port}/webhook"
    assert _post(url, b'{"next_action": "action_handoff"}') == 403


def test_state_files_are_private(stack):
    for path in [stack.state_dir, *stack.state_dir.rglob("*")]:
        if path.is_symlink() or not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"
