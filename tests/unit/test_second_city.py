"""A second city is a second knowledge directory: none of the demo city's values remain.

An imported (synthetic) city runs on the same code with ``KNOWLEDGE_DIR`` set to the
import's output. Its case references, the handoff detector's idea of "public" numbers and
addresses, and every domain response that names the city must come from its profile;
the demo city's name, numbers, domain and reference prefix must appear nowhere. The same
checks against the demo directory show that they can fail.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rasa.core.nlg import interpolator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot import runtime
from bot.city import City, load_city
from bot.cli import main
from bot.config import REPO_ROOT
from bot.handoff.detect import find_identifiers, is_public_phone
from bot.handoff.reference import compact_reference, new_reference, reference_pattern
from bot.handoff.tickets import new_reference as ticket_reference
from bot.importers import synthetic
from bot.knowledge.base import load_knowledge
from bot.knowledge.matching import STOPWORDS, question_score
from bot.privacy import normalise_query
from bot.rasa_nlg import CityResponses, fill_city_slots
from bot.web.app import templates
from tests.webserver import app_settings, running_app

DEMO_DIR = REPO_ROOT / "data" / "knowledge"
DEMO = load_city(DEMO_DIR)


def demo_values(city: City = DEMO) -> list[str]:
    """What would betray the demo city in another city's answers."""
    values = [
        city.name,
        city.contact_phone,
        city.contact_email,
        city.contact_website,
        city.road_closures_phone,
        city.road_closures_website,
        city.social_emergency_phone,
        city.data_protection_email,
        f"{city.case_reference_prefix}-",
        *city.public_email_domains,
    ]
    # the city's exchange as written in texts ("2101 100-"), from its national prefix
    values += [p[1:5] + " " + p[5:] for p in city.public_phone_prefixes if len(p) > 6]
    return [v for v in values if v]


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("second-city")
    lp, sp = synthetic.write(src, n_locations=60, n_services=80)
    out = src / "kb"
    rc = main(["import", "dldb", "--locations", str(lp), "--services", str(sp),
               "--out", str(out), "--city", "Beispielstadt", "--state", "BE"])  # fmt: skip
    assert rc == 0
    return out


@pytest.fixture
def running(second: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[City]:
    """The process runs the second city (as the action server does with KNOWLEDGE_DIR)."""
    monkeypatch.setenv("KNOWLEDGE_DIR", str(second))
    runtime.reset()
    yield runtime.city()
    monkeypatch.delenv("KNOWLEDGE_DIR")
    runtime.reset()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "domain"))


def test_the_imported_profile_has_its_own_values(running: City) -> None:
    assert running.name == "Beispielstadt"
    assert running.case_reference_prefix and running.case_reference_prefix != "MS"
    assert running.public_phone_prefixes and running.public_email_domains
    assert not set(running.public_phone_prefixes) & set(DEMO.public_phone_prefixes)
    leaked = [v for v in demo_values() if v in str(running)]
    assert leaked == []


def test_case_references_carry_the_cities_prefix(running: City) -> None:
    prefix = running.case_reference_prefix
    for ref in {ticket_reference() for _ in range(50)} | {new_reference() for _ in range(50)}:
        assert ref.startswith(f"{prefix}-") and not ref.startswith("MS-")
        assert reference_pattern().fullmatch(ref)
        assert normalise_query(ref.lower()) == (ref, True)
        assert compact_reference(ref.replace("-", " ")) == ref
    # a demo-city reference is no reference of this city: just text to the detector
    assert reference_pattern().search("Vorgang MS-7K4P-Q2XD") is None
    assert normalise_query("MS-7K4P-Q2XD") == ("MS-7K4P-Q2XD", False)
    assert compact_reference("ms 7k4p") == ""


def test_the_demo_city_prefix_stays_where_it_belongs() -> None:
    # without KNOWLEDGE_DIR the demo city runs, with its own prefix
    runtime.reset()
    assert new_reference().startswith("MS-")
    assert reference_pattern().search("Vorgang ms-7k4p-q2xd")
    assert compact_reference("ms 7k4p q2xd") == "MS-7K4P-Q2XD"


def test_detector_public_numbers_and_domains_are_the_second_cities(
    running: City, second: Path
) -> None:
    own_phone = next(
        line.split(":", 1)[1].strip().strip("'\"")
        for line in (second / "offices.yml").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("phone:")
    )
    own_domain = running.public_email_domains[0]
    assert is_public_phone(own_phone)
    assert find_identifiers(f"Ist {own_phone} die Nummer vom Bürgeramt?") == []
    assert find_identifiers(f"Ich habe an info@{own_domain} geschrieben") == []
    # the demo city's exchange and domain are now a citizen's number and address
    assert not is_public_phone(DEMO.contact_phone)
    kinds = {f.kind for f in find_identifiers(f"Meine Nummer ist {DEMO.contact_phone}")}
    assert kinds == {"phone"}
    kinds = {f.kind for f in find_identifiers(f"Schreiben Sie an {DEMO.contact_email}")}
    assert kinds == {"email"}
    # national service numbers are public in every city
    assert is_public_phone("0800 1234567")


def test_in_the_demo_city_the_same_messages_are_public() -> None:
    runtime.reset()
    assert is_public_phone(DEMO.contact_phone)
    assert find_identifiers(f"Schreiben Sie an {DEMO.contact_email}") == []


def _render_all(domain: Domain, knowledge_dir: Path) -> dict[str, str]:
    """Every variant of every response, as the Rasa server fills it for an old tracker."""
    nlg = CityResponses(domain=domain, knowledge_dir=knowledge_dir)
    tracker = DialogueStateTracker("s", domain.slots)  # slots unset: the profile fills them
    filled = fill_city_slots(tracker.current_slot_values(), nlg.profile_slots)
    return {
        f"{name}[{i}]": interpolator.interpolate(variant.get("text") or "", filled)
        for name, variants in domain.responses.items()
        for i, variant in enumerate(variants)
    }


def test_no_domain_response_names_the_demo_city(domain: Domain, second: Path) -> None:
    texts = _render_all(domain, second)
    leaks = {
        name: value for name, text in texts.items() for value in demo_values() if value in text
    }
    assert leaks == {}
    greet = next(t for n, t in texts.items() if n.startswith("utter_greet["))
    assert "Stadt Beispielstadt" in greet


def test_the_check_finds_the_demo_city_in_its_own_directory(domain: Domain) -> None:
    # the same rendering with the demo profile does show its values: the check can fail
    texts = _render_all(domain, DEMO_DIR)
    assert any(DEMO.contact_phone in t for t in texts.values())
    assert any(re.search(r"\bMusterstadt\b", t) for t in texts.values())


def test_pages_name_no_demo_value(second: Path) -> None:
    env = templates()
    env.globals["city"] = load_city(second)
    for page in ("datenschutz.html", "index.html"):
        html = env.get_template(page).render(settings=None)
        assert [v for v in demo_values() if v in html] == [], page


def demo_statement_values() -> list[str]:
    """The demo city's accessibility statement: contact, body and its own wording."""
    raw = yaml.safe_load((DEMO_DIR / "accessibility.yml").read_text(encoding="utf-8"))
    values = [*raw["contact"].values(), raw["enforcement"]["name"]]
    values += [raw["texts"]["de"]["limitations"][0]["what"], raw["texts"]["en"]["intro"][:40]]
    return [str(v) for v in values if v]


async def test_the_statement_page_is_the_second_cities(second: Path, tmp_path: Path) -> None:
    settings = app_settings(
        tmp_path / "state", "2026-11-23T10:00:00+01:00", KNOWLEDGE_DIR=str(second)
    )
    pages = {}
    async with running_app(settings) as web:
        for path in ("/barrierefreiheit", "/en/accessibility"):
            async with web.http.get(f"{web.url}{path}") as resp:
                assert resp.status == 200, path
                pages[path] = html.unescape(await resp.text())
    own = load_city(second)
    assert "Die Stadt Beispielstadt möchte" in pages["/barrierefreiheit"]
    assert "The city of Beispielstadt wants" in pages["/en/accessibility"]
    assert "[ZU ERGÄNZEN: Ergebnis der Prüfung]" in pages["/barrierefreiheit"]
    assert "[TO BE COMPLETED: result of the check]" in pages["/en/accessibility"]
    for page in pages.values():
        assert f"mailto:{own.contact_email}" in page
        leaked = [v for v in demo_values() + demo_statement_values() if v in page]
        assert leaked == []


async def test_the_check_finds_the_demo_statement_in_the_demo_page(tmp_path: Path) -> None:
    settings = app_settings(tmp_path / "state", "2026-11-23T10:00:00+01:00")
    async with running_app(settings) as web:
        async with web.http.get(f"{web.url}/barrierefreiheit") as resp:
            page = html.unescape(await resp.text())
    assert [v for v in demo_statement_values() if v in page]
    assert DEMO.name in page


def test_the_city_name_is_noise_from_the_profile_not_a_fixed_stopword(second: Path) -> None:
    assert "musterstadt" not in STOPWORDS and "beispielstadt" not in STOPWORDS
    own, demo = load_knowledge(second), load_knowledge(DEMO_DIR)
    assert own.noise == {"stadt", "beispielstadt"} and demo.noise == {"stadt", "musterstadt"}
    # naming the city changes nothing: not in the question, not in the message
    service = next(s for s in own.services.values() if s.name.startswith("Personalausweis"))
    plain, named = (
        own.find_services(service.name),
        own.find_services(f"{service.name} Beispielstadt"),
    )
    assert [m.key for m in named][:1] == [m.key for m in plain][:1] == [service.id]
    assert named[0].score == plain[0].score
    question = "Wie barrierefrei ist die Website?"
    with_name = "Wie barrierefrei ist die Website von Beispielstadt?"
    assert question_score(question, with_name, own.noise) == 100.0
    # the other city's name is an ordinary word here: it counts against the match
    assert question_score(question, with_name, demo.noise) < 100.0
