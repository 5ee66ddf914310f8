"""Channel policy and routing of handoffs, configured in data/knowledge/handoff.yml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.knowledge.base import Knowledge

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class ChannelPolicy:
    """What the city decided for one channel (``channels:`` in handoff.yml)."""

    name: str
    personal_data: bool  # may personal data be processed in this channel?
    why: str = ""  # the words that explain a switch away from it


@dataclass(frozen=True)
class DuringCase:
    """What the assistant does while a case is open (``during_case:`` in handoff.yml)."""

    answer_routine_questions: bool = True
    end_phrases: tuple[str, ...] = ()  # a message that is one of these ends the case
    end_hints: tuple[str, ...] = ()  # a statement containing one of these: ask first
    fillers: tuple[str, ...] = ()  # words around an end phrase that change nothing


@dataclass(frozen=True)
class HandoffConfig:
    """The city's handoff settings."""

    trusted_channels: frozenset[str] = frozenset({"socketio", "rest"})
    third_party_channels: dict[str, str] = field(default_factory=dict)
    allowed_on_third_party: frozenset[str] = frozenset({"request_human"})
    channels: dict[str, ChannelPolicy] = field(default_factory=dict)
    default_why: str = ""
    switch_to: tuple[str, ...] = ("website",)
    threema_offer: str = ""
    threema_id: str = ""  # THREEMA_ID when the Threema channel is enabled
    resume_url: str = "http://127.0.0.1:8080/?fortsetzen={token}"
    response_hours: float = 24.0
    interim_after_hours: float = 8.0
    default_office: str = "buergerbuero_mitte"
    routing: tuple[tuple[frozenset[str], str], ...] = ()
    during_case: DuringCase = DuringCase()

    @classmethod
    def load(
        cls,
        path: Path,
        env: Mapping[str, str] | None = None,
        *,
        settings: Settings | None = None,
    ) -> HandoffConfig:
        """Reads handoff.yml (defaults where a key is missing).

        ``HANDOFF_INTERIM_AFTER_HOURS`` of the settings overrides the interim delay, and
        ``THREEMA_ID`` is offered when the Threema channel is enabled. ``settings``
        default to those of ``env`` (default: the process environment).
        """
        from bot.channels.messengers import enabled_channels
        from bot.config import Settings

        settings = settings or Settings.from_env(env)
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        resume_url = str(raw.get("resume_url") or cls.resume_url)
        if "{token}" not in resume_url or "{reference}" in resume_url:
            raise ValueError(
                f"{path}: resume_url must contain {{token}} and not {{reference}} "
                "(a reference grants no access to a case)"
            )
        if settings.handoff_interim_after_hours is not None:
            raw["interim_after_hours"] = settings.handoff_interim_after_hours
        channels = _channels(raw)
        trusted = raw.get("trusted_channels") or ["socketio", "rest"]
        third_party = dict(raw.get("third_party_channels") or {})
        if channels:  # the per-channel policy decides; the older two lists follow from it
            trusted = [k for k, c in channels.items() if c.personal_data]
            third_party = {k: c.name for k, c in channels.items() if not c.personal_data}
        threema_on = "threema" in enabled_channels(settings)
        return cls(
            trusted_channels=frozenset(trusted),
            third_party_channels=third_party,
            allowed_on_third_party=frozenset(raw.get("allowed_on_third_party") or []),
            channels=channels,
            default_why=str(raw.get("default_why") or ""),
            switch_to=tuple(str(t) for t in raw.get("switch_to") or ["website"]),
            threema_offer=str(raw.get("threema_offer") or ""),
            threema_id=settings.threema_id if threema_on else "",
            resume_url=str(raw.get("resume_url") or cls.resume_url),
            response_hours=float(raw.get("response_hours", 24)),
            interim_after_hours=float(raw.get("interim_after_hours", 8)),
            default_office=str(raw.get("default_office") or "buergerbuero_mitte"),
            routing=tuple(
                (frozenset(r["triggers"]), str(r["office"])) for r in raw.get("routing") or []
            ),
            during_case=_during_case(path, raw.get("during_case") or {}),
        )


def _during_case(path: Path, raw: dict[str, Any]) -> DuringCase:
    answer = raw.get("answer_routine_questions", True)
    if not isinstance(answer, bool):
        raise ValueError(f"{path}: during_case.answer_routine_questions must be true or false")
    return DuringCase(
        answer_routine_questions=answer,
        end_phrases=tuple(str(p) for p in raw.get("end_phrases") or []),
        end_hints=tuple(str(p) for p in raw.get("end_hints") or []),
        fillers=tuple(str(p) for p in raw.get("fillers") or []),
    )


def _channels(raw: dict[str, Any]) -> dict[str, ChannelPolicy]:
    out = {}
    for key, value in (raw.get("channels") or {}).items():
        value = value or {}
        out[str(key).lower()] = ChannelPolicy(
            name=str(value.get("name") or key),
            personal_data=bool(value.get("personal_data", False)),
            why=str(value.get("why") or ""),
        )
    return out


@dataclass(frozen=True)
class ChannelDecision:
    """Whether the conversation must leave the channel, the platform's name and why."""

    switch: bool
    platform: str | None
    why: str = ""


def decide(config: HandoffConfig, channel: str | None, reason: str) -> ChannelDecision:
    """The channel decides: channels where personal data may be processed keep every
    case; the others only those reasons that carry nothing sensitive (a request for a
    person). Unknown channels count as the latter."""
    channel = (channel or "").lower()
    if channel in config.trusted_channels:
        return ChannelDecision(False, None)
    platform = config.third_party_channels.get(channel)
    if platform is None:  # unknown channel: treat as untrusted, name it generically
        platform = "diesen Kanal"
    policy = config.channels.get(channel)
    why = (policy.why if policy else "") or config.default_why
    return ChannelDecision(reason not in config.allowed_on_third_party, platform, why)


def other_ways(config: HandoffConfig, channel: str | None) -> list[str]:
    """Where else a switched conversation may continue, besides the website chat (which
    the switch message always offers, with the resume link): Threema when the city
    lists it in ``switch_to`` and the channel is configured."""
    ways = []
    threema = "threema" in config.switch_to and config.threema_id and config.threema_offer
    if threema and channel != "threema":
        ways.append(config.threema_offer.format(threema_id=config.threema_id))
    return ways


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
