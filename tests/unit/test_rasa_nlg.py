"""Responses name the city even when an old tracker has no city slots (bot.rasa_nlg)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.city import CITY_SLOTS, load_city
from bot.config import REPO_ROOT
from bot.rasa_nlg import CityResponses, fill_city_slots

DEMO = REPO_ROOT / "data" / "knowledge"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "domain"))


def _old_tracker(domain: Domain) -> DialogueStateTracker:
    """A conversation from before the city slots: every one of them unset."""
    tracker = DialogueStateTracker("old-conversation", domain.slots)
    assert all(tracker.get_slot(name) is None for name in CITY_SLOTS)
    return tracker


async def test_rasa_alone_writes_none_into_the_answer(domain: Domain) -> None:
    # the defect this generator exists for; if Rasa ever fills it, the generator can go
    rasa = TemplatedNaturalLanguageGenerator(domain.responses)
    reply = await rasa.generate("utter_technical_problem", _old_tracker(domain), "rest")
    assert reply is not None and "None" in reply["text"]


@pytest.mark.parametrize(
    "response",
    [
        "utter_technical_problem",
        "utter_closures_unavailable",
        "utter_case_not_found",
        "utter_insult_repeated",
        "utter_maintenance",
        "utter_greet",
    ],
)
async def test_unset_city_slots_come_from_the_profile(domain: Domain, response: str) -> None:
    nlg = CityResponses(domain=domain, knowledge_dir=DEMO)
    reply = await nlg.generate(response, _old_tracker(domain), "rest")
    assert reply is not None
    assert "None" not in reply["text"]
    profile = load_city(DEMO).slots()
    used = [n for n in CITY_SLOTS if "{" + n + "}" in domain.responses[response][0]["text"]]
    assert used, f"{response} names no city value"
    for name in used:
        assert profile[name] in reply["text"]


async def test_a_set_slot_keeps_its_value(domain: Domain) -> None:
    nlg = CityResponses(domain=domain, knowledge_dir=DEMO)
    tracker = _old_tracker(domain)
    tracker.update(SlotSet("city_phone", "+49 30 115"))
    reply = await nlg.generate("utter_technical_problem", tracker, "rest")
    assert reply is not None and "+49 30 115" in reply["text"]
    assert load_city(DEMO).contact_phone not in reply["text"]


async def test_another_city_directory_fills_its_own_values(domain: Domain, tmp_path: Path) -> None:
    (tmp_path / "city.yml").write_text(
        "name: Beispielstadt\nstate: BE\ncontact:\n  office: Servicecenter\n"
        '  phone: "+49 30 555-0000"\n  email: info@beispielstadt.example\n',
        encoding="utf-8",
    )
    nlg = CityResponses(domain=domain, knowledge_dir=tmp_path)
    text = (await nlg.generate("utter_closures_unavailable", _old_tracker(domain), "rest"))["text"]
    # no road-closure contact in this profile: the general contact stands in
    assert "Servicecenter, Telefon +49 30 555-0000" in text
    assert "Musterstadt" not in text and "2101" not in text and "None" not in text


def test_an_unreadable_profile_leaves_the_slots_as_they_are() -> None:
    def broken() -> dict[str, str]:
        raise OSError("gone")

    assert fill_city_slots({"city": None}, broken) == {"city": None}
    assert fill_city_slots({n: "x" for n in CITY_SLOTS}, broken)["city"] == "x"


def test_endpoints_attach_the_generator(domain: Domain) -> None:
    endpoints = yaml.safe_load((REPO_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    nlg = NaturalLanguageGenerator.create(EndpointConfig.from_dict(endpoints["nlg"]), domain)
    assert isinstance(nlg, CityResponses)
    assert nlg.responses == domain.responses
