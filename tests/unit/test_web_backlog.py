"""The trainers' backlog: redacted, grouped, counted; dismiss or adopt as a synonym."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.backlog import record_unanswered
from bot.config import Settings
from bot.knowledge.base import load_knowledge
from bot.store import backlog, make_engine
from bot.web.auth import upsert_user
from tests.webserver import app_settings, csrf_in, running_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "trainer-passwort-123"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "data" / "knowledge", knowledge)
    nlu = tmp_path / "nlu"  # data/nlu beside the knowledge, as in the repository
    nlu.mkdir()
    for f in (ROOT / "data" / "nlu").glob("*.yml"):
        shutil.copy(f, nlu / f.name)
    s = app_settings(tmp_path, "2026-11-23T10:00:00+01:00", KNOWLEDGE_DIR=str(knowledge))
    engine = make_engine(s.handoff_db_url)
    upsert_user(engine, "tina", PASSWORD, "trainer")
    upsert_user(engine, "sam", PASSWORD, "staff")
    for text, kind in [
        ("Wo bekomme ich eine Angelkarte? Meine IBAN ist DE89 3704 0044 0532 0130 00", "fallback"),
        ("wo bekomme ich eine angelkarte", "unknown_responsibility"),
        ("Angelkarte wo bekommen", "fallback"),
        ("Wie wird das Wetter morgen?", "out_of_scope"),
    ]:
        record_unanswered(text, "socketio", kind, engine=engine)
    return s


async def login(web, user: str) -> None:
    async with web.http.post(
        f"{web.url}/staff/login", data={"username": user, "password": PASSWORD}
    ) as resp:
        assert resp.status == 200


async def test_grouped_counted_redacted_and_for_trainers_only(settings):
    async with running_app(settings) as web:
        await login(web, "sam")
        async with web.http.get(f"{web.url}/staff/backlog/") as resp:
            assert resp.status == 403
    async with running_app(settings) as web:
        await login(web, "tina")
        async with web.http.get(f"{web.url}/staff/backlog/") as resp:
            page = await resp.text()
    counts = [int(c) for c in re.findall(r'<td class="count">(\d+)</td>', page)]
    assert counts == [3, 1]
    assert "3704" not in page and "DE89" not in page
    assert "[IBAN entfernt]" in page


async def test_adopt_as_synonym_writes_knowledge_and_closes_the_group(settings):
    async with running_app(settings) as web:
        await login(web, "tina")
        async with web.http.get(f"{web.url}/staff/backlog/") as resp:
            page = await resp.text()
        csrf = csrf_in(page)
        ids = re.search(r'name="ids" value="([0-9,]+)"', page).group(1)
        async with web.http.post(
            f"{web.url}/staff/backlog/synonym",
            data={"csrf": csrf, "ids": ids, "service": "gewerbe_anmelden", "synonym": "Angelkarte"},
        ) as resp:
            assert "Synonym gespeichert" in await resp.text()
    services = (settings.knowledge_dir / "services.yml").read_text(encoding="utf-8")
    assert services.startswith("# Reference city")  # comments kept
    knowledge = load_knowledge(settings.knowledge_dir)
    assert "Angelkarte" in knowledge.services["gewerbe_anmelden"].synonyms
    assert knowledge.find_services("Wo gibt es die Angelkarte?")[0].key == "gewerbe_anmelden"
    with make_engine(settings.handoff_db_url).connect() as conn:
        statuses = sorted(r.status for r in conn.execute(sa.select(backlog.c.status)))
    assert statuses == ["assigned", "assigned", "assigned", "open"]


async def test_dismiss(settings):
    async with running_app(settings) as web:
        await login(web, "tina")
        async with web.http.get(f"{web.url}/staff/backlog/") as resp:
            page = await resp.text()
        csrf = csrf_in(page)
        last_ids = re.findall(r'name="ids" value="([0-9,]+)"', page)[-1]
        async with web.http.post(
            f"{web.url}/staff/backlog/dismiss", data={"csrf": csrf, "ids": last_ids}
        ) as resp:
            page = await resp.text()
    assert re.findall(r'<td class="count">(\d+)</td>', page) == ["3"]


async def _post_group(web, path: str, form: dict[str, str], group: int = 0) -> str:
    async with web.http.get(f"{web.url}/staff/backlog/") as resp:
        page = await resp.text()
    csrf = csrf_in(page)
    ids = re.findall(r'name="ids" value="([0-9,]+)"', page)[group]
    async with web.http.post(
        f"{web.url}/staff/backlog/{path}", data={"csrf": csrf, "ids": ids, **form}
    ) as resp:
        return await resp.text()


async def test_adopt_as_intent_example_writes_data_nlu_and_validates(settings):
    nlu_dir = settings.knowledge_dir.parent / "nlu"
    async with running_app(settings) as web:
        await login(web, "tina")
        # the redacted wording cannot become training data
        page = await _post_group(
            web, "example", {"intent": "out_of_scope", "example": "Meine IBAN ist [IBAN entfernt]"}
        )
        assert "entfernten Teil" in page
        # an example another intent already has is refused
        page = await _post_group(web, "example", {"intent": "out_of_scope", "example": "Hallo"})
        assert "gibt es schon" in page
        page = await _post_group(web, "example", {"intent": "no_such_intent", "example": "x y z"})
        assert "Unbekannte Absicht" in page
        page = await _post_group(
            web, "example", {"intent": "out_of_scope", "example": "Wo bekomme ich eine Angelkarte?"}
        )
        assert "Beispiel gespeichert" in page
        assert re.findall(r'<td class="count">(\d+)</td>', page) == ["1"]
    from bot.validation import nlu_examples

    added = nlu_examples([nlu_dir / "backlog.yml"])
    assert added == [("backlog.yml", "out_of_scope", "Wo bekomme ich eine Angelkarte?")]
    text = (nlu_dir / "backlog.yml").read_text(encoding="utf-8")
    assert text.startswith("# Trainingsbeispiele aus dem Trainer-Backlog")
    assert 'version: "3.1"' in text
    with make_engine(settings.handoff_db_url).connect() as conn:
        resolutions = {r.resolution for r in conn.execute(sa.select(backlog.c.resolution))}
        actions = [r.action for r in conn.execute(sa.text("SELECT action FROM audit_log"))]
    assert "Beispiel für out_of_scope" in resolutions
    assert "backlog_example" in actions


async def test_a_second_example_for_the_same_intent_is_appended(settings):
    from bot.training_data import add_example

    nlu_dir = settings.knowledge_dir.parent / "nlu"
    assert add_example(nlu_dir, "greet", "Moin zusammen") is None
    assert add_example(nlu_dir, "greet", "Servus beinand") is None
    assert add_example(nlu_dir, "greet", "servus beinand!") == (
        "Dieses Beispiel gibt es schon (Absicht greet)."
    )
    from bot.validation import nlu_examples

    assert [e for _, _, e in nlu_examples([nlu_dir / "backlog.yml"])] == [
        "Moin zusammen",
        "Servus beinand",
    ]


async def test_adopt_as_faq_question_keeps_comments(settings):
    async with running_app(settings) as web:
        await login(web, "tina")
        page = await _post_group(
            web, "faq", {"faq": "parken_rathaus", "question": "Wo stelle ich mein Auto ab?"}
        )
        assert "Frage gespeichert" in page
        page = await _post_group(web, "faq", {"faq": "gibt_es_nicht", "question": "Frage x"})
        assert "Unbekannter FAQ-Eintrag" in page
    text = (settings.knowledge_dir / "faq.yml").read_text(encoding="utf-8")
    assert text.startswith("# Häufige Fragen (FAQ)")
    knowledge = load_knowledge(settings.knowledge_dir)
    assert "Wo stelle ich mein Auto ab?" in knowledge.faq["parken_rathaus"].questions
