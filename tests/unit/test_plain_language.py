"""Plain language where it matters most: handoff, channel switch, data protection.

Every response in ``domain/handoff.yml`` (why a person takes over, consent, the case
reference, the switch away from a messenger, emergencies) is measured with the German
Flesch reading ease after Amstad (``bot.readability``) and must stay at or above the
agreed value, with no sentence longer than about 15 words (Leichte-Sprache style).
"""

from __future__ import annotations

import pytest
import yaml

from bot.city import load_city
from bot.config import REPO_ROOT
from bot.readability import readability, sentences, syllables

# agreed values (docs/ACCESSIBILITY.md): "medium" or easier on Amstad's scale per text,
# "fairly easy" on average, and short sentences
MIN_SCORE = 60.0
MIN_MEAN = 65.0
MAX_WORDS = 15
# typical values for the placeholders, as a citizen reads them
FILL = {
    "reference": "MS-K7Q2-X9PA",
    "office": "das Bürgerbüro",
    "due": "bis Montag, 17:00 Uhr",
    "platform": "Telegram",
    "link": "https://www.musterstadt.de/?fortsetzen=q2xK7w9PaZr3mT5vB8nC1dE4fG6hJ0kL",
    "contact": "Telefon +49 2101 100-1100",
    "other_ways": "",
    "office_at": "beim Bürgerbüro",
}
POLICY = yaml.safe_load(
    (REPO_ROOT / "data" / "knowledge" / "handoff.yml").read_text(encoding="utf-8")
)
# the channel switch explains itself with the channel's own words from the policy data
FILL["why"] = POLICY["channels"]["telegram"]["why"]
# the city's contact as the profile gives it ({city_office}, {city_phone}, …)
FILL.update(load_city(REPO_ROOT / "data" / "knowledge").slots())


def handoff_texts(language: str | None = None) -> dict[str, str]:
    """The German texts (``language=None``: the variations without a language condition)."""
    domain = yaml.safe_load((REPO_ROOT / "domain" / "handoff.yml").read_text(encoding="utf-8"))
    texts = {}
    for name, variants in domain["responses"].items():
        for i, variant in enumerate(variants):
            langs = [c.get("value") for c in variant.get("condition") or []]
            if (langs[0] if langs else None) != language:
                continue
            if "text" in variant:  # utter_case_noted is a custom receipt without words
                texts[f"{name}[{i}]"] = variant["text"].format(**FILL)
    if language is not None:
        return texts
    for channel, policy in POLICY["channels"].items():
        if policy.get("why"):
            texts[f"why[{channel}]"] = policy["why"]
    texts["default_why"] = POLICY["default_why"]
    return texts


TEXTS = handoff_texts()
# Other languages (issue 19): the Amstad score is German-only; the short sentences apply.
OTHER_TEXTS = {f"{lang}:{k}": v for lang in ("en",) for k, v in handoff_texts(lang).items()}


@pytest.mark.parametrize("name", sorted(OTHER_TEXTS))
def test_other_languages_use_short_sentences(name: str) -> None:
    longest = max(len(words) for words in sentences(OTHER_TEXTS[name]))
    assert longest <= MAX_WORDS, f"{name}: a sentence of {longest} words"


def test_the_measured_set_covers_handoff_switch_and_privacy() -> None:
    names = " ".join(TEXTS)
    for required in (
        "utter_handoff_why_personal_data",
        "utter_handoff_ask_consent",
        "utter_handoff_created",
        "utter_handoff_channel_switch",
        "utter_case_resumed",
    ):
        assert required in names
    assert len(TEXTS) >= 15


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_each_text_is_plain(name: str) -> None:
    r = readability(TEXTS[name])
    print(f"{name}: Flesch-Amstad {r.flesch_amstad}, longest sentence {r.longest_sentence}")
    assert r.longest_sentence <= MAX_WORDS, f"{name}: a sentence of {r.longest_sentence} words"
    assert r.flesch_amstad >= MIN_SCORE, f"{name}: Flesch-Amstad {r.flesch_amstad} < {MIN_SCORE}"


def test_the_texts_on_average() -> None:
    scores = [readability(t).flesch_amstad for t in TEXTS.values()]
    mean = sum(scores) / len(scores)
    print(f"{len(scores)} texts, mean Flesch-Amstad {mean:.1f}, lowest {min(scores)}")
    assert mean >= MIN_MEAN


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("Amt", 1),
        ("Zeit", 1),
        ("Abend", 2),
        ("Quittung", 2),
        ("Antwort", 2),
        ("Bürgerbüro", 4),
        ("beantworten", 4),
        ("Vorgangsnummer", 4),
        ("Mitarbeiterin", 5),
        ("Situation", 5),
        ("Datenschutzgründen", 5),
        ("persönlichen", 4),
    ],
)
def test_german_syllables(word: str, count: int) -> None:
    assert syllables(word) == count


def test_sentences_leave_out_links_references_and_numbers() -> None:
    text = (
        "Ihre Nummer ist MS-K7Q2-X9PA. Schreiben Sie an a@b.de oder https://x.de/y:\n"
        "• Telefon +49 2101 100-1100"
    )
    assert sentences(text) == [
        ["Ihre", "Nummer", "ist"],
        ["Schreiben", "Sie", "an", "oder"],
        ["Telefon"],
    ]


def test_amstad_formula_by_hand() -> None:
    # 2 sentences, 9 words, 13 syllables (heu-te, of-fen, kom-men, vor-bei):
    # 180 - 9/2 - 58.5 * 13/9 = 91.0
    r = readability("Das Amt hat heute offen. Kommen Sie gern vorbei.")
    assert (r.sentences, r.words, r.longest_sentence) == (2, 9, 5)
    assert r.flesch_amstad == 91.0


def test_long_official_german_scores_low() -> None:
    old = (
        "Aus Datenschutzgründen können wir Anfragen mit personenbezogenen Daten nicht über "
        "Telegram bearbeiten, weil die Nachrichten dort über Server eines Unternehmens "
        "außerhalb der Europäischen Union verarbeitet werden."
    )
    r = readability(old)
    assert r.longest_sentence > MAX_WORDS and r.flesch_amstad < MIN_SCORE
