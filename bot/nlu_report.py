"""``make test-nlu``: cross-validation and the held-out set, as a report in reports/.

- held-out: the trained model parses every example of ``tests/nlu/heldout.yml``;
- cross-validation: the training examples are split into k stratified folds; for each
  fold an NLU model is trained on the rest and evaluated on the fold.

The intent measured is the classifier's (before the handoff detector re-routes a
message), so the numbers describe language understanding. Writes ``reports/nlu.md``
(per-intent precision, recall, F1, the most frequent confusion pairs) and
``reports/nlu_f1.png``; exits 1 when a macro-F1 is below its threshold.

The test set of each further language (``tests/nlu/<code>/``, e.g. ``en``: same format)
is gated at ``LANGUAGE_OVERALL`` (90 %) overall.

The citizen test set (``tests/nlu/citizens/``, one file per category, written from the
citizen's side) is reported per category: a message counts when its intent and every
labelled entity are right. It is gated at ``CITIZEN_OVERALL`` (95 %) overall and
``CITIZEN_CATEGORY`` (90 %) in every category; the figures are printed and written even
when the gate fails.

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
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT
from bot.validation import nlu_examples

THRESHOLD = 0.85  # held-out set
CITIZEN_OVERALL = 0.95  # citizen test set, all messages
CITIZEN_CATEGORY = 0.90  # citizen test set, each category
CITIZEN_DIR = REPO_ROOT / "tests" / "nlu" / "citizens"
LANGUAGE_OVERALL = 0.90  # the test set of each further language (issue 19), all messages
CV_FLOOR = 0.65  # k-fold cross-validation (see above)
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def read_examples(files: list[Path]) -> list[tuple[str, str, str]]:
    """``(intent, example with markup, plain text)`` of NLU files."""
    return [(intent, raw, _ENTITY.sub(r"\1", raw)) for _, intent, raw in nlu_examples(files)]


def classifier_intent(parsed: dict[str, Any]) -> str:
    """The classifier's intent of a parse result (handoff re-routing undone)."""
    return str((parsed.get("handoff") or {}).get("original_intent") or parsed["intent"]["name"])


async def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    """The model's full parse result for each text."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    out = []
    for text in texts:
        start = time.perf_counter()
        parsed = await agent.parse_message(text)
        parsed["_elapsed_ms"] = (time.perf_counter() - start) * 1000
        out.append(parsed)
    return out


async def predict(model: Path, texts: list[str]) -> list[str]:
    """The classifier's intent for each text (handoff re-routing undone)."""
    return [classifier_intent(p) for p in await parse_all(model, texts)]


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


MODEL = REPO_ROOT / "models" / "buergerservice.tar.gz"


def heldout(model: Path = MODEL) -> dict[str, Any]:
    """The trained model on tests/nlu/heldout.yml."""
    examples = read_examples([REPO_ROOT / "tests" / "nlu" / "heldout.yml"])
    y_pred = asyncio.run(predict(model, [e[2] for e in examples]))
    return metrics([e[0] for e in examples], y_pred)


def read_citizen_set(directory: Path = CITIZEN_DIR) -> list[dict[str, Any]]:
    """The citizen messages: ``category``, ``text``, ``intent``, ``entities`` (may be empty)."""
    return [
        item for path in sorted(directory.glob("*.yml")) for item in read_citizen_set_file(path)
    ]


def entity_errors(
    expected: dict[str, str], parsed: dict[str, Any], knowledge: Any, text: str = ""
) -> list[str]:
    """The labelled entities the assistant would get wrong.

    ``service``: the service the responsibility answer resolves from the message and its
    entities (:func:`bot.dialogue.responsibilities.find_services`, entities first, then
    the whole text), so the figure is what the citizen gets. ``office``: the entity value,
    or its best fuzzy match in the data. ``detail``: what the detail answer reads
    (:func:`bot.dialogue.details.detail_of`).
    """
    errors = []
    found: dict[str, list[str]] = defaultdict(list)
    for e in parsed.get("entities") or []:
        found[str(e.get("entity"))].append(str(e.get("value")))
    for name, want in expected.items():
        values = found.get(name, [])
        if name == "service" and knowledge is not None:
            from bot.dialogue.responsibilities import find_services

            matches = find_services(knowledge, text, list(parsed.get("entities") or []))
            ok = bool(matches) and matches[0].key == want
            got = matches[0].key if matches else "none"
        elif name == "detail":
            # What the detail answer reads (DIET entity, this pipeline's extractor, cues).
            from bot.dialogue.details import detail_of

            got = detail_of(text, list(parsed.get("entities") or [])) or "none"
            ok = got == want
        else:
            ok = want in values
            if not ok and name == "office" and knowledge is not None:
                ok = any((m := knowledge.find_offices(v)) and m[0].key == want for v in values)
            got = ", ".join(values) or "none"
        if not ok:
            errors.append(f"{name}={want} (got {got})")
    return errors


def citizen_metrics(items: list[dict[str, Any]], parsed: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy overall and per category, and every miss."""
    from bot.knowledge.base import load_knowledge

    knowledge = load_knowledge(REPO_ROOT / "data" / "knowledge")
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    intent_ok: Counter[str] = Counter()
    misses = []
    for item, p in zip(items, parsed, strict=True):
        got = classifier_intent(p)
        problems = [] if got == item["intent"] else [f"intent {item['intent']} (got {got})"]
        intent_ok[item["category"]] += not problems
        problems += entity_errors(item["entities"], p, knowledge, item["text"])
        per[item["category"]][1] += 1
        if problems:
            misses.append((item["category"], item["text"], "; ".join(problems)))
        else:
            per[item["category"]][0] += 1
    total = sum(n for _, n in per.values())
    elapsed = sorted(float(p.get("_elapsed_ms", 0.0)) for p in parsed)
    return {
        "parse_ms_p50": elapsed[len(elapsed) // 2] if elapsed else 0.0,
        "parse_ms_p95": elapsed[int(len(elapsed) * 0.95)] if elapsed else 0.0,
        "overall": sum(c for c, _ in per.values()) / total if total else 0.0,
        "count": total,
        "per_category": {
            k: {"correct": c, "count": n, "accuracy": c / n, "intent_accuracy": intent_ok[k] / n}
            for k, (c, n) in per.items()
        },
        "intent_accuracy": sum(intent_ok.values()) / total if total else 0.0,
        "misses": misses,
    }


def citizens(model: Path = MODEL) -> dict[str, Any]:
    """The trained model on the citizen test set."""
    items = read_citizen_set()
    parsed = asyncio.run(parse_all(model, [i["text"] for i in items]))
    return citizen_metrics(items, parsed)


def language_sets() -> list[str]:
    """The further languages with a test set: ``tests/nlu/<code>/`` for a catalogue's code."""
    from bot import texts

    return [
        lang
        for lang in texts.languages()
        if lang != texts.DEFAULT_LANGUAGE and (REPO_ROOT / "tests" / "nlu" / lang).is_dir()
    ]


def language_set(lang: str, model: Path = MODEL) -> dict[str, Any]:
    """The trained model on a language's test set (same format and scoring as the citizens')."""
    items = read_citizen_set(REPO_ROOT / "tests" / "nlu" / lang)
    parsed = asyncio.run(parse_all(model, [i["text"] for i in items]))
    return citizen_metrics(items, parsed)


def citizen_markdown(
    m: dict[str, Any], title: str = "Citizen test set (tests/nlu/citizens/)", gate: str = ""
) -> str:
    """The citizen report section: accuracy per category, then every miss."""
    gate = gate or f"{CITIZEN_OVERALL:.0%} overall, {CITIZEN_CATEGORY:.0%} per category"
    lines = [
        f"## {title}",
        "",
        f"Accuracy **{m['overall']:.3f}** overall ({m['count']} messages; gate "
        f"{gate}); intent alone "
        f"{m['intent_accuracy']:.3f}. NLU parse per message (in process): p50 "
        f"{m['parse_ms_p50']:.0f} ms, p95 {m['parse_ms_p95']:.0f} ms.",
        "",
        "| category | correct | messages | accuracy | intent alone |",
        "|---|---|---|---|---|",
    ]
    for name, v in sorted(m["per_category"].items()):
        lines.append(
            f"| {name} | {v['correct']} | {v['count']} | {v['accuracy']:.3f} "
            f"| {v['intent_accuracy']:.3f} |"
        )
    lines += ["", "Misses (category: message → what was wrong):", ""]
    lines += [f"- {c}: {t!r} → {why}" for c, t, why in m["misses"]] or ["- none"]
    return "\n".join(lines) + "\n"


def citizen_failures(m: dict[str, Any]) -> list[str]:
    """Gate violations of the citizen set, as messages."""
    out = []
    if m["overall"] < CITIZEN_OVERALL:
        out.append(f"citizen set accuracy {m['overall']:.3f} below {CITIZEN_OVERALL}")
    for name, v in sorted(m["per_category"].items()):
        if v["accuracy"] < CITIZEN_CATEGORY:
            out.append(f"citizen set category {name} {v['accuracy']:.3f} below {CITIZEN_CATEGORY}")
    return out


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


DEV_DIR = REPO_ROOT / "tests" / "nlu" / "dev"


def guess_sweep(model: Path = MODEL) -> str:
    """The thresholds of the meaning-based service guesses over ``tests/nlu/dev/``.

    For each pair of (similarity, lead over the second guess): how many of the dev
    concerns would be answered and how many of those rightly, and how many questions about
    services the data lacks would be answered at all. The dialogue's values are
    :data:`bot.dialogue.resolve.GUESS_ACCEPT` and ``GUESS_MARGIN``.
    """
    from bot.dialogue.resolve import service_guesses
    from bot.knowledge.base import load_knowledge

    knowledge = load_knowledge(REPO_ROOT / "data" / "knowledge")
    rows: dict[str, list[tuple[float, float, bool, bool]]] = {}
    offered: dict[str, list[tuple[Any, list[tuple[str, float]]]]] = {"concerns": [], "unknown": []}
    for name in ("concerns", "unknown"):
        items = read_citizen_set_file(DEV_DIR / f"{name}.yml")
        parsed = asyncio.run(parse_all(model, [i["text"] for i in items]))
        rows[name] = []
        for item, p in zip(items, parsed, strict=True):
            guesses = service_guesses(knowledge, list(p.get("entities") or []))
            want = item["entities"].get("service")
            top, sim = guesses[0] if guesses else ("", 0.0)
            lead = sim - (guesses[1][1] if len(guesses) > 1 else 0.0)
            rows[name].append((sim, lead, top == want, want in [k for k, _ in guesses]))
            offered[name].append((want, guesses))
    pos, neg = rows["concerns"], rows["unknown"]
    lines = [
        f"Dev concerns: {len(pos)}, right service first {sum(r[2] for r in pos)}, among the "
        f"guesses {sum(r[3] for r in pos)}; questions about services the data lacks: {len(neg)}",
        "",
        "| similarity ≥ | lead ≥ | concerns answered | of them right | lacking answered |",
        "|---|---|---|---|---|",
    ]
    for accept in (0.85, 0.86, 0.87, 0.88, 0.89, 0.90):
        for margin in (0.0, 0.01, 0.02, 0.03):
            a = [r for r in pos if r[0] >= accept and r[1] >= margin]
            n = [r for r in neg if r[0] >= accept and r[1] >= margin]
            lines.append(
                f"| {accept:.2f} | {margin:.2f} | {len(a)} | {sum(r[2] for r in a)} | {len(n)} |"
            )
    lines += [
        "",
        "| choice floor | right service among the choices | buttons for lacking services |",
        "|---|---|---|",
    ]
    for floor in (0.80, 0.83, 0.84, 0.85, 0.86):
        hit = sum(w in [k for k, s in g if s >= floor] for w, g in offered["concerns"])
        shown = sum(len([k for k, s in g if s >= floor]) for _, g in offered["unknown"])
        lines.append(f"| {floor:.2f} | {hit} of {len(pos)} | {shown} |")
    return "\n".join(lines)


def read_citizen_set_file(path: Path) -> list[dict[str, Any]]:
    """The messages of one file in the citizen set's format."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        {
            "category": str(doc.get("category") or path.stem),
            "text": str(item["text"]),
            "intent": str(item["intent"]),
            "entities": dict(item.get("entities") or {}),
        }
        for item in doc.get("messages") or []
    ]


def main(argv: list[str] | None = None) -> int:
    """Writes reports/nlu.md and reports/nlu_f1.png."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--no-cv", action="store_true", help="held-out and citizen sets only")
    parser.add_argument("--model", type=Path, default=MODEL, help="model to measure")
    parser.add_argument("--out", default="nlu.md", help="report file name in reports/")
    parser.add_argument(
        "--guess-sweep",
        action="store_true",
        help="only the service-guess thresholds (tests/nlu/dev/)",
    )
    args = parser.parse_args(argv)
    if args.guess_sweep:
        print(guess_sweep(args.model))
        return 0
    out = REPO_ROOT / "reports"
    out.mkdir(exist_ok=True)
    held = heldout(args.model)
    people = citizens(args.model)
    others = {lang: language_set(lang, args.model) for lang in language_sets()}
    text = [
        "# NLU report",
        "",
        markdown("Held-out set (tests/nlu/heldout.yml)", held),
        citizen_markdown(people),
    ]
    for lang, result in others.items():
        title = f"Test set {lang} (tests/nlu/{lang}/)"
        text.append(citizen_markdown(result, title, f"{LANGUAGE_OVERALL:.0%} overall"))
    cv = None
    if not args.no_cv:
        cv = cross_validate(args.folds)
        text.append(markdown(f"{args.folds}-fold cross-validation (data/nlu/)", cv))
    (out / args.out).write_text("\n".join(text), encoding="utf-8")
    plot(held, out / "nlu_f1.png")
    print("\n".join(text))
    failed = False
    if held["macro_f1"] < THRESHOLD:
        print(f"FAILED: held-out macro-F1 {held['macro_f1']:.3f} below {THRESHOLD}")
        failed = True
    for problem in citizen_failures(people):
        print(f"FAILED: {problem}")
        failed = True
    for lang, result in others.items():
        if result["overall"] < LANGUAGE_OVERALL:
            print(f"FAILED: test set {lang} {result['overall']:.3f} below {LANGUAGE_OVERALL:.0%}")
            failed = True
    if cv is not None and cv["macro_f1"] < CV_FLOOR:
        print(f"FAILED: cross-validation macro-F1 {cv['macro_f1']:.3f} below {CV_FLOOR}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
