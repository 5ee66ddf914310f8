"""Reason rules: emergency, sensitive topics, own case, complaints, request for a person.

The rules run on a normalised copy of the message (case-folded, umlauts as ae/oe/ue, ß
as ss, typos of rule words fixed); their patterns are data
(``data/knowledge/handoff_detection.yml``, :mod:`.rules`). :func:`detect` combines them
with the identifiers (:mod:`.identifiers`) and the NLU intent into one
:class:`~bot.handoff.detect.model.Detection`.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.handoff.detect.identifiers import find_identifiers
from bot.handoff.detect.model import INTENT_HINTS, REASONS, Detection
from bot.handoff.detect.rules import compile_rule, rules
from bot.handoff.reference import reference_pattern
from bot.text import ascii_umlauts

_RULES = rules()
_P = _RULES.patterns
_CONTROL = compile_rule(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = compile_rule(r"\s+")
_TOKEN = compile_rule(r"[a-z]{6,30}")

# Words the rules depend on; a token one typo away (two for long words) is corrected.
_FUZZY_TERMS: tuple[str, ...] = _RULES.words["fuzzy_terms"]
_FUZZY_SET = frozenset(_FUZZY_TERMS)


def normalize(text: str) -> str:
    """Lower-case, ASCII-folded umlauts, no control characters, single spaces.

    Args:
        text: raw user text.

    Returns:
        The normalised text the reason rules run on.
    """
    folded = ascii_umlauts(unicodedata.normalize("NFKC", text).casefold())
    return _SPACES.sub(" ", _CONTROL.sub(" ", folded)).strip()


def _correct_typos(text: str) -> str:
    """Replaces tokens one edit (two for long words) away from a rule word."""
    corrections: dict[str, str] = {}
    for token in set(_TOKEN.findall(text)):
        if token in _FUZZY_SET:
            continue
        cutoff = 1 if len(token) < 12 else 2
        best = process.extractOne(token, _FUZZY_TERMS, scorer=OSA.distance, score_cutoff=cutoff)
        if best is not None and best[0][0] == token[0]:
            corrections[token] = best[0]
    if not corrections:
        return text
    return _TOKEN.sub(lambda m: corrections.get(m.group(), m.group()), text)


def _near(
    text: str, topic: re.Pattern[str], person: re.Pattern[str], before: int, after: int
) -> bool:
    """Whether a topic term has a person marker within the given character window."""
    for m in topic.finditer(text):
        window = text[max(0, m.start() - before) : m.end() + after]
        if person.search(window):
            return True
    return False


def _emergency_triggers(text: str) -> list[str]:
    triggers: list[str] = []
    for label, pattern in _RULES.emergency_rules:
        for m in pattern.finditer(text):
            if label == "emergency:fire" and _P["lamp_before"].search(
                text[max(0, m.start() - 60) : m.start()]
            ):
                continue
            triggers.append(label)
            break
    if _P["fire_word"].search(text) and not _P["fire_guard"].search(text):
        triggers.append("emergency:fire")
    if (_P["accident"].search(text) and _P["injured"].search(text)) or (
        _P["run_over"].search(text)
        and _P["person_or_i"].search(text) is None
        and _P["injured"].search(text)
    ):
        triggers.append("emergency:accident")
    return triggers


def _social_needs(text: str) -> tuple[list[str], list[str], bool]:
    """Urgent social needs: their labels, the responses with numbers, urgency."""
    labels: list[str] = []
    responses: list[str] = []
    urgent = False
    for need in _RULES.social_needs:
        if need.pattern.search(text):
            labels.append(need.trigger)
            responses += [r for r in need.responses if r not in responses]
            urgent = urgent or need.urgent
    return labels, responses, urgent


def _sensitive_triggers(text: str) -> list[str]:
    triggers: list[str] = []
    if _near(text, _P["health"], _P["person"], 50, 30):
        triggers.append("topic:health")
    if _near(text, _P["residence"], _P["person_or_i"], 60, 40) or (
        _near(text, _P["permit"], _P["person_or_i"], 50, 50) and _P["permit_situation"].search(text)
    ):
        triggers.append("topic:residence")
    if _near(text, _P["asylum"], _P["person_or_i"], 60, 40):
        triggers.append("topic:asylum")
    if (
        _P["child_strong"].search(text)
        or _near(text, _P["child_personal"], _P["person_or_i"], 50, 50)
        or _P["child_taken"].search(text)
    ):
        triggers.append("topic:child_welfare")
    benefits = (
        _P["own_benefits"].search(text)
        or _near(text, _P["benefits"], _P["benefit_self"], 40, 10)
        or (
            _P["benefits"].search(text)
            and _P["benefit_situation"].search(text)
            and _P["any_self"].search(text)
        )
    )
    if benefits:
        triggers.append("topic:social_benefits")
    if _near(text, _P["violence"], _P["person_or_i"], 60, 40):
        triggers.append("topic:violence")
    return triggers


_HOW_TO_SENSITIVE_LABELS = frozenset({"keyword:antrag", "keyword:bescheid"})


def _case_triggers(text: str) -> list[str]:
    triggers: list[str] = []
    how_to = _P["how_to"].search(text) is not None
    for label, pattern, required in _RULES.case_rules:
        if label in triggers or (how_to and label in _HOW_TO_SENSITIVE_LABELS):
            continue
        if pattern.search(text) and (required is None or required.search(text)):
            triggers.append(label)
    return triggers


def _human_triggers(text: str) -> list[str]:
    text = _P["human_negated"].sub(" ", text)
    if _P["bot_challenge"].search(text) and not _P["explicit_wish"].search(text):
        return []
    if _P["human"].search(text):
        return ["keyword:person"]
    if _P["staff"].search(text) and _P["contact"].search(text) and not _P["language"].search(text):
        return ["keyword:staff"]
    return []


# Rasa's "/intent{...}" messages (buttons, the website's resume link) are commands the
# assistant wrote itself, not the citizen's words: only identifiers and the intent count.
_COMMAND = re.compile(r"/[A-Za-z_][\w-]{0,60}(?:\{.{0,2000}\})?\s*", re.DOTALL)


def detect(text: str, intent: str | None = None) -> Detection:
    """The handoff reason for one message.

    Args:
        text: the citizen's message (any length or content).
        intent: the NLU intent, a hint (:data:`INTENT_HINTS`).

    Returns:
        The decision; ``reason`` is ``None`` for routine questions.
    """
    text = text or ""
    findings = tuple(find_identifiers(text))
    by_reason: dict[str, list[str]] = {reason: [] for reason in REASONS}
    by_reason["personal_data"] = [f.kind for f in findings]
    crisis = False
    emergency_labels: list[str] = []
    social: list[str] = []
    social_responses: list[str] = []
    urgent_social = False
    if not _COMMAND.fullmatch(text):
        norm = _correct_typos(normalize(text))
        crisis = bool(_P["crisis"].search(norm))
        emergency_labels = _emergency_triggers(norm)
        if _P["self_harm_acute"].search(norm):
            crisis = True
            emergency_labels.append("emergency:self_harm")
        by_reason["emergency"] = (["crisis"] if crisis else []) + emergency_labels
        social, social_responses, urgent_social = _social_needs(norm)
        by_reason["sensitive_topic"] = social + [
            t for t in _sensitive_triggers(norm) if t not in social
        ]
        by_reason["case_specific"] = _case_triggers(norm)
        if reference_pattern().search(text):
            by_reason["case_specific"].append("keyword:reference")
        if _P["complain"].search(_P["nuisance_complaint"].sub(" ", norm)):
            by_reason["complain"] = ["keyword:complaint"]
        by_reason["request_human"] = _human_triggers(norm)
    hinted = INTENT_HINTS.get(intent or "")
    if hinted is not None:
        by_reason[hinted].append(f"intent:{intent}")
    reason = next((r for r in REASONS if by_reason[r]), None)
    triggers: list[str] = []
    for r in REASONS:
        for label in by_reason[r]:
            if label not in triggers:
                triggers.append(label)
    return Detection(
        reason=reason,
        triggers=tuple(triggers),
        findings=findings,
        emergency=bool(emergency_labels),
        crisis=crisis,
        social=tuple(social),
        social_responses=tuple(social_responses),
        urgent_social=urgent_social,
    )
