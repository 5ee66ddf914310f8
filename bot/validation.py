"""The project's own data checks (``make validate``), beside ``rasa data validate``.

- knowledge: schema (also of nlu_templates.yml), OSM opening_hours expressions, every
  referenced office exists, no alias naming two offices, no synonym or phrase naming two
  services;
- NLU: no example twice or in two intents; no held-out example and no message of the
  citizen test set (tests/nlu/citizens/) in the training data;
- responses: every ``utter_*`` that rules, stories or Python code use exists in domain/.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.base import KnowledgeError, validate_knowledge

_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")
_PUNCT = re.compile(r"[^\w\s]")
_UTTER = re.compile(r"[\"'](utter_[a-z0-9_]+)[\"']")
# Not responses: the key under which Rasa records a bot event's response in its metadata.
_NOT_RESPONSES = {"utter_action"}


def normalise_example(text: str) -> str:
    """Plain text of an NLU example: entity markup removed, lower case, no punctuation."""
    plain = _ENTITY.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(_PUNCT.sub(" ", plain.lower()).split())


def nlu_examples(files: list[Path]) -> list[tuple[str, str, str]]:
    """``(file, intent, example)`` for every intent example in ``files``."""
    out = []
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.append((f.name, item["intent"], line[2:].strip()))
    return out


def check_nlu(root: Path) -> list[str]:
    """Duplicate and leaked examples."""
    errors = []
    nlu_dir = root / "data" / "nlu"
    # generated/: FAQ questions (faq.yml) must not repeat another intent's example either
    # one subdirectory per further language (data/nlu/en/), same intents
    training = nlu_examples(
        sorted(nlu_dir.glob("*.yml"))
        + sorted((nlu_dir / "generated").glob("*.yml"))
        + sorted(p for p in nlu_dir.glob("*/*.yml") if p.parent.name != "generated")
    )
    seen: dict[str, tuple[str, str]] = {}
    for file, intent, example in training:
        key = normalise_example(example)
        if key in seen:
            other_file, other_intent = seen[key]
            where = "twice in" if other_intent == intent else f"in {other_intent} and"
            errors.append(f"{file}: example {example!r} is {where} {intent} ({other_file})")
        else:
            seen[key] = (file, intent)
    heldout_dir = root / "tests" / "nlu"
    for file, intent, example in nlu_examples(sorted(heldout_dir.glob("*.yml"))):
        if normalise_example(example) in seen:
            errors.append(
                f"tests/nlu/{file}: held-out example {example!r} ({intent}) is in training"
            )
    # the citizen test set and the test sets per further language (tests/nlu/en/, same format)
    for f in sorted(heldout_dir.glob("*/*.yml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for item in doc.get("messages") or []:
            if normalise_example(str(item.get("text", ""))) in seen:
                errors.append(
                    f"tests/nlu/{f.parent.name}/{f.name}: "
                    f"{'citizen' if f.parent.name == 'citizens' else 'test'} message "
                    f"{item.get('text')!r} is in training"
                )
    return errors


def _domain(root: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": {}, "actions": []}
    for f in sorted((root / "domain").glob("*.yml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        merged["responses"].update(doc.get("responses") or {})
        merged["actions"] += doc.get("actions") or []
    return merged


def check_responses(root: Path) -> list[str]:
    """Every response used by rules, stories and code exists in the domain."""
    domain = _domain(root)
    known = set(domain["responses"])
    errors = []
    for folder in ("data/rules", "data/stories", "tests/conversations"):
        for f in sorted((root / folder).glob("*.yml")):
            for name in sorted(set(re.findall(r"action:\s*(utter_[a-z0-9_]+)", f.read_text()))):
                if name not in known:
                    errors.append(f"{folder}/{f.name}: response {name} is not in domain/")
    for folder in ("actions", "bot"):
        for f in sorted((root / folder).rglob("*.py")):
            for name in sorted(set(_UTTER.findall(f.read_text(encoding="utf-8")))):
                if name not in known and name not in _NOT_RESPONSES:
                    where = f"{folder}/{f.relative_to(root / folder)}"
                    errors.append(f"{where}: response {name} is not in domain/")
    return errors


def check_synonyms(root: Path) -> list[str]:
    """A synonym or phrase must name one service only."""
    doc = yaml.safe_load((root / "data" / "knowledge" / "services.yml").read_text()) or {}
    owners: dict[str, set[str]] = defaultdict(set)
    for s in doc.get("services") or []:
        for term in [s.get("name", ""), *(s.get("synonyms") or []), *(s.get("phrases") or [])]:
            owners[str(term).lower()].add(s.get("id", "?"))
    return [
        f"services.yml: synonym {term!r} names several services: {', '.join(sorted(ids))}"
        for term, ids in sorted(owners.items())
        if len(ids) > 1
    ]


def validate_project(root: Path) -> list[str]:
    """All problems found (empty when the data is valid)."""
    errors = validate_knowledge(root / "data" / "knowledge")
    if not errors:
        errors += check_synonyms(root)
    try:
        from bot.training import load_templates

        load_templates(root / "data" / "knowledge")
    except KnowledgeError as exc:
        errors.append(str(exc))
    try:  # channel policy, routing and the during_case settings
        from bot.handoff.policy import HandoffConfig

        HandoffConfig.load(root / "data" / "knowledge" / "handoff.yml", env={})
    except (ValueError, KeyError, TypeError) as exc:
        errors.append(f"data/knowledge/handoff.yml: {exc}")
    errors += check_nlu(root)
    errors += check_responses(root)
    return errors
