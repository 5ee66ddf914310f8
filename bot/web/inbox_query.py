"""The inbox's labels (data/knowledge/inbox.yml); the query itself is :mod:`bot.cases.inbox`
(re-exported here for the web routes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.cases.inbox import (
    MAX_QUERY,
    PER_PAGE,
    SORTS,
    UNASSIGNED,
    InboxQuery,
    build,
    conditions,
    run,
)

__all__ = [
    "MAX_QUERY",
    "PER_PAGE",
    "SORTS",
    "UNASSIGNED",
    "InboxQuery",
    "Labels",
    "build",
    "conditions",
    "run",
]


@dataclass(frozen=True)
class Labels:
    """Human names of channels and which reasons are urgent (data/knowledge/inbox.yml)."""

    channels: Mapping[str, str]
    urgent_reasons: frozenset[str]

    def channel(self, channel_id: str | None) -> str:
        """ "Website" for ``socketio``; an unknown id is shown as it is."""
        if not channel_id:
            return "–"
        return self.channels.get(channel_id, channel_id)

    @classmethod
    def load(cls, path: Path) -> Labels:
        """Reads the file; a missing file gives the technical ids and "emergency" as urgent."""
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raw = {}
        channels = {str(k): str(v) for k, v in (raw.get("channels") or {}).items()}
        urgent = frozenset(str(r) for r in (raw.get("urgent_reasons") or ["emergency"]))
        return cls(channels, urgent)
