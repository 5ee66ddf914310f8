"""The input guard in front of every channel."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.channels.guard import MAX_CHARS, guard, guarded_message


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t", "\u200b\u200b"])
def test_empty_becomes_input_empty(raw):
    assert guard(raw).text == "/input_empty"


def test_too_long_keeps_an_excerpt():
    result = guard("x" * (MAX_CHARS + 1))
    assert result.text == "/input_too_long"
    assert result.excerpt == "x" * 2000


def test_exactly_max_chars_passes():
    assert guard("y" * MAX_CHARS).text == "y" * MAX_CHARS


@pytest.mark.parametrize("raw", ["\x00\x01\x02abc", b"\xff\xfe\x00binary", "a\ufffd\ufffd"])
def test_binary_becomes_input_not_text(raw):
    assert guard(raw).text == "/input_not_text"


def test_control_and_direction_characters_are_removed():
    assert guard("Hal\x07lo\u202e Welt").text == "Hallo Welt"


def test_normal_text_and_payloads_pass_unchanged():
    assert guard("Wann hat das Bürgerbüro auf?").text == "Wann hat das Bürgerbüro auf?"
    assert guard('/inform{"office":"standesamt"}').text == '/inform{"office":"standesamt"}'
    assert guard("<script>alert(1)</script>").text == "<script>alert(1)</script>"


def test_nfc_normalisation_of_decomposed_umlauts():
    assert guard("Bu\u0308rgerbu\u0308ro").text == "Bürgerbüro"


def test_guarded_message_records_problem_in_metadata():
    msg = SimpleNamespace(text="z" * 5000, metadata={"a": 1}, sender_id="g1")
    guarded_message(msg)
    assert msg.text == "/input_too_long"
    assert msg.metadata["a"] == 1
    assert msg.metadata["guard"]["problem"] == "too_long"
    assert len(msg.metadata["guard"]["excerpt"]) == 2000


def test_rate_limiter_per_sender_and_window():
    from bot.channels.guard import RateLimiter

    limiter = RateLimiter(limit=3, window=60)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", now=3)  # other senders are not affected
    assert limiter.allow("a", now=61.5)  # the window moved on


def test_maintenance_flag_turns_every_message_into_the_notice(tmp_path, monkeypatch):
    from bot.channels import guard as g

    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    msg = SimpleNamespace(text="Wann hat das Standesamt auf?", metadata=None, sender_id="m1")
    (tmp_path / "maintenance").write_text("on")
    g.guarded_message(msg)
    assert msg.text == "/maintenance"
    assert msg.metadata["guard"]["excerpt"] == "Wann hat das Standesamt auf?"
    (tmp_path / "maintenance").unlink()
    msg2 = SimpleNamespace(text="Hallo", metadata=None, sender_id="m1")
    assert g.guarded_message(msg2).text == "Hallo"
