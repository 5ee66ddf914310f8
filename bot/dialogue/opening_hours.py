"""Opening-hours answers: which office, which day, open or closed and why."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot import texts
from bot.dialogue import Outcome, office_name, payload_button, resolve
from bot.knowledge.base import Knowledge, Office
from bot.knowledge.opening_hours import DayHours, OfficeSchedule
from bot.knowledge.when import PART_OF_DAY_RANGES, When, parse_when
from bot.texts import fmt_date, fmt_intervals, fmt_time

TOPIC = "opening_hours"


def resolve_office(
    knowledge: Knowledge, text: str, entities: list[dict[str, Any]], slot: str | None
) -> tuple[Office | None, str | None, str | None]:
    """Finds the office a message refers to (see :func:`bot.dialogue.resolve.resolve_office`).

    Returns:
        ``(office, matched_term, unknown_query)``; ``unknown_query`` is the name the
        citizen used when it names an office that does not exist.
    """
    ref = resolve.resolve_office(knowledge, text, entities, slot)
    if ref.office is None:
        return None, None, ref.unknown
    matches = knowledge.find_offices(text, threshold=resolve.ACCEPT_SCORE) if text else []
    term = next((m.term for m in matches if m.key == ref.office.id), None)
    return ref.office, term, None


def schedule_for(knowledge: Knowledge, office: Office) -> OfficeSchedule:
    """The office's schedule with the state's holidays and its special hours."""
    assert office.opening_hours is not None
    return OfficeSchedule(
        office.opening_hours,
        state=knowledge.state,
        tz=knowledge.timezone,
        special=knowledge.special_for(office.id),
    )


def visit_info(office: Office, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    """What a visitor needs: appointment, address, phone (and the hours note, if any)."""
    parts = [office.hours_note] if office.hours_note else []
    if office.appointment_required and office.appointment_url:
        parts.append(texts.text(lang, "visit.appointment_required", url=office.appointment_url))
    elif office.appointment_url:
        parts.append(texts.text(lang, "visit.appointment_online", url=office.appointment_url))
    else:
        parts.append(texts.text(lang, "visit.walk_in"))
    if office.address:
        parts.append(texts.text(lang, "visit.address", address=office.address))
    if office.phone:
        parts.append(texts.text(lang, "visit.phone", phone=office.phone))
    return " · ".join(parts)


def _day_label(d: date, today: date, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    weekday = texts.words(lang, "format.weekdays")[d.weekday()]
    if d == today:
        return texts.text(lang, "opening_hours.today", date=fmt_date(lang, d, "day_month"))
    if d == today + timedelta(days=1):
        return texts.text(
            lang, "opening_hours.tomorrow", weekday=weekday, date=fmt_date(lang, d, "day_month")
        )
    return texts.text(lang, "opening_hours.on_day", weekday=weekday, date=fmt_date(lang, d))


def _clip(day: DayHours, part: str | None) -> tuple[tuple[time, time], ...]:
    if not part:
        return day.intervals
    lo, hi = PART_OF_DAY_RANGES[part]
    return tuple((max(a, lo), min(b, hi)) for a, b in day.intervals if a < hi and b > lo)


def _next_opening_text(
    schedule: OfficeSchedule, after: datetime, today: date, lang: str = texts.DEFAULT_LANGUAGE
) -> str:
    nxt = schedule.next_opening(after)
    if nxt is None:
        return texts.text(lang, "opening_hours.no_next_opening")
    label = _day_label(nxt.date(), today, lang)
    return texts.text(
        lang, "opening_hours.next_opening", label=label, time=fmt_time(lang, nxt.time())
    )


def _notes(days: list[DayHours], lang: str = texts.DEFAULT_LANGUAGE) -> str:
    notes = sorted({d.special_note for d in days if d.special_note})
    return "".join(texts.text(lang, "opening_hours.note", note=n) for n in notes)


def _part(lang: str, part: str | None) -> str:
    return texts.mapping(lang, "opening_hours.parts").get(part or "", part or "")


def _reason(lang: str, reason: str | None) -> str:
    return texts.translate_reason(lang, reason or "")


def _hours(lang: str, intervals: tuple[tuple[time, time], ...]) -> str:
    return texts.text(lang, "opening_hours.hours", intervals=fmt_intervals(lang, intervals))


def answer(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    now: datetime,
) -> Outcome:
    """Answers an opening-hours question (or a follow-up like "und am Samstag?")."""
    out = Outcome(slots={"topic": TOPIC, "detail": None})
    lang = texts.normalise(slots.get("language"))
    ref = resolve.resolve_office(knowledge, text, entities, slots.get("office"))
    office = ref.office
    if office is None:
        if ref.unknown:
            buttons = [payload_button(o.name, "inform", office=o.id) for o in ref.choices]
            out.say("utter_office_unknown", buttons=buttons, query=ref.unknown[:80])
            out.backlog = text
        else:
            out.say("utter_ask_office")
        return out
    matches = knowledge.find_offices(text, threshold=resolve.ACCEPT_SCORE) if text else []
    term = next((m.term for m in matches if m.key == office.id), None)
    name = office_name(office, lang)
    if not ref.exact:
        out.say("utter_did_you_mean", name=name)
    out.slots["office"] = office.id
    service = knowledge.services.get(slots.get("service") or "")
    if service is not None and office.id not in (service.office, *service.also_at):
        out.slots["service"] = None  # a new office replaces the service in focus
    if office.external:
        contact = (
            texts.text(lang, "opening_hours.external_contact", phone=office.phone)
            if office.phone
            else ""
        )
        out.say(
            "utter_opening_hours_external",
            office=name,
            note=office.note or "",
            contact=contact,
            city=knowledge.city,
        )
        return out
    if office.opening_hours is None:
        # Imported hours that could not be converted with certainty: the office's words.
        if office.hours_text:
            out.say(
                "utter_opening_hours_text",
                office=name,
                hours_text=office.hours_text,
                visit=visit_info(office, lang),
            )
        else:
            out.say("utter_opening_hours_none", office=name, visit=visit_info(office, lang))
        return out

    schedule = schedule_for(knowledge, office)
    when = parse_when(texts.to_parser_words(lang, text), now, state=knowledge.state)
    _answer_when(out, office, schedule, when, now, lang)
    other = _other_office(knowledge, office, term)
    if other:
        out.say("utter_opening_hours_other_office", other=office_name(other, lang))
    return out


def _answer_when(
    out: Outcome,
    office: Office,
    schedule: OfficeSchedule,
    when: When,
    now: datetime,
    lang: str = texts.DEFAULT_LANGUAGE,
) -> None:
    visit = visit_info(office, lang)
    name = office_name(office, lang)
    today = now.date()
    asks_now = when.now or (when.until_when and when.days in ((), (today,)))
    if asks_now and when.days in ((), (today,)) and not when.part_of_day:
        day = schedule.day(today)
        if schedule.is_open(now):
            until = schedule.open_until(now)
            out.say(
                "utter_opening_hours_now_open",
                office=name,
                until=fmt_time(lang, until.time())
                if until
                else texts.text(lang, "opening_hours.until_closing"),
                notes=_notes([day], lang),
                visit=visit,
            )
        else:
            reason = f" – {_reason(lang, day.closed_reason)}" if day.closed_reason else ""
            out.say(
                "utter_opening_hours_now_closed",
                office=name,
                reason=reason,
                next_opening=_next_opening_text(schedule, now, today, lang),
                notes=_notes([day], lang),
                visit=visit,
            )
        return
    if len(when.days) == 1:
        d = when.days[0]
        day = schedule.day(d)
        # The parser's own label ("an Fronleichnam") is German: other languages get the date.
        german_label = lang == texts.DEFAULT_LANGUAGE and when.label and not when.label[0].isupper()
        label = when.label if german_label else _day_label(d, today, lang)
        intervals = _clip(day, when.part_of_day)
        if intervals:
            hours = _hours(lang, intervals)
            if when.part_of_day and intervals != day.intervals:
                hours += texts.text(
                    lang, "opening_hours.whole_day", intervals=fmt_intervals(lang, day.intervals)
                )
            out.say(
                "utter_opening_hours_day",
                office=name,
                label=label,
                hours=hours,
                notes=_notes([day], lang),
                visit=visit,
            )
            return
        reason = _reason(lang, day.closed_reason) or texts.text(
            lang, "opening_hours.no_hours_part", part=_part(lang, when.part_of_day)
        )
        start = datetime.combine(d, time(0), tzinfo=now.tzinfo)
        if when.part_of_day and day.intervals:
            start = datetime.combine(d, PART_OF_DAY_RANGES[when.part_of_day][1], tzinfo=now.tzinfo)
        out.say(
            "utter_opening_hours_closed",
            office=name,
            label=label,
            reason=reason,
            next_opening=_next_opening_text(schedule, max(start, now), today, lang),
            notes=_notes([day], lang),
            visit=visit,
        )
        return
    days = [schedule.day(d) for d in when.days] if when.days else schedule.week(today)
    lines = "\n".join(_week_line(d, when.part_of_day, lang) for d in days)
    out.say(
        "utter_opening_hours_week", office=name, lines=lines, notes=_notes(days, lang), visit=visit
    )


def _week_line(day: DayHours, part: str | None = None, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    fields = {
        "wd": texts.words(lang, "format.weekdays_short")[day.day.weekday()],
        "date": fmt_date(lang, day.day, "day_month"),
    }
    intervals = _clip(day, part)
    if intervals:
        return texts.text(lang, "opening_hours.week_line", hours=_hours(lang, intervals), **fields)
    if day.intervals and part:
        return texts.text(
            lang, "opening_hours.week_line_part_closed", part=_part(lang, part), **fields
        )
    return texts.text(
        lang, "opening_hours.week_line_closed", reason=_reason(lang, day.closed_reason), **fields
    )


def _other_office(knowledge: Knowledge, office: Office, term: str | None) -> Office | None:
    """Another office the citizen's generic word also fits ("Bürgerbüro": Mitte and Nord)."""
    if not term or term == office.name:
        return None
    first = office.name.split()[0]
    if not term.lower().startswith(first.lower()) or len(term.split()) > 1:
        return None
    for other in knowledge.city_offices():
        if other.id != office.id and other.name.split()[0] == first:
            return other
    return None
