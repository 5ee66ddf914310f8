"""``make test-nlu``: cross-validation and the held-out set, as a report in reports/.

- held-out: the trained model parses every example of ``tests/nlu/heldout.yml``;
- cross-validation: the training examples are split into k stratified folds; for each
  fold an NLU model is trained on the rest and evaluated on the fold.

The intent measured is the classifier's (before the handoff detector re-routes a
message), so the numbers describe language understanding. Writes ``reports/nlu.md``
(per-intent precision, recall, F1, the most frequent confusion pairs) and
``reports/nlu_f1.png``; exits 1 when a macro-F1 is below its threshold.

Two thresholds, because the two numbers measure different things. The held-out set is
the model as it runs, on wording it has never seen: it must reach ``THRESHOLD`` (0.85).
Each cross-validation model learns from two thirds of the examples only: small intents
(30-50 examples) lose a third of their wording, and a held-back fold's new words make
the vocabulary guard answer "not understood" by design. Its macro-F1 is therefore lower
(0.71 measured on 2026-11-23); ``CV_FLOOR`` guards it against regressions.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT
from bot.validation import nlu_examples

THRESHOLD = 0.85  # held-out set
CV_FLOOR = 0.65  # k-fold cross-validation (see above)
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def read_examples(files: list[Path]) -> list[tuple[str, str, str]]:
    """``(intent, example with markup, plain text)`` of NLU files."""
    return [(intent, raw, _ENTITY.sub(r"\1", raw)) for _, intent, raw in nlu_examples(files)]


async def predict(model: Path, texts: list[str]) -> list[str]:
    """The classifier's intent for each text (handoff re-routing undone)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append((parsed.get("handoff") or {}).get("original_intent") or parsed["intent"]["name"])
    return out


def metrics(y_true: list[str], y_pred: list[str]) -> dict[str, Any]:
    """Per-intent precision/recall/F1, macro-F1, accuracy and confusion pairs."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    labels = sorted(set(y_true))
    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "labels": labels,
        "per_intent": {
            label: {"precision": p[i], "recall": r[i], "f1": f[i], "support": int(support[i])}
            for i, label in enumerate(labels)
        },
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "accuracy": sum(t == q for t, q in zip(y_true, y_pred, strict=True)) / len(y_true),
        "confusions": Counter(
            (t, q) for t, q in zip(y_true, y_pred, strict=True) if t != q
        ).most_common(15),
    }


def folds(examples: list[tuple[str, str, str]], k: int, seed: int = 42) -> list[list[int]]:
    """Stratified folds (indices), deterministic."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, (intent, _, _) in enumerate(examples):
        by_intent[intent].append(i)
    rng = random.Random(seed)
    out: list[list[int]] = [[] for _ in range(k)]
    for indices in by_intent.values():
        rng.shuffle(indices)
        for j, idx in enumerate(indices):
            out[j % k].append(idx)
    return out


def write_nlu(path: Path, examples: list[tuple[str, str, str]], extra: list[Path]) -> None:
    """Writes training examples (and the generated lookup/synonym file) for one fold."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for intent, raw, _ in examples:
        grouped[intent].append(raw)
    doc = {
        "version": "3.1",
        "nlu": [
            {"intent": intent, "examples": "".join(f"- {r}\n" for r in raws)}
            for intent, raws in grouped.items()
        ],
    }
    path.mkdir(parents=True, exist_ok=True)
    (path / "fold.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    for f in extra:
        (path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")


def cross_validate(k: int) -> dict[str, Any]:
    """k-fold cross-validation of the NLU pipeline on data/nlu/."""
    examples = read_examples(sorted((REPO_ROOT / "data" / "nlu").glob("*.yml")))
    generated = sorted((REPO_ROOT / "data" / "nlu" / "generated").glob("*.yml"))
    y_true: list[str] = []
    y_pred: list[str] = []
    for n, test_idx in enumerate(folds(examples, k), start=1):
        test_set = set(test_idx)
        train = [e for i, e in enumerate(examples) if i not in test_set]
        test = [examples[i] for i in test_idx]
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "nlu"
            write_nlu(data, train, generated)
            print(f"==> fold {n}/{k}: training on {len(train)}, testing on {len(test)}", flush=True)
            subprocess.run(  # noqa: S603
                [
                    str(Path(sys.executable).parent / "rasa"), "train", "nlu",
                    "--config", str(REPO_ROOT / "config.yml"),
                    "--nlu", str(data), "--out", tmp, "--fixed-model-name", "fold",
                ],
                check=True,
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            y_pred += asyncio.run(predict(Path(tmp) / "fold.tar.gz", [e[2] for e in test]))
            y_true += [e[0] for e in test]
    return metrics(y_true, y_pred)


def heldout() -> dict[str, Any]:
    """The trained model on tests/nlu/heldout.yml."""
    examples = read_examples([REPO_ROOT / "tests" / "nlu" / "heldout.yml"])
    y_pred = asyncio.run(
        predict(REPO_ROOT / "models" / "buergerservice.tar.gz", [e[2] for e in examples])
    )
    return metrics([e[0] for e in examples], y_pred)


def markdown(title: str, m: dict[str, Any]) -> str:
    """A report section."""
    lines = [
        f"## {title}",
        "",
        f"Macro-F1 **{m['macro_f1']:.3f}**, accuracy {m['accuracy']:.3f} "
        f"({sum(v['support'] for v in m['per_intent'].values())} examples).",
        "",
        "| intent | precision | recall | F1 | examples |",
        "|---|---|---|---|---|",
    ]
    for label, v in m["per_intent"].items():
        lines.append(
            f"| {label} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} "
            f"| {v['support']} |"
        )
    lines += ["", "Most frequent confusions (true → predicted, count):", ""]
    lines += [f"- {t} → {p}: {c}" for (t, p), c in m["confusions"]] or ["- none"]
    return "\n".join(lines) + "\n"


def plot(m: dict[str, Any], path: Path) -> None:
    """Per-intent F1 as a horizontal bar chart (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = m["labels"]
    values = [m["per_intent"][label]["f1"] for label in labels]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 1))
    ax.barh(labels, values, color="#004b87")
    ax.axvline(THRESHOLD, color="#b00020", linestyle="--", label=f"threshold {THRESHOLD}")
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 (held-out)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Writes reports/nlu.md and reports/nlu_f1.png."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--no-cv", action="store_true", help="held-out set only")
    args = parser.parse_args(argv)
    out = REPO_ROOT / "reports"
    out.mkdir(exist_ok=True)
    held = heldout()
    text = ["# NLU report", "", markdown("Held-out set (tests/nlu/heldout.yml)", held)]
    cv = None
    if not args.no_cv:
        cv = cross_validate(args.folds)
        text.append(markdown(f"{args.folds}-fold cross-validation (data/nlu/)", cv))
    (out / "nlu.md").write_text("\n".join(text), encoding="utf-8")
    plot(held, out / "nlu_f1.png")
    print("\n".join(text))
    failed = False
    if held["macro_f1"] < THRESHOLD:
        print(f"FAILED: held-out macro-F1 {held['macro_f1']:.3f} below {THRESHOLD}")
        failed = True
    if cv is not None and cv["macro_f1"] < CV_FLOOR:
        print(f"FAILED: cross-validation macro-F1 {cv['macro_f1']:.3f} below {CV_FLOOR}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
