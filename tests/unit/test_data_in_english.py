"""Fees, documents, deadlines and FAQ answers in an English conversation (issue 19).

Where data/knowledge/ gives the text in English (``translations: {en: …}``), an English
answer uses it; where it does not, the answer gives the German text with the catalogue's
marker (data/texts/en.yml ``data.in_german``), never an invented translation. German
answers are unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot import texts
from bot.config import REPO_ROOT
from bot.dialogue import faq
from bot.dialogue.details import answer_detail
from bot.dialogue.responsibilities import details
from bot.knowledge.base import KnowledgeError, load_knowledge
from tests.conftest import KNOWLEDGE_DIR

KNOWLEDGE = load_knowledge(KNOWLEDGE_DIR)
MARK = texts.text("en", "data.in_german", text="")  # " (in German)"


def _reply(knowledge, service_id: str, detail: str, lang: str) -> dict[str, str]:
    out = answer_detail(knowledge, knowledge.services[service_id], detail, lang=lang)
    return out.replies[0].variables


def test_the_marker_is_one_short_text_from_the_catalogue() -> None:
    assert MARK.strip() == "(in German)"
    assert texts.text("de", "data.in_german", text="x") == "x"  # German needs none


@pytest.mark.parametrize(
    ("service_id", "detail", "english"),
    [
        ("personalausweis", "fee", "37.00 EUR (under 24: 22.80 EUR)"),
        ("personalausweis", "documents", "your old identity document, a biometric passport photo"),
        ("wohnsitz_anmelden", "fee", "free of charge"),
        ("wohnsitz_anmelden", "deadline", "within two weeks of moving in"),
    ],
)
def test_english_from_the_data_where_it_has_it(service_id: str, detail: str, english: str) -> None:
    service = KNOWLEDGE.services[service_id]
    value = _reply(KNOWLEDGE, service_id, detail, "en")[detail]
    assert value == english and "(in German)" not in value
    # the German answer keeps the German data, untouched
    german = _reply(KNOWLEDGE, service_id, detail, "de")[detail]
    assert german == service.detail_in(detail, "de")
    assert german != english


@pytest.mark.parametrize(
    ("service_id", "detail"), [("reisepass", "fee"), ("reisepass", "documents")]
)
def test_without_english_data_the_german_text_is_marked(service_id: str, detail: str) -> None:
    service = KNOWLEDGE.services[service_id]
    assert "en" not in service.translations or detail not in service.translations["en"]
    value = _reply(KNOWLEDGE, service_id, detail, "en")[detail]
    german = service.detail_in(detail, "de")
    assert german and value == f"{german}{MARK}"


def test_the_service_card_lines_follow_the_same_rule() -> None:
    office = KNOWLEDGE.offices["buergerbuero_mitte"]
    english = details(KNOWLEDGE, KNOWLEDGE.services["wohnsitz_anmelden"], office, "en")
    assert "• Please bring: ID card or passport, landlord's confirmation" in english
    assert "• Fee: free of charge" in english
    assert "• Deadline: within two weeks of moving in" in english
    passport = details(KNOWLEDGE, KNOWLEDGE.services["reisepass"], office, "en")
    assert f"• Fee: 70,00 EUR (unter 24 Jahren 37,50 EUR){MARK}" in passport
    german = details(KNOWLEDGE, KNOWLEDGE.services["wohnsitz_anmelden"], office, "de")
    assert "Gebühr: gebührenfrei" in german and "(in German)" not in german


def test_faq_answer_in_english_or_german_with_the_marker() -> None:
    entry = KNOWLEDGE.faq["bezahlen_im_amt"]
    out = faq.answer(KNOWLEDGE, "Kann man im Amt mit Karte zahlen?", [], language="en")
    answer = out.replies[0].variables["answer"]
    assert answer.startswith("In all citizens' offices") and answer == entry.answer_in("en")
    german_only = KNOWLEDGE.faq["parken_rathaus"]
    out = faq.answer(KNOWLEDGE, "Wo parke ich am besten beim Rathaus?", [], language="en")
    assert out.replies[0].variables["answer"] == f"{german_only.answer}{MARK}"
    out = faq.answer(KNOWLEDGE, "Kann man im Amt mit Karte zahlen?", [], language="de")
    assert out.replies[0].variables["answer"] == entry.answer


def test_the_english_faq_response_claims_nothing_about_the_language() -> None:
    # the marker travels with the German text; the response itself must not say "in German"
    domain = yaml.safe_load((REPO_ROOT / "domain" / "faq.yml").read_text(encoding="utf-8"))
    english = [v["text"] for v in domain["responses"]["utter_faq"] if v.get("condition")]
    assert english and all("German" not in t for t in english)


def test_a_translated_detail_is_validated(tmp_path: Path) -> None:
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    data = yaml.safe_load((directory / "services.yml").read_text(encoding="utf-8"))
    data["services"][0]["translations"]["en"]["documents"] = "not a list"
    (directory / "services.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(KnowledgeError, match="documents"):
        load_knowledge(directory)
