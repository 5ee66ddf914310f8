"""Road-closure answers from the current feed snapshot (never from training data)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot import texts
from bot.dialogue import Outcome, entity_values, payload_button
from bot.knowledge.closures import (
    COMPASS,
    COMPASS_NAMES,
    Closure,
    current_and_upcoming,
    format_period,
    in_district,
    in_period,
    match_street,
)
from bot.knowledge.feed import Snapshot
from bot.knowledge.matching import closest, words
from bot.knowledge.when import DEFAULT_STATE, parse_when

TOPIC = "road_closures"
MAX_ITEMS = 5
MAX_CHOICES = 3
STREET_CHOICE_SCORE = 60.0  # WRatio of an unknown street to a street of the feed


def stand(snapshot: Snapshot, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    """The data's time, as shown in every answer: "23.11.2026, 09:00 Uhr"."""
    moment = snapshot.fetched_at
    return texts.text(
        lang,
        "closures.moment",
        date=texts.fmt_date(lang, moment.date()),
        time=texts.fmt_time(lang, moment.time().replace(second=0, microsecond=0)),
    )


# The compass words a message may name an area with ("im Norden"), from the one map.
COMPASS_WORDS = {
    word: COMPASS_NAMES[COMPASS[word]]
    for word in (
        "norden", "nord", "sueden", "sued", "osten", "ost", "westen", "west", "nordosten",
        "nordwesten", "suedosten", "suedwesten", "innenstadt", "zentrum", "stadtmitte",
    )
}  # fmt: skip


def mentioned_district(text: str, closures: list[Closure]) -> str | None:
    """The district (or compass area) a message names, if any: "im Norden", "in Mitte"."""
    tokens = set(words(text))
    for district in sorted({c.district for c in closures if c.district}, key=len, reverse=True):
        if set(words(district)) <= tokens:
            return district
    compass = sorted(tokens & set(COMPASS_WORDS))
    return f"im {COMPASS_WORDS[compass[0]]}" if compass else None


def format_item(
    c: Closure, now: datetime, *, with_street: bool, lang: str = texts.DEFAULT_LANGUAGE
) -> str:
    """One closure as a chat line: type, section, period, reason and detour."""
    head = c.severity if c.severity and c.severity != "keine Sperrung" else c.kind
    if c.severity and c.kind and c.kind not in head:
        head = f"{head} ({c.kind})"
    where = []
    if with_street:
        where.append(c.street + (f" ({c.district})" if c.district else ""))
    if c.section:
        where.append(c.section)
    if c.direction and c.direction.lower() not in ("beidseitig", "beide richtungen"):
        where.append(c.direction)  # the feed's own words: "stadteinwärts", "Richtung Innenstadt"
    line = f"• {head}"
    if where:
        line += ", " + ", ".join(where)
    line += f": {format_period(c, now, lang)}."
    if c.description:
        line += f" {c.description.strip()}"
    return line


def answer(
    snapshot: Snapshot | None,
    text: str,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    now: datetime,
    state: str = DEFAULT_STATE,
) -> Outcome:
    """Answers a road-closure question for a street, a period or an area.

    ``state`` is the city's German state (``Knowledge.state``): holiday names in the
    question ("an Fronleichnam") are read with its holidays.
    """
    out = Outcome(slots={"topic": TOPIC})
    lang = texts.normalise(slots.get("language"))
    text = texts.to_parser_words(lang, text)
    if snapshot is None:
        out.say("utter_closures_unavailable")
        return out
    if snapshot.stale:
        out.say("utter_closures_stale", stand=stand(snapshot, lang))
    closures = list(snapshot.closures)
    streets = sorted({c.street for c in closures})

    asked = entity_values(entities, "street")
    found: list[tuple[str, float]] = []
    for value in asked:
        found = match_street(value, streets)
        if found:
            break
    if not found:
        found = match_street(text, streets)
    if not found and not asked and slots.get("street") and _is_time_followup(text, now, state):
        found = [(slots["street"], 100.0)]

    when = parse_when(text, now, state=state)
    period = None
    if when.days:
        start = datetime.combine(min(when.days), time(0), tzinfo=now.tzinfo)
        end = datetime.combine(max(when.days) + timedelta(days=1), time(0), tzinfo=now.tzinfo)
        period = (max(start, now) if min(when.days) == now.date() else start, end)

    if found:
        street = found[0][0]
        out.slots["street"] = street
        if found[0][1] < 100.0:  # a typo: name what was matched
            out.say("utter_did_you_mean", name=street)
        hits = [c for c in current_and_upcoming(closures, now) if c.street == street]
        if period:
            hits = in_period(hits, *period)
        label = street + _district_suffix(hits)
        if not hits:
            out.say("utter_closures_street_none", street=label, stand=stand(snapshot, lang))
            return out
        count = texts.text(lang, "closures.one" if len(hits) == 1 else "closures.many", n=len(hits))
        items = "\n".join(format_item(c, now, with_street=False, lang=lang) for c in hits)
        out.say(
            "utter_closures_street",
            street=label,
            count=count,
            items=items,
            stand=stand(snapshot, lang),
        )
        return out
    if asked:
        current = current_and_upcoming(closures, now)
        names = ", ".join(sorted({c.street for c in current})[:8]) or texts.text(
            lang, "closures.no_streets"
        )
        choices = closest(asked[0], [(c.street, c.street) for c in current], MAX_CHOICES)
        buttons = [
            payload_button(m.key, "ask_road_closures", street=m.key)
            for m in choices
            if m.score >= STREET_CHOICE_SCORE
        ]
        out.say(
            "utter_closures_street_unknown",
            buttons=buttons,
            query=asked[0][:80],
            streets=names,
            stand=stand(snapshot, lang),
        )
        out.backlog = text
        return out

    hits = in_period(closures, *period) if period else current_and_upcoming(closures, now)
    if not period:
        hits = [c for c in hits if c.valid_from is None or c.valid_from <= now]
    district = mentioned_district(text, closures)
    label = when.label if lang == texts.DEFAULT_LANGUAGE else _period_label(when.days, now, lang)
    title = _title(label if period else None, district, lang)
    if district is not None:
        hits = in_district(hits, district)
    if not hits:
        out.say("utter_closures_list_none", title=title, stand=stand(snapshot, lang))
        return out
    items = "\n".join(format_item(c, now, with_street=True, lang=lang) for c in hits[:MAX_ITEMS])
    rest = len(hits) - MAX_ITEMS
    more = texts.text(lang, "closures.more", n=rest) if rest > 0 else ""
    out.say("utter_closures_list", title=title, items=items, more=more, stand=stand(snapshot, lang))
    return out


def _district_suffix(hits: list[Closure]) -> str:
    districts = sorted({c.district for c in hits if c.district})
    return f" ({', '.join(districts)})" if districts else ""


def _period_label(days: tuple[Any, ...], now: datetime, lang: str) -> str:
    """The asked period in the language ("on Saturday, 5 December 2026", "5 Dec – 11 Dec")."""
    if not days:
        return ""
    from bot.dialogue.opening_hours import _day_label

    first, last = min(days), max(days)
    if first == last:
        return _day_label(first, now.date(), lang)
    return texts.text(
        lang,
        "closures.period",
        start=texts.fmt_date(lang, first, "day_month"),
        end=texts.fmt_date(lang, last),
    )


def _area(lang: str, area: str) -> str:
    """A compass area ("Norden") in the language (``closures.areas`` in the catalogue)."""
    return texts.mapping(lang, "closures.areas").get(area, area)


def _title(
    period_label: str | None, district: str | None, lang: str = texts.DEFAULT_LANGUAGE
) -> str:
    where = ""
    if district:
        # "im Norden" is a compass area (queries.COMPASS_NAMES); a district name gets "in"
        if district.startswith("im "):
            area = district.removeprefix("im ")
            where = " " + texts.text(lang, "closures.in_area", area=_area(lang, area))
        else:
            where = texts.text(lang, "closures.in_district", district=district)
    if period_label:
        return texts.text(lang, "closures.title_period", where=where, period=period_label)
    return texts.text(lang, "closures.title", where=where)


def _is_time_followup(text: str, now: datetime, state: str) -> bool:
    return bool(parse_when(text, now, state=state).days)
