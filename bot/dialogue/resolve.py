"""Which office or service a message refers to, and when it names one the data lacks.

The assistant never guesses (issue 13, item 3): an office, service or street that is not
in the data is named as unknown with the closest real choices; a fuzzy match is accepted
only at or above :data:`ACCEPT_SCORE`, and a match that is not exact is named back to
the citizen ("Meinten Sie …?").

:data:`ACCEPT_SCORE` was measured on a labelled set of typos and near-misses
(``tests/unit/test_fuzzy_threshold.py``, where the sweep is re-run on every test run):
every typo of an office or service name (55) scored 87.5 or more (lowest: "Wohngelt" 87.5,
"Jugentamt" 88.9), every different word (51) scored 84.2 or less (highest: "Landesamt" for
Standesamt 84.2, "Rentner" for Rente 83.3). 86 lies in that gap. The old threshold for
an entity's text (80) accepted "Landesamt" as the Standesamt.

A word that contains a known term as part of a compound ("Hundeanmeldung" contains
"Hund") scores a fixed 92 in :func:`bot.knowledge.matching.term_score`. Such a match is
accepted but never exact: "Hundeschule" or "Umzugskarton" are named back ("Meinten Sie
„Hund anmelden (Hundesteuer)“?") instead of being answered silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from bot.knowledge.base import Knowledge, Office, Service
from bot.knowledge.matching import STOPWORDS, Match, term_score, words

ACCEPT_SCORE = 86.0
"""Minimum raw match score (0-100, before the specificity bonus) for an office or service."""

CHOICE_SCORE = 75.0
"""Minimum word ratio of a real service to be offered as a "closest choice" button."""

MAX_CHOICES = 4

GUESS_ACCEPT = 0.87
"""Minimum cosine similarity of a meaning-based service guess to be answered (named back)."""

GUESS_MARGIN = 0.02
"""…and its lead over the second guess. Below either, the guesses are only offered as
choices. Measured on ``tests/nlu/dev/`` (docs/NLU.md): at 0.87 / 0.02, 21 of 22 accepted
guesses of 48 concerns were right and 1 of 16 questions about services the data lacks was
accepted; the right service was among the four guesses for 47 of the 48 concerns."""

GUESS_CHOICE = 0.85
"""Minimum similarity of a guess to be offered as a choice at all. Measured on the same
set: at 0.85 the right service is still among the choices for 44 of 48 concerns, and the
16 questions about services the data lacks get 42 meaning-based buttons instead of 64
(none at all for 5 of them): fewer unrelated offers such as "Wohngeld" for wasps' nests."""

# Words that distinguish offices of one kind ("Bürgerbüro Nord") or name a part of town.
QUALIFIERS = frozenset(
    {
        "nord", "sued", "ost", "west", "mitte", "zentrum", "innenstadt", "nordost",
        "nordwest", "suedost", "suedwest", "norden", "sueden", "osten", "westen",
        "altstadt", "neustadt", "stadtmitte",
    }
)  # fmt: skip

# An office-like word: "Gesundheitsamt", "Katasterbüro", "Bezirksstelle", "Landratsamt".
_OFFICE_WORD = re.compile(
    r"^[a-z]{3,}(?:amt|aemter|ampt|buero|behoerde|stelle|verwaltung|zentrum|dienst)$"
)


@dataclass
class OfficeRef:
    """The office a message refers to, or what it named that the data does not have."""

    office: Office | None = None
    exact: bool = True
    unknown: str | None = None
    choices: list[Office] = field(default_factory=list)
    from_focus: bool = False


@dataclass
class ServiceRef:
    """Candidate services for a message (best first), or the unknown name."""

    matches: list[Match] = field(default_factory=list)
    exact: bool = True
    choices: list[Service] = field(default_factory=list)
    from_focus: bool = False


def is_exact(knowledge: Knowledge, term: str, query: str) -> bool:
    """True when ``term`` occurs in ``query`` word for word (no typo, no compound)."""
    return term_score(term, query, knowledge.noise) >= 100.0


def _family(knowledge: Knowledge, office: Office) -> list[Office]:
    """Offices sharing the first word of the name ("Bürgerbüro Mitte", "Bürgerbüro Nord")."""
    first = words(office.name)[:1]
    return [o for o in knowledge.city_offices() if words(o.name)[:1] == first]


def _qualifier_office(knowledge: Knowledge, qualifier: str, family: list[Office]) -> Office | None:
    for o in family:
        if qualifier in words(o.name)[1:] or any(
            qualifier in words(a)[1:] for a in o.aliases if len(words(a)) > 1
        ):
            return o
    return None


def _qualifier_after(knowledge: Knowledge, text: str, term: str) -> str | None:
    """The qualifier word right after ``term`` in ``text`` ("Bürgerbüro Süd" → "sued")."""
    t_words = [w for w in words(term) if w not in knowledge.noise]
    m_words = list(words(text))
    if not t_words:
        return None
    last = t_words[-1]
    for i, w in enumerate(m_words[:-1]):
        if w == last or (len(last) >= 5 and term_score(last, w) >= ACCEPT_SCORE):
            nxt = m_words[i + 1]
            if nxt in QUALIFIERS:
                return nxt
    return None


def _matched_office(knowledge: Knowledge, match: Match, text: str, said: str) -> OfficeRef:
    """The office of the best fuzzy ``match`` for what was ``said`` (an entity's value or
    the whole message ``text``), its qualifier checked; exact when ``said`` names it."""
    office = knowledge.offices[match.key]
    ref = _check_qualifier(knowledge, office, text, match.term)
    if ref.office is not None and ref.office.id == office.id:
        ref.exact = is_exact(knowledge, match.term, said)
    return ref


def _check_qualifier(knowledge: Knowledge, office: Office, text: str, term: str) -> OfficeRef:
    """The office, switched to its sibling or declared unknown by a qualifier after it."""
    qualifier = _qualifier_after(knowledge, text, term)
    if qualifier is None or qualifier in words(office.name):
        return OfficeRef(office)
    family = _family(knowledge, office)
    sibling = _qualifier_office(knowledge, qualifier, family)
    if sibling is not None:
        return OfficeRef(sibling)
    shown = _original_words(text, term, qualifier)
    return OfficeRef(unknown=shown, choices=family)


def _original_words(text: str, term: str, qualifier: str) -> str:
    """The citizen's own spelling of "<term> <qualifier>" for the reply, if findable."""
    pattern = re.compile(r"[\wäöüÄÖÜß-]+")
    tokens = pattern.findall(text)
    folded = [" ".join(words(t)) for t in tokens]
    for i in range(len(tokens) - 1):
        if folded[i + 1] == qualifier and term_score(term, tokens[i]) >= ACCEPT_SCORE:
            return f"{tokens[i]} {tokens[i + 1]}"
    return f"{term} {qualifier.capitalize()}"


def bare_qualifier(knowledge: Knowledge, text: str, focus: Office | None) -> OfficeRef | None:
    """A qualifier on its own ("und das in Nord?"): the matching office of that kind.

    The kind is the office in focus, else any kind that has an office with this
    qualifier. Returns None when the message has no qualifier.
    """
    qualifiers = [w for w in words(text) if w in QUALIFIERS]
    if not qualifiers:
        return None
    families = [_family(knowledge, focus)] if focus and not focus.external else []
    families += [_family(knowledge, o) for o in knowledge.city_offices()]
    for family in families:
        if len(family) < 2:
            continue
        found = _qualifier_office(knowledge, qualifiers[0], family)
        if found is not None:
            return OfficeRef(found)
    family = families[0] if families and len(families[0]) > 1 else []
    if family:
        name = words(family[0].name)[0].capitalize()
        return OfficeRef(unknown=f"{name} {qualifiers[0].capitalize()}", choices=family)
    return None


def _entity_spans(entities: list[dict[str, Any]], name: str) -> list[tuple[str, str]]:
    """``(value, text span)`` of each entity ``name`` (span falls back to the value)."""
    out = []
    for e in entities:
        if e.get("entity") != name or not e.get("value"):
            continue
        out.append((str(e["value"]), str(e.get("text") or e.get("value"))))
    return out


def _span_text(text: str, entity: dict[str, Any]) -> str:
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity.get("value") or "")


def resolve_office(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    focus: str | None,
    *,
    use_focus: bool = True,
) -> OfficeRef:
    """The office a message refers to.

    Order: an office entity (its synonym value is an office id, or its text is matched
    fuzzily), the whole message, a bare qualifier ("in Nord"), then the office in focus.
    A qualifier the data does not have ("Bürgerbüro Süd") makes the office unknown, with
    the offices of that kind as choices; so does an office-like word that matches nothing
    ("Gesundheitsamt").
    """
    focus_office = knowledge.offices.get(focus or "")
    unknown: str | None = None
    for e in entities:
        if e.get("entity") != "office" or not e.get("value"):
            continue
        value = str(e["value"])
        span = _span_text(text, e)
        if value in knowledge.offices:
            office = knowledge.offices[value]
            return _check_qualifier(knowledge, office, text, span or office.name)
        ref = bare_qualifier(knowledge, value, focus_office) if len(words(value)) == 1 else None
        if ref is not None:
            return ref
        matches = knowledge.find_offices(value, threshold=ACCEPT_SCORE)
        if matches:
            return _matched_office(knowledge, matches[0], text, value)
        unknown = unknown or value
    matches = knowledge.find_offices(text, threshold=ACCEPT_SCORE) if text.strip() else []
    if matches:
        return _matched_office(knowledge, matches[0], text, text)
    if unknown is None:
        ref = bare_qualifier(knowledge, text, focus_office)
        if ref is not None:
            return ref
        unknown = unknown_office_word(knowledge, text)
    if unknown:
        return OfficeRef(unknown=unknown[:80], choices=knowledge.closest_offices(unknown))
    if use_focus and focus_office is not None:
        return OfficeRef(focus_office, from_focus=True)
    return OfficeRef()


def unknown_office_word(knowledge: Knowledge, text: str) -> str | None:
    """An office-like word ("Gesundheitsamt") that names none of the data's offices."""
    for token in re.findall(r"[\wäöüÄÖÜß-]+", text):
        folded = "".join(words(token))
        if _OFFICE_WORD.match(folded) and not knowledge.find_offices(token, ACCEPT_SCORE):
            if folded in {"amt", "buero"}:
                continue
            return token
    return None


def resolve_service(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    focus: str | None = None,
    *,
    use_focus: bool = False,
) -> ServiceRef:
    """Candidate services for a message: entities first, then the whole text.

    An entity names a service ("Parkausweis" → Bewohnerparkausweis), but the whole text
    may name a more specific one ("Parkausweis für meinen Handwerksbetrieb"): when the
    text's best match is another service and scores higher than the entity's service
    does on the text, the text's ranking decides. Without any match and with
    ``use_focus``, the service in focus is the answer; otherwise the closest services
    are offered as choices.
    """
    matches = knowledge.find_services(text, threshold=ACCEPT_SCORE) if text.strip() else []
    for value in (str(e["value"]) for e in entities if e.get("entity") == "service"):
        if value in knowledge.services:
            own = next((m.score for m in matches if m.key == value), 0.0)
            if matches and matches[0].key != value and matches[0].score > own:
                return ServiceRef(matches, exact=is_exact(knowledge, matches[0].term, text))
            return ServiceRef([Match(value, 100.0, value)])
    if matches:
        return ServiceRef(matches, exact=is_exact(knowledge, matches[0].term, text))
    for e in entities:
        if e.get("entity") != "service" or not e.get("value"):
            continue
        value = str(e["value"])
        found = knowledge.find_services(value, threshold=ACCEPT_SCORE)
        if found:
            return ServiceRef(found, exact=is_exact(knowledge, found[0].term, value))
    if use_focus and focus in knowledge.services and not unknown_object(knowledge, text, entities):
        return ServiceRef([Match(str(focus), 100.0, str(focus))], from_focus=True)
    guesses = service_guesses(knowledge, entities)
    if guesses:
        (best, similarity), runner_up = guesses[0], (guesses[1][1] if len(guesses) > 1 else 0.0)
        if similarity >= GUESS_ACCEPT and similarity - runner_up >= GUESS_MARGIN:
            # A concern in the citizen's words: answered, and named back ("Meinten Sie …?").
            name = knowledge.services[best].name
            return ServiceRef([Match(best, similarity * 100, name)], exact=False)
    spelled = closest_services(knowledge, text, entities)
    by_meaning = [knowledge.services[key] for key, sim in guesses if sim >= GUESS_CHOICE]
    choices = list({s.id: s for s in [*by_meaning, *spelled]}.values())[:MAX_CHOICES]
    return ServiceRef(choices=choices)


def service_guesses(
    knowledge: Knowledge, entities: list[dict[str, Any]]
) -> list[tuple[str, float]]:
    """The NLU's meaning-based guesses (``service_guess`` entities), best first.

    Only services of ``knowledge``: a model trained on another directory cannot name a
    service this city does not have.
    """
    guesses: dict[str, float] = {}
    for e in entities:
        if e.get("entity") != "service_guess":
            continue
        key, similarity = str(e.get("value")), float(e.get("confidence") or 0.0)
        if key in knowledge.services and similarity > guesses.get(key, -1.0):
            guesses[key] = similarity
    return sorted(guesses.items(), key=lambda kv: -kv[1])


def closest_services(
    knowledge: Knowledge, text: str, entities: list[dict[str, Any]]
) -> list[Service]:
    """Real services whose names come closest to what was asked ("Meinten Sie …").

    Word by word: a content word of the question (four letters or more) close to a
    word of a service's name or synonym (rapidfuzz ratio >= :data:`CHOICE_SCORE`, or
    the same first five letters). In doubt, no choice is offered.
    """
    query = " ".join(str(e["value"]) for e in entities if e.get("entity") == "service") or text
    if not query.strip() or query.startswith("/"):
        return []
    ignored = STOPWORDS | knowledge.noise
    q_words = [w for w in words(query) if len(w) >= 4 and w not in ignored]
    scored: dict[str, float] = {}
    for key, term in knowledge.service_terms():
        for tw in words(term):
            if len(tw) < 4 or tw in ignored:
                continue
            for qw in q_words:
                score = float(fuzz.ratio(qw, tw))
                if len(qw) >= 5 and qw[:5] == tw[:5]:
                    score = max(score, CHOICE_SCORE)
                if score >= CHOICE_SCORE and score > scored.get(key, 0.0):
                    scored[key] = score
    ranked = sorted(scored, key=lambda k: -scored[k])[:MAX_CHOICES]
    return [knowledge.services[k] for k in ranked]


# Nouns that belong to the question, not to its object: "Brauche ich einen Termin?"
_QUESTION_NOUNS = frozenset(
    {
        "termin", "termine", "gebuehr", "gebuehren", "kosten", "preis", "unterlagen",
        "dokumente", "nachweise", "frist", "fristen", "adresse", "anschrift", "online",
        "internet", "euro", "eur", "geld", "amt", "aemter", "stadt", "antrag", "dauer",
        "bearbeitungszeit", "wochen", "tage", "monate", "zeit", "uhr", "hause", "ihnen",
        "sie", "ich", "und", "was", "wie", "wo", "wann", "bis", "geht", "brauche",
        "muss", "kann", "gibt", "ist", "hallo", "danke", "bitte", "ok", "okay", "gut",
        "ja", "nein", "montag", "dienstag", "mittwoch", "donnerstag", "freitag",
        "samstag", "sonntag", "heute", "morgen", "wochenende", "woche",
    }
)  # fmt: skip


def unknown_object(knowledge: Knowledge, text: str, entities: list[dict[str, Any]]) -> str | None:
    """A noun the message names as its object that the data does not know.

    "Was kostet ein Angelschein?" names "Angelschein"; "Was kostet das?" names nothing.
    Used before answering a follow-up for the service in focus: a question about
    something else must not get the focus's answer. A service entity that matches
    nothing counts; so does a capitalised word after the first that is neither a
    question noun, a qualifier, a known office nor a known service.
    """
    for e in entities:
        if e.get("entity") == "service" and e.get("value"):
            value = str(e["value"])
            if value not in knowledge.services and not knowledge.find_services(
                value, threshold=ACCEPT_SCORE
            ):
                return value
    tokens = re.findall(r"[\wäöüÄÖÜß-]+", text)
    for token in tokens[1:]:
        if not token[:1].isupper():
            continue
        folded = "".join(words(token))
        if not folded or folded in _QUESTION_NOUNS or folded in QUALIFIERS:
            continue
        if knowledge.find_offices(token, ACCEPT_SCORE) or knowledge.find_services(
            token, ACCEPT_SCORE
        ):
            continue
        return token
    return None


def names_known_service(knowledge: Knowledge, entities: list[dict[str, Any]]) -> bool:
    """An NLU service entity whose value is a service id of the data (a synonym hit)."""
    return any(
        e.get("entity") == "service" and str(e.get("value")) in knowledge.services for e in entities
    )
