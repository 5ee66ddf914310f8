"""The keyword lists and reason patterns of handoff detection, read from data.

``data/knowledge/handoff_detection.yml`` holds what a city or a linguist changes
without touching the code: the regular expressions of every handoff reason, the words
typos are corrected to, the city's public phone prefixes and e-mail domains, and the
stop-word lists of the identifier finders. It is read and validated once, on first use
(:func:`rules`); a broken file stops the start with an error naming the entry.

Format (see the file's own comments):

* ``fragments``: named pieces used inside patterns as ``${name}``;
* ``patterns``: named patterns; a list is joined with ``|`` (one alternative a line);
* ``social_needs``: ``trigger``, ``pattern``, ``responses`` (domain responses with the
  immediate numbers) and ``urgent``: urgent social needs, see :class:`SocialNeed`.
* ``emergency_rules`` / ``case_rules``: ``trigger`` label and ``pattern``; a case rule's
  ``also`` names a pattern that must match somewhere in the message too;
* ``fuzzy_terms``, ``public_phone_prefixes``, ``public_email_domains``,
  ``name_stopwords``, ``plate_stopwords_upper``, ``plate_stopwords_lower``: word lists.

Patterns run on the normalised text (lower case, umlauts spelt out) and are compiled
with bounded word repetition (:func:`compile_rule`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

DATA_FILE = Path(__file__).resolve().parents[3] / "data" / "knowledge" / "handoff_detection.yml"

#: Patterns the detection code uses by name; the file must define every one.
REQUIRED_PATTERNS: tuple[str, ...] = (
    "person", "person_or_i", "any_self", "fire_word", "fire_guard", "lamp_before",
    "accident", "injured", "run_over", "crisis", "self_harm_acute", "health", "benefits",
    "own_benefits", "benefit_situation", "benefit_self", "residence", "asylum", "permit",
    "permit_situation", "child_strong", "child_personal", "child_taken", "violence",
    "complain", "nuisance_complaint", "human", "human_negated", "bot_challenge",
    "explicit_wish", "staff", "contact", "language", "how_to",
)  # fmt: skip
WORD_LISTS: tuple[str, ...] = (
    "fuzzy_terms",
    "public_phone_prefixes",
    "public_email_domains",
    "name_stopwords",
    "plate_stopwords_upper",
    "plate_stopwords_lower",
)
_TRIGGER = re.compile(r"[a-z_]+:[a-z_]+")
_FRAGMENT = re.compile(r"\$\{([a-z_]+)\}")


class RulesError(ValueError):
    """The detection data is missing, malformed or names something that does not exist."""


def compile_rule(pattern: str) -> re.Pattern[str]:
    """Compiles a rule with bounded word repetition (``\\w*`` becomes ``\\w{0,40}``).

    Rules run on arbitrary input; unbounded ``\\w*`` inside one 100 KB "word" would make
    matching quadratic.
    """
    return re.compile(pattern.replace(r"\w*", r"\w{0,40}").replace(r"\w+", r"\w{1,40}"))


class SocialNeed(NamedTuple):
    """An urgent social need (no bed tonight, no food, violence at home, ...).

    ``responses`` are the domain responses with the immediate numbers, in order;
    ``urgent`` makes the case an urgent one (short due time, listed first).
    """

    trigger: str
    pattern: re.Pattern[str]
    responses: tuple[str, ...]
    urgent: bool


class CaseRule(NamedTuple):
    """An own-case rule: ``pattern`` matches, and ``also`` (when set) somewhere too."""

    trigger: str
    pattern: re.Pattern[str]
    also: re.Pattern[str] | None


@dataclass(frozen=True)
class Rules:
    """Everything detection reads from the data file, compiled."""

    patterns: Mapping[str, re.Pattern[str]]
    emergency_rules: tuple[tuple[str, re.Pattern[str]], ...]
    case_rules: tuple[CaseRule, ...]
    words: Mapping[str, tuple[str, ...]]
    social_needs: tuple[SocialNeed, ...] = ()


def _source(value: object, where: str, fragments: Mapping[str, str]) -> str:
    """A pattern's text: a string, or a list of alternatives joined with ``|``."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        text = "|".join(value)
    elif isinstance(value, str) and value:
        text = value
    else:
        raise RulesError(f"{where}: a pattern is a non-empty string or list of strings")

    def fragment(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fragments:
            raise RulesError(f"{where}: unknown fragment ${{{name}}}")
        return fragments[name]

    return _FRAGMENT.sub(fragment, text)


def _compile(value: object, where: str, fragments: Mapping[str, str]) -> re.Pattern[str]:
    try:
        return compile_rule(_source(value, where, fragments))
    except re.error as exc:
        raise RulesError(f"{where}: not a valid regular expression: {exc}") from None


def parse_rules(data: object, name: str = "handoff_detection.yml") -> Rules:
    """Validates and compiles the decoded data file.

    Raises:
        RulesError: naming the first entry that is wrong.
    """
    if not isinstance(data, dict):
        raise RulesError(f"{name}: the file is not a mapping")
    raw_fragments = data.get("fragments") or {}
    if not isinstance(raw_fragments, dict):
        raise RulesError(f"{name}: fragments is not a mapping")
    fragments: dict[str, str] = {}
    for key, value in raw_fragments.items():
        fragments[str(key)] = _source(value, f"{name}: fragments.{key}", {})
    raw_patterns = data.get("patterns")
    if not isinstance(raw_patterns, dict):
        raise RulesError(f"{name}: patterns is missing or not a mapping")
    patterns = {
        str(key): _compile(value, f"{name}: patterns.{key}", fragments)
        for key, value in raw_patterns.items()
    }
    missing = [p for p in REQUIRED_PATTERNS if p not in patterns]
    if missing:
        raise RulesError(f"{name}: patterns without an entry: {', '.join(missing)}")
    emergency: list[tuple[str, re.Pattern[str]]] = []
    for i, rule in enumerate(data.get("emergency_rules") or []):
        where = f"{name}: emergency_rules[{i}]"
        trigger = _trigger(rule, where)
        emergency.append((trigger, _compile(rule.get("pattern"), where, fragments)))
    case: list[CaseRule] = []
    for i, rule in enumerate(data.get("case_rules") or []):
        where = f"{name}: case_rules[{i}]"
        trigger = _trigger(rule, where)
        also = rule.get("also")
        if also is not None and also not in patterns:
            raise RulesError(f"{where}: also names no pattern ({also!r})")
        case.append(
            CaseRule(
                trigger,
                _compile(rule.get("pattern"), where, fragments),
                patterns[also] if also is not None else None,
            )
        )
    social: list[SocialNeed] = []
    for i, rule in enumerate(data.get("social_needs") or []):
        where = f"{name}: social_needs[{i}]"
        trigger = _trigger(rule, where)
        responses = rule.get("responses")
        if (
            not isinstance(responses, list)
            or not responses
            or not all(isinstance(r, str) and r.startswith("utter_") for r in responses)
        ):
            raise RulesError(f"{where}: responses must be a list of utter_* names")
        if not isinstance(rule.get("urgent", False), bool):
            raise RulesError(f"{where}: urgent must be true or false")
        social.append(
            SocialNeed(
                trigger,
                _compile(rule.get("pattern"), where, fragments),
                tuple(responses),
                bool(rule.get("urgent", False)),
            )
        )
    if not emergency or not case:
        raise RulesError(f"{name}: emergency_rules and case_rules need at least one rule each")
    words: dict[str, tuple[str, ...]] = {}
    for key in WORD_LISTS:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise RulesError(f"{name}: {key} is missing or not a list of words")
        words[key] = tuple(value)
    return Rules(patterns, tuple(emergency), tuple(case), words, tuple(social))


def _trigger(rule: Any, where: str) -> str:
    if not isinstance(rule, dict):
        raise RulesError(f"{where}: a rule is a mapping with trigger and pattern")
    trigger = rule.get("trigger")
    if not isinstance(trigger, str) or not _TRIGGER.fullmatch(trigger):
        raise RulesError(f"{where}: trigger must look like 'keyword:name' ({trigger!r})")
    return trigger


@lru_cache(maxsize=4)
def load_rules(path: Path = DATA_FILE) -> Rules:
    """Reads, validates and compiles a detection data file (once per path)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path.name}: cannot be read: {exc}") from None
    return parse_rules(data, path.name)


def rules() -> Rules:
    """The shipped rules (data/knowledge/handoff_detection.yml), read once."""
    return load_rules(DATA_FILE)
