"""The accessibility statement: loaded from data, complete in German and English, linked
from every public page's footer; a missing field is named, never rendered half."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.web.accessibility import StatementError, load_statement
from tests.webserver import app_settings, running_app

FILE = REPO_ROOT / "data" / "knowledge" / "accessibility.yml"
NOW = "2026-11-23T10:00:00+01:00"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_repository_statement_is_complete(lang: str) -> None:
    s = load_statement(FILE, lang)
    assert s.status and s.method and s.contact["email"] and s.enforcement["name"]
    assert len(s.texts["limitations"]) >= 1
    assert "{" not in s.dates + s.feedback  # placeholders filled


def test_dates_in_each_language_convention() -> None:
    assert load_statement(FILE, "de").dates.startswith("Erstellt am 01.12.2026.")
    assert "01 December 2026" in load_statement(FILE, "en").dates


def test_both_languages_list_the_same_limitations() -> None:
    de, en = load_statement(FILE, "de"), load_statement(FILE, "en")
    assert len(de.texts["limitations"]) == len(en.texts["limitations"])


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "accessibility.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["contact"].pop("email"), "contact: missing email"),
        (lambda d: d.update(conformance="mostly"), "conformance: one of full, partial, none"),
        (lambda d: d["texts"]["en"].pop("feedback"), "texts.en: missing feedback"),
        (lambda d: d["texts"]["en"]["status"].pop("partial"), "texts.en.status: missing partial"),
        (lambda d: d["texts"]["en"]["limitations"][0].pop("why"), "limitations[0]: missing why"),
        (lambda d: d.update(reviewed="gestern"), "reviewed: not a date"),
        (lambda d: d["texts"].pop("en"), "no block for language 'en'"),
    ],
)
def test_a_missing_or_wrong_field_is_named(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(StatementError, match=re.escape(message)):
        load_statement(_broken(tmp_path, change), "en")


async def test_pages_render_the_data_and_the_footer_links_them(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "data" / "knowledge", knowledge)
    data = yaml.safe_load((knowledge / "accessibility.yml").read_text(encoding="utf-8"))
    data["contact"]["email"] = "inklusion@beispielstadt.de"
    data["enforcement"]["url"] = "https://schlichtung.example/"
    (knowledge / "accessibility.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    settings = app_settings(tmp_path / "state", NOW, KNOWLEDGE_DIR=str(knowledge))
    async with running_app(settings) as web:
        async with web.http.get(f"{web.url}/barrierefreiheit") as resp:
            assert resp.status == 200
            de = await resp.text()
        async with web.http.get(f"{web.url}/en/accessibility") as resp:
            assert resp.status == 200
            en = await resp.text()
        async with web.http.get(f"{web.url}/") as resp:
            start = await resp.text()
    assert '<html lang="de">' in de and "<h1>Erklärung zur Barrierefreiheit</h1>" in de
    assert "teilweise vereinbar" in de and "Barriere melden" in de
    assert '<html lang="en">' in en and "<h1>Accessibility statement</h1>" in en
    assert "partially conforms" in en
    assert '<header class="site-header" lang="de">' in en  # the German navigation is marked
    for page in (de, en):
        assert "mailto:inklusion@beispielstadt.de" in page  # from the data, not the template
        assert 'href="https://schlichtung.example/"' in page
        assert "Ombudsstelle" in page
    assert 'href="/barrierefreiheit"' in start and 'href="/en/accessibility"' in start
    assert 'href="/en/accessibility"' in de and 'href="/barrierefreiheit"' in en
