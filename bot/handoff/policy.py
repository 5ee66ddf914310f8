"""Channel policy and routing of handoffs, configured in data/knowledge/handoff.yml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.base import Knowledge


@dataclass(frozen=True)
class HandoffConfig:
    """The city's handoff settings."""

    trusted_channels: frozenset[str] = frozenset({"socketio", "rest"})
    third_party_channels: dict[str, str] = field(default_factory=dict)
    allowed_on_third_party: frozenset[str] = frozenset({"request_human"})
    resume_url: str = "http://127.0.0.1:8080/?fortsetzen={token}"
    response_hours: float = 24.0
    interim_after_hours: float = 8.0
    default_office: str = "buergerbuero_mitte"
    routing: tuple[tuple[frozenset[str], str], ...] = ()

    @classmethod
    def load(cls, path: Path, env: Mapping[str, str] | None = None) -> HandoffConfig:
        """Reads handoff.yml (defaults where a key is missing).

        ``HANDOFF_INTERIM_AFTER_HOURS`` in the environment overrides the interim delay.
        """
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        env = os.environ if env is None else env
        resume_url = str(raw.get("resume_url") or cls.resume_url)
        if "{token}" not in resume_url or "{reference}" in resume_url:
            raise ValueError(
                f"{path}: resume_url must contain {{token}} and not {{reference}} "
                "(a reference grants no access to a case)"
            )
        if env.get("HANDOFF_INTERIM_AFTER_HOURS"):
            raw["interim_after_hours"] = float(env["HANDOFF_INTERIM_AFTER_HOURS"])
        return cls(
            trusted_channels=frozenset(raw.get("trusted_channels") or ["socketio", "rest"]),
            third_party_channels=dict(raw.get("third_party_channels") or {}),
            allowed_on_third_party=frozenset(raw.get("allowed_on_third_party") or []),
            resume_url=resume_url,
            response_hours=float(raw.get("response_hours", 24)),
            interim_after_hours=float(raw.get("interim_after_hours", 8)),
            default_office=str(raw.get("default_office") or "buergerbuero_mitte"),
            routing=tuple(
                (frozenset(r["triggers"]), str(r["office"])) for r in raw.get("routing") or []
            ),
        )


@dataclass(frozen=True)
class ChannelDecision:
    """Whether the conversation must leave the channel, and the platform's name."""

    switch: bool
    platform: str | None


def decide(config: HandoffConfig, channel: str | None, reason: str) -> ChannelDecision:
    """The channel decides: trusted channels keep every case; third-party messengers
    only those reasons that carry nothing sensitive (a request for a person)."""
    channel = (channel or "").lower()
    if channel in config.trusted_channels:
        return ChannelDecision(False, None)
    platform = config.third_party_channels.get(channel)
    if platform is None:  # unknown channel: treat as untrusted, name it generically
        platform = "diesen Kanal"
    return ChannelDecision(reason not in config.allowed_on_third_party, platform)


def route(
    config: HandoffConfig,
    knowledge: Knowledge,
    triggers: list[str],
    service_id: str | None,
    office_id: str | None,
) -> str:
    """The office that should take the ticket."""
    service = knowledge.services.get(service_id or "")
    if (
        service
        and service.office in knowledge.offices
        and not knowledge.offices[service.office].external
    ):
        return service.office
    labels = {t.split(":", 1)[-1] for t in triggers} | set(triggers)
    for keys, office in config.routing:
        if labels & keys:
            return office
    if office_id and office_id in knowledge.offices and not knowledge.offices[office_id].external:
        return office_id
    return config.default_office
