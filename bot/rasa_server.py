"""The one way the project starts Rasa: version check, patches by name, then ``rasa run``.

The project changes eight methods of Rasa at run time (:mod:`bot.rasa_perf`,
:mod:`bot.rasa_faults`). They replace private Rasa code and were verified, method by
method, against Rasa :data:`VERIFIED_RASA_VERSION` (``tests/unit/test_rasa_perf.py``
compares every speed-up with Rasa's own method). So this module

1. refuses to start on any other Rasa version, with a message saying what to do;
2. installs each patch by name (:data:`PATCHES`), speed-ups apart from the two
   changes of behaviour;
3. logs the list, and then hands over to Rasa's own command line.

``python -m bot.rasa_server run --model … --endpoints …`` takes exactly the arguments of
``rasa run``; ``bot.cli run`` (``make run``) and the tests start Rasa this way. The
patches do not depend on the tracker store: choosing another ``tracker_store.type`` in
endpoints.yml keeps them (the tracker cache of :mod:`bot.rasa_stores` is what makes the
incremental dialogue states pay off, but they are correct without it).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.policy import Policy
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot import config, rasa_faults, rasa_perf

logger = logging.getLogger("bot.rasa_server")  # also when run as __main__

VERIFIED_RASA_VERSION = "3.6.21"
"""The Rasa version every patch was verified against (requirements.lock pins it)."""

SPEED_UP = "speed-up"  # same behaviour as Rasa's method, measured faster
BEHAVIOUR = "behaviour"  # changes what Rasa does (documented in the patch's module)


@dataclass(frozen=True)
class Patch:
    """One replaced Rasa method.

    Attributes:
        name: the patch's name in logs and :func:`install`.
        kind: :data:`SPEED_UP` or :data:`BEHAVIOUR`.
        owner: the Rasa class whose attribute is replaced.
        attribute: the method's name on ``owner``.
        replacement: the project's function.
        static: ``owner.attribute`` is a staticmethod.
    """

    name: str
    kind: str
    owner: type
    attribute: str
    replacement: Any
    static: bool = False

    def install(self) -> None:
        """Replaces the method (idempotent)."""
        value = staticmethod(self.replacement) if self.static else self.replacement
        setattr(self.owner, self.attribute, value)

    def installed(self) -> bool:
        """Whether ``owner.attribute`` is the replacement now."""
        current = self.owner.__dict__.get(self.attribute)
        if isinstance(current, staticmethod):
            current = current.__func__
        return current is self.replacement

    @property
    def target(self) -> str:
        """``"RemoteAction.run"``."""
        return f"{self.owner.__name__}.{self.attribute}"


PATCHES: tuple[Patch, ...] = (
    # speed-ups: same results as Rasa's methods (docs/PERFORMANCE.md, bot/rasa_perf.py)
    Patch("event-type-table", SPEED_UP, Event, "resolve_by_type", rasa_perf.resolve_by_type, True),
    Patch(
        "action-result-validator-once",
        SPEED_UP,
        RemoteAction,
        "_validate_action_result",
        rasa_perf.validate_action_result,
    ),
    Patch(
        "incremental-dialogue-states",
        SPEED_UP,
        Domain,
        "states_for_tracker_history",
        rasa_perf.states_for_tracker_history,
    ),
    Patch(
        "incremental-applied-events",
        SPEED_UP,
        DialogueStateTracker,
        "applied_events",
        rasa_perf.applied_events,
    ),
    Patch(
        "no-copy-for-read-only-actions",
        SPEED_UP,
        MessageProcessor,
        "_run_action",
        rasa_perf.run_action,
    ),
    Patch(
        "rule-policy-debug-text-only-when-logged",
        SPEED_UP,
        Policy,
        "format_tracker_states",
        rasa_perf.format_tracker_states,
        True,
    ),
    # changes of behaviour, each bounded and documented in its module
    Patch(
        "action-events-window",  # the action server gets the last ACTION_EVENTS_WINDOW events
        BEHAVIOUR,
        RemoteAction,
        "_action_call_format",
        rasa_perf.action_call_format,
    ),
    Patch(
        "technical-problem-notice",  # a failed action call answers utter_technical_problem
        BEHAVIOUR,
        RemoteAction,
        "run",
        rasa_faults.run_or_apologise,
    ),
)
"""Every patch the server installs, speed-ups first."""


class RasaVersionError(RuntimeError):
    """The installed Rasa is not the version the patches were verified for."""


def check_rasa_version(installed: str | None = None) -> None:
    """Raises :class:`RasaVersionError` unless Rasa is :data:`VERIFIED_RASA_VERSION`."""
    version = rasa.__version__ if installed is None else installed
    if version != VERIFIED_RASA_VERSION:
        raise RasaVersionError(
            f"Rasa {version} is installed, but the project's patches of Rasa "
            f"(bot/rasa_perf.py, bot/rasa_faults.py) are verified for Rasa "
            f"{VERIFIED_RASA_VERSION} only. Install the locked dependencies (make install), "
            f"or re-verify every patch against the new version (tests/unit/test_rasa_perf.py, "
            f"tests/unit/test_rasa_faults.py) and then raise VERIFIED_RASA_VERSION in "
            f"bot/rasa_server.py."
        )


def patches(names: Iterable[str] | None = None) -> list[Patch]:
    """The patches called ``names`` (all when None), in :data:`PATCHES` order.

    Raises:
        KeyError: a name that is no patch.
    """
    if names is None:
        return list(PATCHES)
    wanted = set(names)
    unknown = wanted - {p.name for p in PATCHES}
    if unknown:
        raise KeyError(f"no such Rasa patch: {', '.join(sorted(unknown))}")
    return [p for p in PATCHES if p.name in wanted]


def install(names: Iterable[str] | None = None) -> list[Patch]:
    """Installs the named patches (all when None); returns them. Idempotent."""
    chosen = patches(names)
    for patch in chosen:
        patch.install()
    return chosen


def describe(installed: Sequence[Patch]) -> str:
    """One log line: the installed patches by kind."""
    parts = []
    for kind, title in ((SPEED_UP, "speed-ups"), (BEHAVIOUR, "behaviour changes")):
        names = [f"{p.name} ({p.target})" for p in installed if p.kind == kind]
        parts.append(f"{title}: {', '.join(names) if names else 'none'}")
    return f"Rasa {rasa.__version__}, patches installed: " + "; ".join(parts)


def _say(level: int, message: str) -> None:
    """Logs one line to stderr now: Rasa configures logging only inside its command line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s - %(message)s"))
    logger.addHandler(handler)
    before = logger.level
    logger.setLevel(logging.INFO)
    try:
        logger.log(level, "%s", message)
    finally:
        logger.setLevel(before)
        logger.removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.rasa_server <rasa arguments>``: checks, patches, runs Rasa."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        check_rasa_version()
    except RasaVersionError as exc:
        _say(logging.ERROR, str(exc))
        return 2
    try:  # the settings the patches, the tracker store and the channels read (bot.config)
        config.current()
    except config.SettingsError as exc:
        _say(logging.ERROR, str(exc))
        return 2
    _say(logging.INFO, describe(install()))
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
