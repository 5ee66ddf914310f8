"""The status page of a citizen's report (``/meldung/<token>``): data for the template.

The sentences come from the text catalogue (``report.status_*`` in ``data/texts/``), in
the language the citizen reported in; office and kind names from the knowledge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.cases.store import ReportStatus
from bot.dialogue import office_name
from bot.dialogue.handoff import office_at
from bot.handoff.due import due_in_words
from bot.knowledge.base import Knowledge


def page(knowledge: Knowledge, status: ReportStatus | None, now: datetime) -> dict[str, Any]:
    """``lang`` and ``lines`` (title first) of the page; an unknown link gets one line."""
    zone = ZoneInfo(knowledge.timezone)
    local_now = now.astimezone(zone)
    if status is None:
        lang = texts.DEFAULT_LANGUAGE
        return {"lang": lang, "title": "", "lines": [texts.text(lang, "report.status_unknown")]}
    lang = texts.normalise(status.language)

    def line(key: str, **values: Any) -> str:
        return texts.text(lang, f"report.{key}", **values)

    service = knowledge.services.get(status.kind)
    kind = office_name(service, lang) if service else status.kind
    place = " ".join(x for x in (status.street, status.house_number) if x)
    lines = [line("status_what", kind=kind)]
    if place:
        lines.append(line("status_where", place=place))
    office = knowledge.offices.get(status.office)
    if status.open:
        if status.due_at is not None:
            due = due_in_words(status.due_at.astimezone(zone), local_now, lang)
            lines.append(line("status_open", office_at=office_at(office, lang), due=due))
        else:
            lines.append(line("status_open_no_due", office_at=office_at(office, lang)))
    else:
        closed = (status.closed_at or now).astimezone(zone)
        # "done" only when staff marked it done (the notice); otherwise it was closed
        key = "status_done" if status.done_notice else "status_closed"
        lines.append(line(key, date=texts.fmt_date(lang, closed.date())))
        if status.done_notice:
            lines.extend(x for x in status.done_notice.split("\n") if x.strip())
    stamp = f"{texts.fmt_date(lang, local_now.date())}, {texts.fmt_time(lang, local_now.time())}"
    lines.append(line("status_as_of", time=stamp))
    return {"lang": lang, "title": line("status_title", reference=status.reference), "lines": lines}
