"""When a ticket is due: "answer within 24 hours on working days".

Only time on the office's working days counts: days on which the office has opening
hours (so weekends, the state's public holidays, Christmas Eve and special closures do
not). A ticket on Friday evening is due on Monday evening; one before Christmas skips the
holidays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from bot import texts

MAX_DAYS = 60


def due_time(
    created: datetime, is_working_day: Callable[[date], bool], hours: float = 24.0
) -> datetime:
    """``created`` plus ``hours`` counted on working days only (local wall-clock time).

    Args:
        created: aware creation time (Europe/Berlin).
        is_working_day: whether a date counts.
        hours: the promised response time in working-day hours.

    Returns:
        The aware due time in ``created``'s time zone.
    """
    tz = created.tzinfo
    remaining = timedelta(hours=hours)
    day = created.date()
    cursor = created
    for _ in range(MAX_DAYS):
        if is_working_day(day):
            end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            available = end_of_day - cursor
            if remaining <= available:
                return _wall_add(cursor, remaining)
            remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tzinfo=tz)
    raise ValueError("no working day within 60 days")


def _wall_add(start: datetime, delta: timedelta) -> datetime:
    """Adds wall-clock time (a DST day still counts 24 hours of the clock face)."""
    naive = start.replace(tzinfo=None) + delta
    return naive.replace(tzinfo=start.tzinfo)


def due_in_words(due: datetime, now: datetime, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    """ "bis spätestens Montag, 30.11.2026, 18:00 Uhr" (or "heute"/"morgen"), per language."""
    if due.date() == now.date():
        day = texts.text(lang, "handoff.today")
    elif due.date() == now.date() + timedelta(days=1):
        day = texts.text(lang, "handoff.tomorrow")
    else:
        day = texts.words(lang, "format.weekdays")[due.weekday()]
    return texts.text(
        lang,
        "handoff.due",
        day=day,
        date=texts.fmt_date(lang, due.date()),
        time=texts.fmt_time(lang, due.time()),
    )
