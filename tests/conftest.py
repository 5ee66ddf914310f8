"""Shared fixtures: the repository's knowledge, copies to break, builders."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.base import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "data" / "knowledge"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The shipped knowledge of the reference city."""
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of data/knowledge/ for tests that change or break it."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def entity(name: str, value: str) -> dict[str, Any]:
    """An NLU entity as Rasa puts it into the parse data."""
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


@pytest.fixture
def make_entity() -> Callable[[str, str], dict[str, Any]]:
    """Builder for NLU entities."""
    return entity


@pytest.fixture(autouse=True)
def _fresh_process_settings():
    """Each test sees the environment it sets up, not settings cached by an earlier test."""
    from bot import config

    config.current.cache_clear()
    yield
    config.current.cache_clear()
