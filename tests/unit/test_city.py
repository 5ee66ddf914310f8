"""The city profile (city.yml) of the demo city and of an imported one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.city import CityError, load_city
from bot.config import REPO_ROOT
from bot.knowledge.base import validate_knowledge
from bot.web.app import templates

DEMO = REPO_ROOT / "data" / "knowledge"


def test_demo_profile() -> None:
    city = load_city(DEMO)
    assert city.name == "Musterstadt" and city.state == "NW"
    assert city.public_email_domains == ("musterstadt.de",)
    assert city.case_reference_prefix == "MS"
    assert city.slots()["city_phone"] == "+49 2101 100-1100"


def test_without_city_yml_the_offices_file_names_the_city(tmp_path: Path) -> None:
    shutil.copyfile(DEMO / "offices.yml", tmp_path / "offices.yml")
    city = load_city(tmp_path)
    assert (city.name, city.state, city.timezone) == ("Musterstadt", "NW", "Europe/Berlin")


def test_invalid_profile_is_reported(tmp_path: Path) -> None:
    for name in ("offices.yml", "services.yml"):
        shutil.copyfile(DEMO / name, tmp_path / name)
    (tmp_path / "city.yml").write_text("name: Musterstadt\nstate: NWX\nfoo: 1\n", encoding="utf-8")
    problems = validate_knowledge(tmp_path)
    assert any("city.yml: state" in p for p in problems)
    assert any("foo" in p for p in problems)
    with pytest.raises(CityError):
        load_city(tmp_path)


def test_profile_must_match_the_offices_file(tmp_path: Path) -> None:
    for name in ("offices.yml", "services.yml"):
        shutil.copyfile(DEMO / name, tmp_path / name)
    (tmp_path / "city.yml").write_text("name: Andere Stadt\nstate: NW\n", encoding="utf-8")
    assert validate_knowledge(tmp_path) == [
        "city.yml: city 'Andere Stadt' differs from offices.yml"
    ]


def test_pages_name_the_city_of_the_profile(tmp_path: Path) -> None:
    env = templates()
    env.globals["city"] = load_city(DEMO)
    page = env.get_template("datenschutz.html").render(settings=None)
    assert "der Stadt Musterstadt" in page
    (tmp_path / "city.yml").write_text("name: Beispielstadt\nstate: BE\n", encoding="utf-8")
    env.globals["city"] = load_city(tmp_path)
    page = env.get_template("datenschutz.html").render(settings=None)
    assert "der Stadt Beispielstadt" in page and "Musterstadt" not in page.split("datenschutz@")[0]


def test_no_response_variable_collides_with_utter_message_parameters() -> None:
    """Variables are passed to ``dispatcher.utter_message(**variables)``: a variable called
    ``text`` or ``image`` would replace the whole response instead of filling it."""
    import inspect
    import re

    import yaml
    from rasa_sdk.executor import CollectingDispatcher

    reserved = set(inspect.signature(CollectingDispatcher.utter_message).parameters) - {
        "self",
        "kwargs",
    }
    for path in sorted((REPO_ROOT / "domain").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (doc.get("responses") or {}).items():
            for variant in variants:
                used = set(re.findall(r"(?<!\{)\{([a-z_]+)\}(?!\})", variant.get("text", "")))
                assert not used & reserved, (path.name, name, used & reserved)
