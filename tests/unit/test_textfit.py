"""Replies fitted to messengers: length limits, numbered choices, answers by number."""

from __future__ import annotations

from bot.channels.textfit import ChoiceMemory, numbered_choices, split_text

BUTTONS = [
    {"title": "Bürgerbüro Mitte", "payload": '/inform{"office":"buergerbuero_mitte"}'},
    {"title": "Standesamt", "payload": '/inform{"office":"standesamt"}'},
    {"title": "Wertstoffhof", "payload": '/inform{"office":"wertstoffhof"}'},
    {"title": "Kfz-Zulassungsstelle", "payload": '/inform{"office":"kfz_zulassung"}'},
]


def test_split_respects_the_limit_and_keeps_every_character():
    text = ("Öffnungszeiten Standesamt: Mo 08:30–12:00 Uhr. " * 120).strip()
    parts = split_text(text, 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert len(parts) == 3
    assert " ".join(parts).split() == text.split()


def test_split_cuts_an_overlong_word_hard():
    assert split_text("x" * 4500, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_short_text_is_one_part():
    assert split_text("  Hallo  ", 2000) == ["Hallo"]
    assert split_text("", 2000) == []


def test_numbered_choices_and_answer_by_number():
    text = numbered_choices("Für welches Amt?", BUTTONS)
    assert "1. Bürgerbüro Mitte" in text and "4. Kfz-Zulassungsstelle" in text
    memory = ChoiceMemory()
    memory.remember("psid", BUTTONS)
    assert memory.resolve("psid", "2") == '/inform{"office":"standesamt"}'
    assert memory.resolve("psid", " 4. ") == '/inform{"office":"kfz_zulassung"}'
    assert memory.resolve("psid", "9") == "9"  # no such choice: the text stays
    assert memory.resolve("other", "2") == "2"
    assert memory.resolve("psid", "Standesamt") == "Standesamt"


def test_choice_memory_is_bounded():
    memory = ChoiceMemory(size=2)
    for sender in ("a", "b", "c"):
        memory.remember(sender, BUTTONS)
    assert memory.resolve("a", "1") == "1"
    assert memory.resolve("c", "1").startswith("/inform")
