"""Recall and precision of :func:`~bot.handoff.detect.detect` on a labelled set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.handoff.detect.model import REASONS
from bot.handoff.detect.reasons import detect


def _ratio(numerator: int, denominator: int, empty: float) -> float:
    return numerator / denominator if denominator else empty


def evaluate(samples: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Recall and precision of :func:`detect` on labelled messages.

    Args:
        samples: mappings with ``text``, ``reason`` (a reason or ``None``) and optionally
            ``intent``.

    Returns:
        ``{"size", "per_reason": {reason: {"support", "predicted", "tp", "recall",
        "precision"}}, "overall": {...}, "confusion": {"gold->predicted": n},
        "errors": [{"index", "gold", "predicted"}]}``. "overall" treats every reason as
        "handoff" against ``None``. Precision without predictions and recall without
        support are 1.0. Errors carry indexes and labels only, never the texts (they may
        hold personal data).
    """
    labels: list[str | None] = [*REASONS, None]
    pairs: list[tuple[str | None, str | None]] = []
    for sample in samples:
        gold = sample.get("reason")
        predicted = detect(str(sample.get("text") or ""), sample.get("intent")).reason
        pairs.append((gold, predicted))

    per_reason: dict[str, dict[str, float | int]] = {}
    for reason in REASONS:
        support = sum(1 for g, _ in pairs if g == reason)
        predicted_n = sum(1 for _, p in pairs if p == reason)
        tp = sum(1 for g, p in pairs if g == reason and p == reason)
        per_reason[reason] = {
            "support": support,
            "predicted": predicted_n,
            "tp": tp,
            "recall": _ratio(tp, support, 1.0),
            "precision": _ratio(tp, predicted_n, 1.0),
        }
    gold_any = sum(1 for g, _ in pairs if g is not None)
    pred_any = sum(1 for _, p in pairs if p is not None)
    tp_any = sum(1 for g, p in pairs if g is not None and p is not None)
    confusion: dict[str, int] = {}
    for gold_label in labels:
        for pred_label in labels:
            count = sum(1 for g, p in pairs if g == gold_label and p == pred_label)
            if count:
                confusion[f"{gold_label}->{pred_label}"] = count
    return {
        "size": len(pairs),
        "per_reason": per_reason,
        "overall": {
            "support": gold_any,
            "predicted": pred_any,
            "tp": tp_any,
            "recall": _ratio(tp_any, gold_any, 1.0),
            "precision": _ratio(tp_any, pred_any, 1.0),
            "negatives": len(pairs) - gold_any,
            "exact_accuracy": _ratio(sum(1 for g, p in pairs if g == p), len(pairs), 1.0),
        },
        "confusion": confusion,
        "errors": [
            {"index": i, "gold": g, "predicted": p} for i, (g, p) in enumerate(pairs) if g != p
        ],
    }


def format_report(metrics: Mapping[str, Any]) -> str:
    """A plain-text table of :func:`evaluate`'s result (for test output and docs).

    Args:
        metrics: the dictionary returned by :func:`evaluate`.

    Returns:
        One line per reason plus the overall handoff line.
    """
    lines = [f"{'reason':<16}{'support':>8}{'pred':>6}{'tp':>5}{'recall':>8}{'precision':>10}"]
    rows = [*metrics["per_reason"].items(), ("ANY HANDOFF", metrics["overall"])]
    for name, row in rows:
        lines.append(
            f"{name:<16}{row['support']:>8}{row['predicted']:>6}{row['tp']:>5}"
            f"{row['recall']:>8.3f}{row['precision']:>10.3f}"
        )
    overall = metrics["overall"]
    lines.append(
        f"size {metrics['size']}, negatives {overall['negatives']}, "
        f"exact-label accuracy {overall['exact_accuracy']:.3f}"
    )
    return "\n".join(lines)
