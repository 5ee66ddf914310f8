"""Held-out German NLU set (tests/nlu/heldout.yml): macro-F1 through the real model.

The examples never appear in the training data (``make validate`` enforces it). The
intent measured is the classifier's (before the handoff detector re-routes a message).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sklearn.metrics import classification_report, f1_score

from bot.validation import normalise_example

pytestmark = pytest.mark.stack
HELDOUT = Path(__file__).resolve().parents[1] / "nlu" / "heldout.yml"
MACRO_F1_THRESHOLD = 0.85


def heldout_examples() -> list[tuple[str, str]]:
    doc = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    out = []
    for item in doc["nlu"]:
        for line in item["examples"].splitlines():
            if line.strip().startswith("- "):
                out.append((item["intent"], plain_text(line.strip()[2:])))
    return out


def plain_text(example: str) -> str:
    """The example as a citizen typed it (entity markup removed, case kept)."""
    return re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", example)


def test_heldout_macro_f1(stack):
    examples = heldout_examples()
    assert len(examples) >= 300
    y_true, y_pred = [], []
    for intent, text in examples:
        parsed = stack.parse(text)
        predicted = (parsed.get("handoff") or {}).get("original_intent") or parsed["intent"]["name"]
        y_true.append(intent)
        y_pred.append(predicted)
    macro = f1_score(y_true, y_pred, average="macro", labels=sorted(set(y_true)))
    report = classification_report(y_true, y_pred, labels=sorted(set(y_true)), zero_division=0)
    confusions = Counter((t, p) for t, p in zip(y_true, y_pred, strict=True) if t != p).most_common(
        10
    )
    out = Path("reports")
    out.mkdir(exist_ok=True)
    (out / "heldout.json").write_text(
        json.dumps(
            {"examples": len(examples), "macro_f1": macro, "confusions": confusions}, indent=1
        )
    )
    print(f"\nheld-out: {len(examples)} examples, macro-F1 {macro:.3f}\n{report}", file=sys.stderr)
    print(f"top confusions: {confusions}", file=sys.stderr)
    assert macro >= MACRO_F1_THRESHOLD, report


def test_heldout_not_in_training():
    training = set()
    for f in (Path(__file__).resolve().parents[2] / "data" / "nlu").glob("*.yml"):
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            for line in str(item.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    training.add(normalise_example(line.strip()[2:]))
    leaked = [t for _, t in heldout_examples() if normalise_example(t) in training]
    assert leaked == []
