"""The validity of a closure in words for the citizen (templates: data/texts/, ``closures``)."""

from __future__ import annotations

from datetime import datetime

from bot import texts
from bot.knowledge.closures.model import Closure, _require_aware, local_tz


def _format_moment(moment: datetime, *, is_end: bool, lang: str = texts.DEFAULT_LANGUAGE) -> str:
    local = moment.astimezone(local_tz())
    day = texts.fmt_date(lang, local.date())
    if (not is_end and (local.hour, local.minute) == (0, 0)) or (
        is_end and (local.hour, local.minute) == (23, 59)
    ):
        return day
    return texts.text(lang, "closures.moment", date=day, time=texts.fmt_time(lang, local.time()))


def format_period(
    c: Closure, now: datetime | None = None, lang: str = texts.DEFAULT_LANGUAGE
) -> str:
    """The validity in German for the citizen.

    With ``now``, a closure that has begun reads "seit …", an upcoming one "ab …", an
    ended one "vom … bis …"; without ``now`` the start reads "vom …" (or "ab …" for an
    open end). A start at
    00:00 and an end at 23:59 are shown as a date only.

    Examples:
        "seit 01.09.2026, 06:00 Uhr bis 31.12.2027, 18:00 Uhr",
        "ab 05.01.2027 bis 28.02.2027, 17:00 Uhr", "seit 31.07.2020, 11:00 Uhr bis auf
        Weiteres", "bis 31.01.2027", "bis auf Weiteres".
    """
    if now is not None:
        _require_aware(now)
    end = (
        texts.text(lang, "closures.until", end=_format_moment(c.valid_to, is_end=True, lang=lang))
        if c.valid_to is not None
        else texts.text(lang, "closures.until_further_notice")
    )
    if c.valid_from is None:
        return end
    start = _format_moment(c.valid_from, is_end=False, lang=lang)
    if now is None or (c.valid_to is not None and now > c.valid_to):
        key = "from_to" if c.valid_to is not None else "from_on"
    else:
        key = "from_on" if now < c.valid_from else "since"
    return texts.text(lang, f"closures.{key}", start=start, end=end)
