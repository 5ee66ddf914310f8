"""A trainer adds a service in data/knowledge/ only: it is found by a paraphrase.

The matcher re-indexes when the file changes (no code, no second list); `make train`
additionally regenerates the NLU lookup tables and synonyms from the same entry.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from bot.dialogue.responsibilities import answer
from bot.knowledge.base import KnowledgeCache
from bot.training import nlu_document

NEW_SERVICE = {
    "id": "handwerkerparkausweis",
    "name": "Handwerkerparkausweis beantragen",
    "office": "ordnungsamt",
    "fee": "120,00 EUR pro Jahr",
    "documents": ["Gewerbeanmeldung", "Fahrzeugschein"],
    "synonyms": [
        "Handwerkerparkausweis",
        "Parkausweis für Handwerker",
        "Handwerkerausweis",
        "Handwerksbetrieb",
    ],
}


def _add_new_service(knowledge_dir: Path) -> KnowledgeCache:
    """A cache that has read the knowledge, then the trainer's edit of services.yml."""
    cache = KnowledgeCache(knowledge_dir)
    cache.get()
    path = knowledge_dir / "services.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["services"].append(NEW_SERVICE)
    time.sleep(0.01)  # a new mtime: the cache re-reads
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return cache


def test_new_service_is_found_by_a_paraphrase_and_generated_for_rasa(knowledge_copy):
    cache = _add_new_service(knowledge_copy)

    out = answer(cache.get(), "Ich brauche einen Parkausweis für Handwerker, wo?", [], {})
    assert out.replies[0].response == "utter_responsibility"
    assert out.replies[0].variables["service"] == "Handwerkerparkausweis beantragen"
    assert out.replies[0].variables["office"] == "Ordnungsamt"
    assert "120,00 EUR" in out.replies[0].variables["details"]

    doc = nlu_document(cache.get())
    synonyms = {i["synonym"]: i["examples"] for i in doc["nlu"] if "synonym" in i}
    assert "- Handwerkerausweis" in synonyms["handwerkerparkausweis"]
    lookup = next(i for i in doc["nlu"] if i.get("lookup") == "service")
    assert "Parkausweis für Handwerker" in lookup["examples"]


def test_the_whole_text_beats_a_less_specific_entity(knowledge_copy):
    """DIET tags "Parkausweis" (a synonym of the Bewohnerparkausweis); the text says more."""
    from tests.conftest import entity

    cache = _add_new_service(knowledge_copy)
    text = "Ich brauche einen Parkausweis für meinen Handwerksbetrieb, wo bekomme ich den?"
    out = answer(cache.get(), text, [entity("service", "anwohnerparkausweis")], {})
    assert out.replies[0].variables["service"] == "Handwerkerparkausweis beantragen"
    # the entity still decides when the text names nothing more specific
    out = answer(
        cache.get(), "Wo gibt es den Parkausweis?", [entity("service", "anwohnerparkausweis")], {}
    )
    assert out.replies[0].variables["service"] == "Bewohnerparkausweis beantragen"
