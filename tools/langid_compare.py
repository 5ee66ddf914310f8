"""Compares two language detectors on the project's short citizen messages (issue 19).

German: the held-out set and the citizen test set (tests/nlu/); English: the English test
set (tests/nlu/en/) plus one-word and ambiguous messages. For each detector, restricted
to German and English: accuracy of the top language, and, at the confidence the assistant
requires before it switches, how many messages switch wrongly and how many are left
undecided (the conversation keeps its language). Speed in messages per second.

Not part of the runtime: run in a throwaway virtualenv with both packages,
    uv venv /tmp/ld && uv pip install -p /tmp/ld lingua-language-detector==2.1.1 \
        py3langid==0.2.2 numpy==1.23.5 pyyaml
    /tmp/ld/bin/python tools/langid_compare.py
The project's rule on top of lingua (in the project's own venv):
    .venv/bin/python -c "import sys; sys.path[:0] = ['tools', '.']; \
        import langid_compare as c; c.project_rule()"
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
AMBIGUOUS = ["ok", "Hallo", "Hi", "Brückenstraße", "Hauptstraße", "Bürgerbüro", "Standesamt",
             "Kfz-Zulassungsstelle", "Lindenallee", "Super", "Taxi", "Ja", "no",
             "Okay danke"]  # fmt: skip


def messages() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    held = yaml.safe_load((ROOT / "tests/nlu/heldout.yml").read_text(encoding="utf-8"))
    for block in held["nlu"]:
        for line in str(block["examples"]).splitlines():
            text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip().removeprefix("- "))
            if text:
                out.append(("de", text))
    for lang, folder in (("de", "citizens"), ("en", "en")):
        for path in sorted((ROOT / "tests/nlu" / folder).glob("*.yml")):
            for item in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
                out.append((lang, str(item["text"])))
    return out


def lingua_detector():  # type: ignore[no-untyped-def]
    from lingua import Language, LanguageDetectorBuilder

    det = LanguageDetectorBuilder.from_languages(Language.GERMAN, Language.ENGLISH).build()

    def detect(text: str) -> tuple[str, float]:
        values = det.compute_language_confidence_values(text)
        top = values[0]
        return ("de" if top.language == Language.GERMAN else "en"), float(top.value)

    return detect


def langid_detector():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    ident.set_languages(["de", "en"])

    def detect(text: str) -> tuple[str, float]:
        lang, prob = ident.classify(text)
        return str(lang), float(prob)

    return detect


def main() -> None:
    data = messages()
    words = [m for m in data if len(m[1].split()) <= 2]
    german = sum(1 for m in data if m[0] == "de")
    print(f"{len(data)} messages ({german} German, {len(data) - german} English), "
          f"{len(words)} of one or two words")  # fmt: skip
    candidates = (("lingua-language-detector", lingua_detector), ("py3langid", langid_detector))
    for name, make in candidates:
        detect = make()
        start = time.perf_counter()
        results = [(lang, *detect(text)) for lang, text in data]
        rate = len(data) / (time.perf_counter() - start)
        acc = sum(g == lang for lang, g, _ in results) / len(results)
        pairs = zip(results, data, strict=True)
        short = [(lang, g) for (lang, g, _), m in pairs if len(m[1].split()) <= 2]
        short_acc = sum(g == lang for lang, g in short) / len(short)
        print(f"\n{name}: top language {acc:.3f} (1-2 words: {short_acc:.3f}), {rate:.0f} msg/s")
        for threshold in (0.7, 0.8, 0.9, 0.95):
            wrong = sum(1 for lang, g, c in results if c >= threshold and g != lang)
            undecided = sum(1 for _, _, c in results if c < threshold)
            print(f"  switch at >= {threshold}: {wrong} wrong switches, {undecided} undecided")
        shown = [f"{t}={g}:{c:.2f}" for t in AMBIGUOUS for g, c in [detect(t)]]
        print("  ambiguous:", ", ".join(shown))
        misses = [(m[1], g) for (lang, g, _), m in zip(results, data, strict=True) if g != lang]
        print("  misses:", misses[:12])


def project_rule() -> None:
    """The rule the assistant uses (bot.nlu.language_detector: names masked, >= 3 words)."""
    from bot.nlu.language_detector import LanguageDetector

    data = messages()
    for min_words in (2, 3):
        for threshold in (0.6, 0.7, 0.8):
            config = LanguageDetector.get_default_config()
            config.update(min_words=min_words, min_confidence=threshold)
            detector = LanguageDetector(config)
            results = [(lang, detector.language_of(text, []), text) for lang, text in data]
            wrong = [t for lang, r, t in results if r and r[0] != lang]
            open_de = sum(1 for lang, r, _ in results if r is None and lang == "de")
            open_en = sum(1 for lang, r, _ in results if r is None and lang == "en")
            print(f"min_words {min_words}, confidence {threshold}: {len(wrong)} wrong switches "
                  f"{wrong[:6]}, undecided: {open_de} German, {open_en} English")  # fmt: skip


if __name__ == "__main__":
    main()
