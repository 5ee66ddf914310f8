"""Usage figures for the staff's analytics page, computed only from the stores.

Sources: Rasa's tracker store (its ``events`` table), the tickets and the citizens'
feedback. Never logs, never texts: every figure is a count or a share.

Definitions (also in docs/ANALYTICS.md):

- A *citizen message* is a ``user`` event, except the widget's automatic ``/greet`` when
  the chat opens (nobody typed it).
- A *conversation* is everything one sender id wrote on one calendar day (Europe/Berlin).
  A conversation's channel is the message's ``input_channel``.
- *Not understood*: the assistant ran ``action_fallback`` (low NLU confidence or no rule
  fitting) for a message.
- *Handoff*: a ticket was created; *contained*: a conversation without a ticket created
  for the same sender id on the same day.
- *Answered in time*: the first staff reply came before the ticket's due time.

Aggregation runs in the database (GROUP BY) on SQLite and PostgreSQL; only the JSON
fields Rasa keeps in ``events.data`` (channel, slot name and value) are extracted with
the database's JSON functions. Python sums the grouped rows, whose number is bounded by
the number of conversations, not of events.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.cases import store as cases
from bot.cases.model import is_overdue
from bot.config import TIMEZONE
from bot.rasa_events import events
from bot.store import feedback
from bot.timeutil import as_utc

MAX_DAYS = 366
TOP = 10
AUTO_GREET = "/greet"  # sent by the website widget when the chat opens
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback")
COUNTED_SLOTS = ("office", "service", "street")

rasa_events = events  # Rasa's table (bot.rasa_events), only read here

CHANNEL_LABELS = {
    "socketio": "Website",
    "telegram": "Telegram",
    "facebook": "Facebook Messenger",
    "rest": "REST (Test/Integration)",
    "": "unbekannt",
}
INTENT_LABELS = {
    "greet": "Begrüßung",
    "goodbye": "Verabschiedung",
    "thank": "Dank",
    "bot_challenge": "Frage: Bot oder Mensch?",
    "ask_capabilities": "Was kann der Assistent?",
    "affirm": "Zustimmung",
    "deny": "Ablehnung",
    "out_of_scope": "außerhalb des Angebots",
    "insult": "Beleidigung",
    "inform": "Nachfrage/Angabe",
    "nlu_fallback": "nicht verstanden",
    "ask_opening_hours": "Öffnungszeiten",
    "ask_responsibility": "Zuständigkeiten",
    "ask_road_closures": "Straßensperrungen",
    "ask_faq": "Häufige Fragen (FAQ)",
    "request_human": "Wunsch nach Mitarbeiter/in",
    "ask_case_status": "Stand eines Vorgangs",
    "complain": "Beschwerde",
    "resume_case": "Vorgang fortsetzen",
    "input_empty": "leere Nachricht",
    "input_too_long": "zu lange Nachricht",
    "input_not_text": "keine Textnachricht",
    "maintenance": "Wartungsmodus",
    "rate_limited": "zu viele Nachrichten",
}


def channel_label(channel: str | None) -> str:
    """German name of a Rasa input channel."""
    return CHANNEL_LABELS.get(channel or "", channel or "unbekannt")


def intent_label(intent: str | None) -> str:
    """German name of an intent (the intent itself when there is none)."""
    return INTENT_LABELS.get(intent or "", intent or "unbekannt")


# --- date range -------------------------------------------------------------------------


class RangeError(ValueError):
    """A date range that cannot be used; the message is German and shown to staff."""


@dataclass(frozen=True)
class Range:
    """Calendar days ``first`` … ``last`` (inclusive) in the city's time zone."""

    first: date
    last: date
    tz: ZoneInfo = TIMEZONE

    @property
    def start(self) -> datetime:
        """Local midnight of the first day, in UTC."""
        return datetime.combine(self.first, time(0), self.tz).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day, in UTC (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.tz).astimezone(
            timezone.utc
        )

    @property
    def days(self) -> list[date]:
        """Every day of the range."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def parse_range(
    raw_from: str | None, raw_to: str | None, now: datetime, default_days: int = 7
) -> Range:
    """The range from the page's ``von``/``bis`` fields (``YYYY-MM-DD``).

    Defaults: the last ``default_days`` days up to today.

    Raises:
        RangeError: with a German message for a wrong date, a reversed or too long range.
    """
    today = now.astimezone(TIMEZONE).date()

    def _parse(raw: str | None, name: str, default: date) -> date:
        raw = (raw or "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw[:10]) if len(raw) == 10 else _bad(name, raw)
        except ValueError:
            return _bad(name, raw)

    last = _parse(raw_to, "bis", today)
    first = _parse(raw_from, "von", last - timedelta(days=default_days - 1))
    if first > last:
        raise RangeError("Das Datum „von“ liegt nach dem Datum „bis“.")
    if (last - first).days + 1 > MAX_DAYS:
        raise RangeError(f"Der Zeitraum ist zu lang (höchstens {MAX_DAYS} Tage).")
    return Range(first, last)


def _bad(name: str, raw: str) -> date:
    shown = "".join(c for c in raw[:20] if c.isprintable())
    raise RangeError(
        f"Das Datum „{name}“ ({shown}) ist ungültig. Bitte im Format JJJJ-MM-TT angeben, "
        "z. B. 2026-11-23."
    )


# --- the report -------------------------------------------------------------------------


@dataclass
class Report:
    """Every figure of the analytics page for one date range."""

    range: Range
    now: datetime
    tracker_available: bool = True
    conversations: int = 0
    messages: int = 0
    per_day: dict[date, dict[str, int]] = field(default_factory=dict)  # day → conv/msg
    per_day_channel: dict[date, Counter[str]] = field(default_factory=dict)  # conversations
    channels: dict[str, dict[str, int]] = field(default_factory=dict)  # channel → conv/msg
    topics: list[tuple[str, int]] = field(default_factory=list)
    offices: list[tuple[str, int]] = field(default_factory=list)
    services: list[tuple[str, int]] = field(default_factory=list)
    streets: list[tuple[str, int]] = field(default_factory=list)
    not_understood: int = 0
    nlu_fallback: int = 0
    out_of_scope: int = 0
    handoffs: int = 0
    handoffs_by_reason: list[tuple[str, int]] = field(default_factory=list)
    conversations_with_ticket: int = 0
    tickets_answered: int = 0
    tickets_in_time: int = 0
    tickets_late: int = 0  # answered late, or still open without a reply and past due
    median_response_hours: float | None = None
    interim_sent: int = 0
    overdue_now: int = 0
    feedback_up: int = 0
    feedback_down: int = 0
    feedback_comments: int = 0
    satisfaction_by_topic: list[tuple[str, int, int]] = field(default_factory=list)
    satisfaction_by_channel: list[tuple[str, int, int]] = field(default_factory=list)
    # reports of what is broken (bot.dialogue.report): every report, by kind and street
    reports_by_kind: list[tuple[str, int]] = field(default_factory=list)
    reports_by_street: list[tuple[str, int]] = field(default_factory=list)
    report_places: int = 0
    report_duplicates: int = 0
    median_days_to_done: float | None = None

    @property
    def not_understood_rate(self) -> float | None:
        """Messages answered with the fallback, per citizen message."""
        return _share(self.not_understood, self.messages)

    @property
    def handoff_rate(self) -> float | None:
        """Conversations handed to staff, per conversation."""
        return _share(self.conversations_with_ticket, self.conversations)

    @property
    def containment(self) -> float | None:
        """Conversations answered without staff, per conversation."""
        if not self.conversations:
            return None
        return 1 - self.conversations_with_ticket / self.conversations

    @property
    def in_time_rate(self) -> float | None:
        """Tickets answered before their due time, of those answered or already due."""
        return _share(self.tickets_in_time, self.tickets_in_time + self.tickets_late)

    @property
    def satisfaction(self) -> float | None:
        """Positive ratings per rating."""
        return _share(self.feedback_up, self.feedback_up + self.feedback_down)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compute(tracker_engine: Engine, engine: Engine, rng: Range, now: datetime) -> Report:
    """All figures for ``rng``.

    Args:
        tracker_engine: Rasa's tracker store (``events``).
        engine: the project's store (tickets, feedback).
        rng: the calendar days.
        now: the current time (for "overdue now").
    """
    now = now.astimezone(timezone.utc)  # SQLite compares stored UTC times as text
    report = Report(range=rng, now=now)
    conversation_keys: set[tuple[str, date]] = set()
    try:
        conversation_keys = _conversations(tracker_engine, rng, report)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        # no events table yet (Rasa has not started) or the store is unreachable
        report.tracker_available = False
    _tickets(engine, rng, now, report, conversation_keys)
    _reports(engine, rng, report)
    _feedback(engine, rng, report)
    return report


def _reports(engine: Engine, rng: Range, report: Report) -> None:
    """Reports made in the range: by kind, by street, and the median days to done."""
    figures = cases.report_figures(engine, rng.start, rng.end)
    report.reports_by_kind = _top(Counter(dict(figures.by_kind)), limit=None)
    report.reports_by_street = _top(Counter(dict(figures.by_street)), limit=None)
    report.report_places = figures.cases
    report.report_duplicates = figures.duplicates
    if figures.done_days:
        report.median_days_to_done = statistics.median(figures.done_days)


# --- events -----------------------------------------------------------------------------


def json_text(dialect: str, column: Any, key: str) -> Any:
    """SQL for the text value of top-level ``key`` in a JSON text column."""
    if dialect == "sqlite":
        return sa.func.json_extract(column, f"$.{key}")
    if dialect == "postgresql":
        return sa.func.json_extract_path_text(sa.cast(column, sa.JSON), key)
    return sa.type_coerce(column, sa.JSON)[key].as_string()


def hour_bucket(dialect: str, column: Any) -> Any:
    """SQL for whole hours since the epoch (local days are whole hours in every zone here)."""
    if dialect == "sqlite":
        return sa.cast(column / 3600, sa.Integer)  # truncates; timestamps are positive
    return sa.cast(sa.func.floor(column / 3600), sa.Integer)


class _Days:
    """Maps hour buckets to local calendar days (cached: few distinct hours per range)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._cache: dict[int, date] = {}

    def __call__(self, hour: int) -> date:
        day = self._cache.get(hour)
        if day is None:
            day = datetime.fromtimestamp(hour * 3600, self.tz).date()
            self._cache[hour] = day
        return day


def _in_range(rng: Range) -> Any:
    ev = rasa_events.c
    return sa.and_(ev.timestamp >= rng.start.timestamp(), ev.timestamp < rng.end.timestamp())


def _citizen_messages(dialect: str, rng: Range) -> Any:
    ev = rasa_events.c
    auto_greet = sa.and_(
        ev.intent_name == "greet", json_text(dialect, ev.data, "text") == AUTO_GREET
    )
    return sa.and_(ev.type_name == "user", _in_range(rng), sa.not_(auto_greet))


def _conversations(tracker_engine: Engine, rng: Range, report: Report) -> set[tuple[str, date]]:
    """Fills the event-based figures; returns the conversations as ``(sender, day)``."""
    dialect = tracker_engine.dialect.name
    ev = rasa_events.c
    channel = json_text(dialect, ev.data, "input_channel").label("channel")
    hour = hour_bucket(dialect, ev.timestamp).label("hour")
    per_sender = (
        sa.select(ev.sender_id, channel, hour, sa.func.count().label("n"))
        .where(_citizen_messages(dialect, rng))
        .group_by(ev.sender_id, channel, hour)
    )
    topics = (
        sa.select(ev.intent_name, sa.func.count().label("n"))
        .where(_citizen_messages(dialect, rng))
        .group_by(ev.intent_name)
    )
    fallbacks = sa.select(sa.func.count()).where(
        ev.type_name == "action", ev.action_name.in_(FALLBACK_ACTIONS), _in_range(rng)
    )
    # Rasa's SQLTrackerStore writes an event's "name" into action_name: for a slot event
    # that is the slot's name, so only the value needs the JSON function.
    slot_value = json_text(dialect, ev.data, "value").label("value")
    slots = (
        sa.select(ev.action_name, slot_value, ev.sender_id, hour)
        .where(ev.type_name == "slot", _in_range(rng), ev.action_name.in_(COUNTED_SLOTS))
        .group_by(ev.action_name, slot_value, ev.sender_id, hour)
    )
    to_day = _Days(rng.tz)
    for day in rng.days:
        report.per_day[day] = {"conversations": 0, "messages": 0}
        report.per_day_channel[day] = Counter()
    conversations: set[tuple[str, date]] = set()
    by_channel: dict[str, set[tuple[str, date]]] = defaultdict(set)
    messages_by_channel: Counter[str] = Counter()
    with tracker_engine.connect() as conn:
        for sender, chan, hr, n in conn.execute(per_sender):
            day = to_day(int(hr))
            if day not in report.per_day:  # float edge at the range's end
                continue
            chan = chan or ""
            key = (sender, day)
            if key not in conversations:
                conversations.add(key)
                report.per_day[day]["conversations"] += 1
            if key not in by_channel[chan]:
                by_channel[chan].add(key)
                report.per_day_channel[day][chan] += 1
            report.per_day[day]["messages"] += n
            messages_by_channel[chan] += n
        topic_counts = [(intent or "", int(n)) for intent, n in conn.execute(topics)]
        report.not_understood = int(conn.execute(fallbacks).scalar() or 0)
        slot_rows = list(conn.execute(slots))
    report.conversations = len(conversations)
    report.messages = sum(messages_by_channel.values())
    report.channels = {
        chan: {"conversations": len(keys), "messages": messages_by_channel[chan]}
        for chan, keys in sorted(by_channel.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    }
    report.topics = _top(Counter(dict(topic_counts)), limit=None)
    counts = dict(topic_counts)
    report.nlu_fallback = counts.get("nlu_fallback", 0)
    report.out_of_scope = counts.get("out_of_scope", 0)
    distinct: dict[str, dict[str, set[tuple[str, date]]]] = {
        s: defaultdict(set) for s in COUNTED_SLOTS
    }
    for name, value, sender, hr in slot_rows:
        if value in (None, "", "null"):
            continue
        distinct[name][str(value)].add((sender, to_day(int(hr))))
    report.offices = _top(Counter({v: len(k) for v, k in distinct["office"].items()}))
    report.services = _top(Counter({v: len(k) for v, k in distinct["service"].items()}))
    report.streets = _top(Counter({v: len(k) for v, k in distinct["street"].items()}))
    return conversations


def _top(counts: Counter[str], limit: int | None = TOP) -> list[tuple[str, int]]:
    """Largest first, ties by name (stable pages and exports)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ordered if limit is None else ordered[:limit]


# --- tickets and feedback ---------------------------------------------------------------


def _tickets(
    engine: Engine,
    rng: Range,
    now: datetime,
    report: Report,
    conversation_keys: set[tuple[str, date]],
) -> None:
    found = cases.figures(engine, rng.start, rng.end, now)
    keys: set[tuple[str, date]] = set()
    hours: list[float] = []
    report.handoffs_by_reason = found.by_reason
    report.overdue_now = found.overdue_now
    for sender, status, created, due, first, interim in found.rows:
        created, due, first = as_utc(created), as_utc(due), as_utc(first)
        assert created is not None and due is not None
        keys.add((sender, created.astimezone(rng.tz).date()))
        if interim is not None:
            report.interim_sent += 1
        if first is not None:
            report.tickets_answered += 1
            hours.append((first - created).total_seconds() / 3600)
            if first <= due:
                report.tickets_in_time += 1
            else:
                report.tickets_late += 1
        elif is_overdue(status, due, first, now):  # closed without a reply: neither
            report.tickets_late += 1
    report.handoffs = sum(n for _, n in report.handoffs_by_reason)
    report.conversations_with_ticket = len(keys & conversation_keys)
    report.median_response_hours = statistics.median(hours) if hours else None


def _feedback(engine: Engine, rng: Range, report: Report) -> None:
    f = feedback.c
    has_comment = sa.case((sa.func.length(sa.func.coalesce(f.comment, "")) > 0, 1), else_=0)
    query = (
        sa.select(f.topic, f.channel, f.rating, sa.func.count(), sa.func.sum(has_comment))
        .where(f.created_at >= rng.start, f.created_at < rng.end)
        .group_by(f.topic, f.channel, f.rating)
    )
    by_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with engine.connect() as conn:
        for topic, channel, rating, n, comments in conn.execute(query):
            n = int(n)
            slot = 0 if rating > 0 else 1
            by_topic[topic or ""][slot] += n
            by_channel[channel or ""][slot] += n
            report.feedback_comments += int(comments or 0)
            if rating > 0:
                report.feedback_up += n
            else:
                report.feedback_down += n
    report.satisfaction_by_topic = _satisfaction(by_topic)
    report.satisfaction_by_channel = _satisfaction(by_channel)


def _satisfaction(counts: dict[str, list[int]]) -> list[tuple[str, int, int]]:
    return sorted(
        ((key, up, down) for key, (up, down) in counts.items()),
        key=lambda row: (-(row[1] + row[2]), row[0]),
    )


# --- exports ----------------------------------------------------------------------------


def rows(
    report: Report, names: dict[str, dict[str, str]] | None = None
) -> list[tuple[str, str, str, Any]]:
    """Every shown figure as ``(section, key, label, value)`` (the CSV export).

    Args:
        report: the computed figures.
        names: display names per kind (``office``, ``service``) for ids.
    """
    names = names or {}
    out: list[tuple[str, str, str, Any]] = [
        ("zeitraum", "von", "Zeitraum von", report.range.first.isoformat()),
        ("zeitraum", "bis", "Zeitraum bis", report.range.last.isoformat()),
        ("gesamt", "gespraeche", "Gespräche", report.conversations),
        ("gesamt", "nachrichten", "Nachrichten von Bürger/innen", report.messages),
        ("gesamt", "nicht_verstanden", "Nachrichten nicht verstanden", report.not_understood),
        (
            "gesamt",
            "nicht_verstanden_quote",
            "Quote nicht verstanden",
            _pct(report.not_understood_rate),
        ),
        ("gesamt", "nlu_fallback", "Absicht unsicher erkannt (nlu_fallback)", report.nlu_fallback),
        ("gesamt", "ausserhalb_angebot", "außerhalb des Angebots", report.out_of_scope),
        ("gesamt", "uebergaben", "Übergaben an Mitarbeiter/innen (Vorgänge)", report.handoffs),
        ("gesamt", "uebergabe_quote", "Übergabequote (Gespräche)", _pct(report.handoff_rate)),
        (
            "gesamt",
            "ohne_personal_quote",
            "ohne Mitarbeiter/innen beantwortet",
            _pct(report.containment),
        ),
        ("bearbeitung", "beantwortet", "Vorgänge beantwortet", report.tickets_answered),
        ("bearbeitung", "fristgerecht", "fristgerecht beantwortet", report.tickets_in_time),
        ("bearbeitung", "verspaetet", "verspätet oder überfällig", report.tickets_late),
        ("bearbeitung", "fristgerecht_quote", "Quote fristgerecht", _pct(report.in_time_rate)),
        (
            "bearbeitung",
            "median_stunden",
            "Median bis zur ersten Antwort (Stunden)",
            _num(report.median_response_hours),
        ),
        ("bearbeitung", "zwischennachrichten", "Zwischennachrichten gesendet", report.interim_sent),
        ("bearbeitung", "ueberfaellig_jetzt", "jetzt überfällig", report.overdue_now),
        ("zufriedenheit", "positiv", "Bewertungen positiv", report.feedback_up),
        ("zufriedenheit", "negativ", "Bewertungen negativ", report.feedback_down),
        ("zufriedenheit", "kommentare", "Bewertungen mit Kommentar", report.feedback_comments),
        ("zufriedenheit", "quote", "Anteil positiv", _pct(report.satisfaction)),
    ]
    for day, values in report.per_day.items():
        out.append(("gespraeche_je_tag", day.isoformat(), "Gespräche", values["conversations"]))
    for day, values in report.per_day.items():
        out.append(("nachrichten_je_tag", day.isoformat(), "Nachrichten", values["messages"]))
    for chan, values in report.channels.items():
        label = channel_label(chan)
        out.append(("gespraeche_je_kanal", chan, label, values["conversations"]))
    for chan, values in report.channels.items():
        label = channel_label(chan)
        out.append(("nachrichten_je_kanal", chan, label, values["messages"]))
    out += [("thema", i, intent_label(i), n) for i, n in report.topics]
    out += [("amt", o, names.get("office", {}).get(o, o), n) for o, n in report.offices]
    out += [("leistung", s, names.get("service", {}).get(s, s), n) for s, n in report.services]
    out += [("strasse", s, s, n) for s, n in report.streets]
    out += [("uebergabe_grund", r, r, n) for r, n in report.handoffs_by_reason]
    service_names = names.get("service", {})
    out += [("meldung_art", k, service_names.get(k, k), n) for k, n in report.reports_by_kind]
    out += [("meldung_strasse", s, s, n) for s, n in report.reports_by_street]
    out += [
        ("meldungen", "stellen", "gemeldete Stellen", report.report_places),
        ("meldungen", "weitere", "weitere Meldungen derselben Stelle", report.report_duplicates),
        (
            "meldungen",
            "median_tage",
            "Median bis erledigt (Tage)",
            _num(report.median_days_to_done),
        ),
    ]
    for index, kind in ((1, "positiv"), (2, "negativ")):
        for row in report.satisfaction_by_topic:
            out.append((f"{kind}_je_thema", row[0], intent_label(row[0]), row[index]))
    for index, kind in ((1, "positiv"), (2, "negativ")):
        for row in report.satisfaction_by_channel:
            out.append((f"{kind}_je_kanal", row[0], channel_label(row[0]), row[index]))
    return out


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


OPEN_DATA_LICENSE = "Datenlizenz Deutschland – Zero – Version 2.0 (dl-de/zero-2-0)"
OPEN_DATA_LICENSE_URL = "https://www.govdata.de/dl-de/zero-2-0"
MIN_COUNT = 3


def open_data(report: Report, min_count: int = MIN_COUNT) -> dict[str, Any]:
    """Aggregates the city can publish: counts and shares, nothing personal.

    No sender ids, no texts, no comments. Breakdowns by office, service and street keep
    only values asked in at least ``min_count`` conversations; the rest is summed up as
    ``sonstige`` so that a rare question cannot point to one person.
    """

    def _suppressed(items: Iterable[tuple[str, int]]) -> dict[str, int]:
        kept: dict[str, int] = {}
        rest = 0
        for key, n in items:
            if n >= min_count:
                kept[key] = n
            else:
                rest += n
        if rest:
            kept["sonstige"] = rest
        return kept

    return {
        "titel": "Nutzung des digitalen Bürgerservice-Assistenten",
        "beschreibung": (
            "Tägliche Anzahl der Gespräche und Nachrichten je Kanal, Themen, Übergaben an "
            "Mitarbeiterinnen und Mitarbeiter, Bearbeitungszeiten und Zufriedenheit. "
            "Nur Zählwerte; keine personenbezogenen Daten, keine Texte. Ein Gespräch sind "
            "alle Nachrichten einer Sitzung an einem Kalendertag (Europe/Berlin). "
            f"Aufschlüsselungen nach Amt, Leistung und Straße: Werte unter {min_count} sind "
            "unter „sonstige“ zusammengefasst. Meldungen (Schäden, Schrottautos, Müll) je "
            "Art und Straße, ohne Texte, Fotos und Angaben zu den Meldenden."
        ),
        "lizenz": OPEN_DATA_LICENSE,
        "lizenz_url": OPEN_DATA_LICENSE_URL,
        "zeitraum": {"von": report.range.first.isoformat(), "bis": report.range.last.isoformat()},
        "erstellt": report.now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "tage": [
            {
                "datum": day.isoformat(),
                "gespraeche": values["conversations"],
                "nachrichten": values["messages"],
                "gespraeche_je_kanal": dict(sorted(report.per_day_channel[day].items())),
            }
            for day, values in report.per_day.items()
        ],
        "kanaele": {
            chan: {"gespraeche": v["conversations"], "nachrichten": v["messages"]}
            for chan, v in report.channels.items()
        },
        "themen": dict(report.topics),
        "aemter": _suppressed(report.offices),
        "leistungen": _suppressed(report.services),
        "strassen": _suppressed(report.streets),
        "nicht_verstanden": report.not_understood,
        "uebergaben_je_grund": dict(report.handoffs_by_reason),
        "meldungen_je_art": dict(report.reports_by_kind),
        "meldungen_je_strasse": _suppressed(report.reports_by_street),
        "median_tage_bis_erledigt": _num(report.median_days_to_done),
        "ohne_personal_beantwortet_prozent": _pct(report.containment),
        "fristgerecht_beantwortet_prozent": _pct(report.in_time_rate),
        "median_stunden_bis_antwort": _num(report.median_response_hours),
        "bewertungen": {
            "positiv": report.feedback_up,
            "negativ": report.feedback_down,
            "je_thema": {
                t: {"positiv": u, "negativ": d} for t, u, d in report.satisfaction_by_topic
            },
        },
    }


def open_data_rows(data: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """The open data as long-format rows ``(datum, bereich, schluessel, wert)``."""
    out: list[tuple[str, str, str, Any]] = []
    for day in data["tage"]:
        out.append((day["datum"], "gespraeche", "", day["gespraeche"]))
        out.append((day["datum"], "nachrichten", "", day["nachrichten"]))
        for chan, n in day["gespraeche_je_kanal"].items():
            out.append((day["datum"], "gespraeche_je_kanal", chan, n))
    period = f"{data['zeitraum']['von']}/{data['zeitraum']['bis']}"
    for section in (
        "themen",
        "aemter",
        "leistungen",
        "strassen",
        "uebergaben_je_grund",
        "meldungen_je_art",
        "meldungen_je_strasse",
    ):
        for key, n in data[section].items():
            out.append((period, section, key, n))
    for key in (
        "nicht_verstanden",
        "ohne_personal_beantwortet_prozent",
        "fristgerecht_beantwortet_prozent",
        "median_stunden_bis_antwort",
        "median_tage_bis_erledigt",
    ):
        out.append((period, key, "", data[key]))
    for key in ("positiv", "negativ"):
        out.append((period, "bewertungen", key, data["bewertungen"][key]))
    for topic, values in data["bewertungen"]["je_thema"].items():
        for key, n in values.items():
            out.append((period, "bewertungen_je_thema", f"{topic}:{key}", n))
    return out
