"""Writes trainers' decisions from the backlog into the city's data files.

The staff web app's backlog page (``bot.web.backlog``) calls these; they know nothing
of HTTP. Each edit is a YAML round trip (ruamel.yaml: comments, order and quoting kept),
so a trainer can still edit the same files by hand:

- a synonym of a service: ``data/knowledge/services.yml`` (the matcher uses it at once);
- a training example of an intent: ``data/nlu/backlog.yml`` (next ``make train``);
- another wording of a FAQ question: ``data/knowledge/faq.yml`` (next ``make train``).

Nothing that still contains a redaction placeholder ("[IBAN entfernt]") becomes data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.knowledge.matching import words
from bot.validation import nlu_examples, normalise_example

PLACEHOLDER = re.compile(r"\[[^\]]* entfernt\]")
"""What ``bot.handoff.redact`` leaves where it removed an identifier."""


def add_synonym(services_file: Path, service_id: str, synonym: str) -> bool:
    """Appends a synonym to a service in services.yml (round trip: comments stay).

    Returns:
        False when the service does not exist or already has the synonym.
    """
    from ruamel.yaml import YAML

    yaml: Any = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    data = yaml.load(services_file.read_text(encoding="utf-8"))
    for service in data["services"]:
        if service["id"] != service_id:
            continue
        synonyms = service.setdefault("synonyms", [])
        if synonym.lower() in (str(s).lower() for s in synonyms):
            return False
        synonyms.append(synonym)
        with services_file.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
        return True
    return False


BACKLOG_NLU_FILE = "backlog.yml"
BACKLOG_NLU_HEADER = (
    "# Trainingsbeispiele aus dem Trainer-Backlog (/staff/backlog/), von Trainer/innen\n"
    "# übernommen. Darf von Hand bearbeitet werden; danach `make validate` und `make train`.\n"
)
# Intents that only the system sets or that are generated from data/knowledge/.
NOT_TRAINABLE = frozenset({"ask_faq", "handoff_detected", "inform"})


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml: Any = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def trainable_intents(nlu_dir: Path) -> list[str]:
    """Intents with hand-written examples in ``data/nlu/*.yml``, sorted."""
    found = {intent for _, intent, _ in nlu_examples(sorted(nlu_dir.glob("*.yml")))}
    return sorted(found - NOT_TRAINABLE)


def clean_example(text: str) -> str | None:
    """The example as it will be stored, or None when it cannot be training data."""
    text = " ".join(text.split())
    if not 3 <= len(text) <= 200 or PLACEHOLDER.search(text) or text.startswith("/"):
        return None
    return text


def add_example(nlu_dir: Path, intent: str, text: str) -> str | None:
    """Adds ``text`` as a training example of ``intent`` to ``data/nlu/backlog.yml``.

    Returns:
        None when added, else the reason (German, for the trainer).
    """
    from ruamel.yaml.scalarstring import LiteralScalarString

    example = clean_example(text)
    if example is None:
        return "Das Beispiel ist leer, zu lang oder enthält noch einen entfernten Teil."
    if intent not in trainable_intents(nlu_dir):
        return "Unbekannte Absicht."
    key = normalise_example(example)
    files = sorted(nlu_dir.glob("*.yml")) + sorted((nlu_dir / "generated").glob("*.yml"))
    for _, other, existing in nlu_examples(files):
        if normalise_example(existing) == key:
            return f"Dieses Beispiel gibt es schon (Absicht {other})."
    path = nlu_dir / BACKLOG_NLU_FILE
    yaml = _yaml()
    if path.exists():
        data = yaml.load(path.read_text(encoding="utf-8"))
    else:
        data = yaml.load(BACKLOG_NLU_HEADER + 'version: "3.1"\nnlu: []\n')
    items = data.setdefault("nlu", [])
    item = next((i for i in items if i.get("intent") == intent), None)
    if item is None:
        item = {"intent": intent, "examples": ""}
        items.append(item)
    item["examples"] = LiteralScalarString(f"{item['examples']}- {example}\n")
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return None


def add_faq_question(faq_file: Path, faq_id: str, question: str) -> str | None:
    """Adds ``question`` to a FAQ entry in ``data/knowledge/faq.yml`` (comments kept).

    Returns:
        None when added, else the reason (German, for the trainer).
    """
    text = clean_example(question)
    if text is None:
        return "Die Frage ist leer, zu lang oder enthält noch einen entfernten Teil."
    yaml = _yaml()
    data = yaml.load(faq_file.read_text(encoding="utf-8")) if faq_file.exists() else None
    entries = (data or {}).get("faq") or []
    entry = next((e for e in entries if e.get("id") == faq_id), None)
    if entry is None:
        return "Unbekannter FAQ-Eintrag."
    key = " ".join(words(text))
    if any(" ".join(words(str(q))) == key for e in entries for q in e.get("questions") or []):
        return "Diese Frage gibt es schon."
    entry["questions"].append(text)
    with faq_file.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return None
