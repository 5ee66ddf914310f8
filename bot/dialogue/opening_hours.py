"""Opening-hours answers: which office, which day, open or closed and why."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot.dialogue import Outcome, payload_button, resolve
from bot.knowledge.base import Knowledge, Office
from bot.knowledge.opening_hours import (
    GERMAN_WEEKDAYS,
    DayHours,
    OfficeSchedule,
    SpecialHours,
    format_intervals,
)
from bot.knowledge.when import PART_OF_DAY_RANGES, When, parse_when

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
    special = [
        SpecialHours(office_id=e.office, start=e.start, end=e.end, hours=e.hours, note=e.note)
        for e in knowledge.special_for(office.id)
    ]
    assert office.opening_hours is not None
    return OfficeSchedule(
        office.opening_hours, state=knowledge.state, tz=knowledge.timezone, special=special
    )


def visit_info(office: Office) -> str:
    """What a visitor needs: appointment, address, phone (and the hours note, if any)."""
    parts = [office.hours_note] if office.hours_note else []
    if office.appointment_required and office.appointment_url:
        parts.append(f"Termin erforderlich: {office.appointment_url}")
    elif office.appointment_url:
        parts.append(f"Termine online: {office.appointment_url}")
    else:
        parts.append("Ohne Termin möglich.")
    if office.address:
        parts.append(f"Adresse: {office.address}")
    if office.phone:
        parts.append(f"Telefon: {office.phone}")
    return " · ".join(parts)


def _day_label(d: date, today: date) -> str:
    if d == today:
        return f"heute ({d:%d.%m.})"
    if d == today + timedelta(days=1):
        return f"morgen ({GERMAN_WEEKDAYS[d.weekday()]}, {d:%d.%m.})"
    return f"am {GERMAN_WEEKDAYS[d.weekday()]}, {d:%d.%m.%Y}"


def _clip(day: DayHours, part: str | None) -> tuple[tuple[time, time], ...]:
    if not part:
        return day.intervals
    lo, hi = PART_OF_DAY_RANGES[part]
    return tuple((max(a, lo), min(b, hi)) for a, b in day.intervals if a < hi and b > lo)


def _next_opening_text(schedule: OfficeSchedule, after: datetime, today: date) -> str:
    nxt = schedule.next_opening(after)
    if nxt is None:
        return "In den nächsten Wochen sind keine Öffnungszeiten eingetragen."
    label = _day_label(nxt.date(), today)
    return f"Nächste Öffnung: {label}, {nxt:%H:%M} Uhr."


def _notes(days: list[DayHours]) -> str:
    notes = sorted({d.special_note for d in days if d.special_note})
    return "".join(f"\nHinweis: {n}" for n in notes)


def answer(
    knowledge: Knowledge,
    text: str,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    now: datetime,
) -> Outcome:
    """Answers an opening-hours question (or a follow-up like "und am Samstag?")."""
    out = Outcome(slots={"topic": TOPIC, "detail": None})
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
    if not ref.exact:
        out.say("utter_did_you_mean", name=office.name)
    out.slots["office"] = office.id
    service = knowledge.services.get(slots.get("service") or "")
    if service is not None and office.id not in (service.office, *service.also_at):
        out.slots["service"] = None  # a new office replaces the service in focus
    if office.external:
        contact = f", Telefon {office.phone}" if office.phone else ""
        out.say(
            "utter_opening_hours_external",
            office=office.name,
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
                office=office.name,
                hours_text=office.hours_text,
                visit=visit_info(office),
            )
        else:
            out.say("utter_opening_hours_none", office=office.name, visit=visit_info(office))
        return out

    schedule = schedule_for(knowledge, office)
    when = parse_when(text, now, state=knowledge.state)
    _answer_when(out, office, schedule, when, now)
    other = _other_office(knowledge, office, term)
    if other:
        out.say("utter_opening_hours_other_office", other=other.name)
    return out


def _answer_when(
    out: Outcome, office: Office, schedule: OfficeSchedule, when: When, now: datetime
) -> None:
    visit = visit_info(office)
    today = now.date()
    asks_now = when.now or (when.until_when and when.days in ((), (today,)))
    if asks_now and when.days in ((), (today,)) and not when.part_of_day:
        day = schedule.day(today)
        if schedule.is_open(now):
            until = schedule.open_until(now)
            out.say(
                "utter_opening_hours_now_open",
                office=office.name,
                until=f"{until:%H:%M}" if until else "Dienstschluss",
                notes=_notes([day]),
                visit=visit,
            )
        else:
            reason = f" – {day.closed_reason}" if day.closed_reason else ""
            out.say(
                "utter_opening_hours_now_closed",
                office=office.name,
                reason=reason,
                next_opening=_next_opening_text(schedule, now, today),
                notes=_notes([day]),
                visit=visit,
            )
        return
    if len(when.days) == 1:
        d = when.days[0]
        day = schedule.day(d)
        label = when.label if when.label and not when.label[0].isupper() else _day_label(d, today)
        intervals = _clip(day, when.part_of_day)
        if intervals:
            hours = format_intervals(intervals) + " Uhr"
            if when.part_of_day and intervals != day.intervals:
                hours += f" (ganzer Tag: {format_intervals(day.intervals)} Uhr)"
            out.say(
                "utter_opening_hours_day",
                office=office.name,
                label=label,
                hours=hours,
                notes=_notes([day]),
                visit=visit,
            )
            return
        reason = day.closed_reason or f"{when.part_of_day} keine Sprechzeiten"
        start = datetime.combine(d, time(0), tzinfo=now.tzinfo)
        if when.part_of_day and day.intervals:
            start = datetime.combine(d, PART_OF_DAY_RANGES[when.part_of_day][1], tzinfo=now.tzinfo)
        out.say(
            "utter_opening_hours_closed",
            office=office.name,
            label=label,
            reason=reason,
            next_opening=_next_opening_text(schedule, max(start, now), today),
            notes=_notes([day]),
            visit=visit,
        )
        return
    days = [schedule.day(d) for d in when.days] if when.days else schedule.week(today)
    lines = "\n".join(_week_line(d, when.part_of_day) for d in days)
    out.say(
        "utter_opening_hours_week", office=office.name, lines=lines, notes=_notes(days), visit=visit
    )


def _week_line(day: DayHours, part: str | None = None) -> str:
    name = GERMAN_WEEKDAYS[day.day.weekday()][:2]
    prefix = f"{name} {day.day:%d.%m.}"
    intervals = _clip(day, part)
    if intervals:
        return f"{prefix}: {format_intervals(intervals)} Uhr"
    if day.intervals and part:
        return f"{prefix}: {part} geschlossen"
    return f"{prefix}: geschlossen – {day.closed_reason}"


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
