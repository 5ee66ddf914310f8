"""The message catalogue: citizen-facing sentences that Python fills with data.

Whole answers are Rasa responses in ``domain/`` (one variation per language, chosen by the
``language`` slot). What the code still assembles from data (a week of opening hours,
the lines of a service card, "Nächste Öffnung: …", date and time formats) comes from one
catalogue per language, ``data/texts/<language>.yml``: the code passes data and a key,
never a sentence. A language is available when its catalogue exists; German (``de``)
is the default and the fallback.

Keys are dotted paths into the YAML (``opening_hours.next_opening``); values are
``str.format`` templates with named fields. Lists (weekday and month names) are read
with :func:`words`. ``tests/unit/test_texts.py`` checks that every catalogue has the same
keys and fields as the German one.
"""

from __future__ import annotations

import functools
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

DEFAULT_LANGUAGE = "de"
TEXTS_DIR = Path(__file__).resolve().parents[1] / "data" / "texts"


def texts_dir() -> Path:
    """Where the catalogues are (``TEXTS_DIR``; tests may monkeypatch it)."""
    return TEXTS_DIR


def languages(directory: Path | None = None) -> tuple[str, ...]:
    """The languages with a catalogue, German first: ``("de", "en")``."""
    found = sorted(p.stem for p in (directory or texts_dir()).glob("*.yml"))
    return tuple(sorted(found, key=lambda lang: lang != DEFAULT_LANGUAGE))


@functools.lru_cache(maxsize=16)
def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: the catalogue must be a mapping")
    return doc


def catalogue(language: str | None) -> dict[str, Any]:
    """The whole catalogue of a language (German for an unknown or empty one)."""
    directory = texts_dir()
    path = directory / f"{language}.yml"
    if not language or not path.is_file():
        path = directory / f"{DEFAULT_LANGUAGE}.yml"
    return _load(path)


def normalise(language: Any) -> str:
    """A supported language code, else the default: ``"EN"`` → ``"en"``, ``None`` → ``"de"``."""
    code = str(language or "").strip().lower()
    return code if code in languages() else DEFAULT_LANGUAGE


def _lookup(language: str | None, key: str) -> Any:
    node: Any = catalogue(language)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            if language != DEFAULT_LANGUAGE:
                return _lookup(DEFAULT_LANGUAGE, key)
            raise KeyError(f"text {key!r} is missing in data/texts/{DEFAULT_LANGUAGE}.yml")
        node = node[part]
    return node


def text(language: str | None, key: str, **values: Any) -> str:
    """The template ``key`` of ``language`` filled with ``values``."""
    return str(_lookup(language, key)).format(**values)


def words(language: str | None, key: str) -> list[str]:
    """A list from the catalogue (weekday names, month names)."""
    return [str(w) for w in _lookup(language, key)]


def mapping(language: str | None, key: str) -> dict[str, str]:
    """A mapping from the catalogue (German data words → this language)."""
    node = _lookup(language, key) or {}
    return {str(k): str(v) for k, v in node.items()}


def from_data(language: str | None, german: str, translated: str | None) -> str:
    """A text from data/knowledge/ (a fee, documents, a FAQ answer) for ``language``.

    The data's own text in that language where it has one (``translations``); else the
    German text with the catalogue's marker ``data.in_german`` ("… (in German)"), so that
    an English answer says plainly what it gives in German. Nothing is translated here.
    """
    lang = normalise(language)
    if lang == DEFAULT_LANGUAGE:
        return german
    return translated or text(lang, "data.in_german", text=german)


def fmt_time(language: str | None, t: time) -> str:
    """A clock time in the language's convention: "08:30" (de), "8:30 am" (en)."""
    if t == time.max:  # an interval that runs until midnight
        return text(language, "format.midnight")
    h12 = t.hour % 12 or 12
    ampm = words(language, "format.am_pm")[0 if t.hour < 12 else 1]
    return text(language, "format.time", t=t, h12=h12, ampm=ampm)


def fmt_date(language: str | None, d: date, style: str = "date") -> str:
    """A date in the language's convention; ``style`` is a key under ``format``.

    Fields: ``d`` (the date, for ``%d.%m.``), ``day`` (no leading zero), ``month`` and
    ``weekday`` (names from the catalogue), ``wd`` (short weekday), ``year``.
    """
    weekday = words(language, "format.weekdays")[d.weekday()]
    return text(
        language,
        f"format.{style}",
        d=d,
        day=d.day,
        month=words(language, "format.months")[d.month - 1],
        weekday=weekday,
        wd=words(language, "format.weekdays_short")[d.weekday()],
        year=d.year,
    )


def fmt_intervals(language: str | None, intervals: Any) -> str:
    """Opening intervals listed: "08:00–12:00 und 14:00–18:00" / "8:00 am–12:00 pm and …"."""
    parts = [
        text(language, "format.interval", start=fmt_time(language, a), end=fmt_time(language, b))
        for a, b in intervals
    ]
    if len(parts) <= 1:
        return "".join(parts)
    return text(language, "format.list", items=", ".join(parts[:-1]), last=parts[-1])


def translate_reason(language: str | None, reason: str) -> str:
    """A closing reason from the schedule (German data words) in the language.

    Exact entries of ``opening_hours.reasons`` are replaced, and a leading word of one
    ("Feiertag (Weihnachten)" → "public holiday (Weihnachten)"); names stay as they are.
    """
    table = mapping(language, "opening_hours.reasons")
    if reason in table:
        return table[reason]
    for german, translated in table.items():
        if reason.startswith(german + " ") or reason.startswith(german + ":"):
            return translated + reason[len(german) :]
    return reason


def to_parser_words(language: str | None, message: str) -> str:
    """The message with the language's time words replaced by the German ones.

    The time-expression parser (bot/knowledge/when.py) reads German; ``parser_words`` in a
    catalogue maps "tomorrow" → "morgen", "on saturday" → "am samstag" (longest first,
    whole words, case-insensitive). German messages are returned unchanged.
    """
    if not language or language == DEFAULT_LANGUAGE:
        return message
    table = mapping(language, "parser_words")
    if not table:
        return message
    import re

    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)
    lowered = {k.lower(): v for k, v in table.items()}
    return pattern.sub(lambda m: lowered[m.group(0).lower()], message)


def mark_language(language: str | None, summary: str) -> str:
    """A ticket summary marked with the conversation's language: "[EN] I need …" (German: as is).

    Staff see it first in the inbox; staff-side messages to the citizen (interim, hand
    back) read it back with :func:`language_of_summary`. (A column of its own needs a
    schema migration.)
    """
    lang = normalise(language)
    return summary if lang == DEFAULT_LANGUAGE else f"[{lang.upper()}] {summary}"


def language_of_summary(summary: str | None) -> str:
    """The language a ticket summary was marked with (German when unmarked)."""
    text = summary or ""
    if len(text) >= 5 and text[0] == "[" and text[3] == "]" and text[1:3].isalpha():
        return normalise(text[1:3])
    return DEFAULT_LANGUAGE
