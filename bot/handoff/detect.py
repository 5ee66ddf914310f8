"""Handoff reason for every citizen message: identifiers, own case, sensitive topics.

:func:`detect` decides whether a message must go to a human and why. It never answers,
stores or echoes what it found: :class:`Detection` carries only labels
(``triggers``) and character spans (``findings``), never the matched values.
:func:`find_identifiers` locates personal identifiers; :mod:`bot.handoff.redact` uses
it to replace them with placeholders.

Reasons, highest priority first (when several apply, the first one wins)::

    emergency > personal_data > sensitive_topic > case_specific > complain > request_human

* ``emergency``: danger to life or limb (``emergency=True``) or signs of a personal
  crisis such as suicidal thoughts (``crisis=True``).
* ``personal_data``: the message contains an identifier (:func:`find_identifiers`).
* ``sensitive_topic``: health, residence status/asylum, child welfare, social benefits
  of a person, violence or threats.
* ``case_specific``: the citizen's own application, notice, payment, objection or
  data-protection request.
* ``complain``: complaints about staff, decisions or the service.
* ``request_human``: the citizen asks for a person.

An NLU ``intent`` is a hint: ``ask_case_status`` adds case_specific, ``request_human``
and ``complain`` add their reason; a pattern with a higher priority still wins.

Decisions (documented, tested):

* The city's own published phone numbers (``+49 2101 100-...`` / ``02101 100-...``) and
  toll-free/service numbers (0800, 0180) are not personal data; any other phone number
  is. E-mail addresses of the city's domain (``@musterstadt.de``) are not personal data;
  any other address is. See :data:`PUBLIC_PHONE_PREFIXES`, :data:`PUBLIC_EMAIL_DOMAINS`.
* An IBAN needs a valid mod-97 checksum (python-stdnum) and a Steuer-ID a valid check
  digit (``stdnum.de.idnr``). A number with a wrong checksum is not an ``iban`` /
  ``tax_id`` finding, but when the citizen names it ("IBAN ...", "meine Steuer-ID ist
  ...") it is still a ``labelled_number`` finding, so a typo cannot carry it into a
  messenger. Without such a label it is ignored.
* A date is a birth date only next to "geb.", "geboren", "Geburtsdatum", "Geburtstag"
  or an asterisk; the capitalised name right before "geb." is a ``name`` finding. A
  birth date of a family member counts (it identifies a person).
* Addresses, street names, offices, rooms, opening hours, fees and other dates are not
  personal data. Names on their own are not detected.
* The assistant's own case references (``MS-7K4P-Q2XD``, :data:`TICKET_REFERENCE`) are
  not identifiers: the bot sends them through every channel so that a citizen can
  continue on the website. A message that quotes one is case-specific.
* Rasa command messages (``/intent{...}`` from buttons or the website's resume link)
  are written by the assistant, not the citizen: only identifiers and the intent count.
* General questions about a benefit, permit or procedure are routine; the same topic
  about the citizen's own situation is sensitive or case-specific.

All patterns are compiled once at import (no I/O); python-stdnum is imported on first
use because ``stdnum.iban`` reads its registry file when imported. Patterns start at
token boundaries and use bounded repetition only, so the work grows linearly with the
length of the text (a 100 KB message takes well under a second).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

REASONS: tuple[str, ...] = (
    "emergency",
    "personal_data",
    "sensitive_topic",
    "case_specific",
    "complain",
    "request_human",
)
"""Handoff reasons, highest priority first."""

INTENT_HINTS: dict[str, str] = {
    "ask_case_status": "case_specific",
    "request_human": "request_human",
    "complain": "complain",
}
"""NLU intents that imply a handoff reason."""

PUBLIC_PHONE_PREFIXES: tuple[str, ...] = ("02101100", "0800", "0180")
"""National-format digit prefixes of numbers that are never a citizen's own: the city's
exchange (+49 2101 100-...) and toll-free/service numbers."""

PUBLIC_EMAIL_DOMAINS: tuple[str, ...] = ("musterstadt.de",)
"""E-mail domains of the city administration (and their subdomains)."""

TICKET_REFERENCE = re.compile(r"(?i)MS-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}")
"""The assistant's own case references (``bot.handoff.tickets.new_reference``): a
pseudonymous handle the bot itself sends through every channel, so not an identifier."""

IDENTIFIER_KINDS: tuple[str, ...] = (
    "iban",
    "tax_id",
    "card_number",
    "email",
    "case_number",
    "labelled_number",
    "id_document",
    "birth_date",
    "name",
    "phone",
    "licence_plate",
)
"""Every ``Finding.kind`` that :func:`find_identifiers` produces."""

# Overlapping findings: validated kinds beat labelled ones, which beat heuristic ones.
_RANK = {
    "iban": 0,
    "tax_id": 0,
    "card_number": 0,
    "email": 0,
    "case_number": 1,
    "labelled_number": 1,
    "id_document": 1,
    "birth_date": 1,
    "name": 1,
    "phone": 2,
    "licence_plate": 2,
}


@dataclass(frozen=True)
class Finding:
    """An identifier's position in the text (never its value).

    Attributes:
        kind: one of :data:`IDENTIFIER_KINDS`, e.g. ``"iban"`` or ``"phone"``.
        start: index of the first character.
        end: index after the last character (``text[start:end]`` is the identifier).
    """

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Detection:
    """The handoff decision for one message.

    Attributes:
        reason: the highest-priority reason (:data:`REASONS`) or ``None`` for routine
            messages.
        triggers: non-sensitive labels of everything that matched, highest-priority
            reason first, e.g. ``("iban", "topic:social_benefits")`` — never a matched
            value.
        findings: identifier spans in the original text.
        emergency: danger to life or limb.
        crisis: signs of a personal crisis (suicidal thoughts).
    """

    reason: str | None
    triggers: tuple[str, ...]
    findings: tuple[Finding, ...]
    emergency: bool
    crisis: bool


# ---------------------------------------------------------------------------------------
# Identifiers (on the original text, so that spans can be redacted)
# ---------------------------------------------------------------------------------------

_SP = "[ \u00a0]"  # a space inside a number (also a no-break space)
_SEP = "[ \u00a0\\-/]"  # separators inside phone numbers

_IBAN_CANDIDATE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{2}}{_SP}?[0-9]{{2}}(?:{_SP}?[A-Za-z0-9]){{10,30}}"
)
_TAX_ID = re.compile(rf"(?<![0-9])(?<![0-9]{_SP})[1-9](?:{_SP}?[0-9]){{10}}(?![0-9])(?!{_SP}[0-9])")
_CARD = re.compile(rf"(?<![0-9])(?<![0-9]{_SP})[3-6](?:[ \u00a0-]?[0-9]){{12,18}}(?![0-9])")
_PHONE_INTL = re.compile(
    rf"(?<![\w+])(?<![0-9]{_SP})(?:\+|00){_SP}?[1-9][0-9]{{0,2}}(?:{_SP}?\(0\))?"
    rf"(?:{_SEP}{{0,3}}[0-9]){{5,13}}(?![0-9])"
)
_PHONE_NATIONAL = re.compile(
    rf"(?<![\w+\-/.,:])(?<![0-9]{_SP})(?:\(0[1-9][0-9]{{1,4}}\)|0[1-9][0-9]{{1,4}})"
    rf"(?:{_SEP}{{0,3}}[0-9]){{4,11}}(?![0-9])"
)
_PHONE_LABELLED = re.compile(
    r"(?i)(?<![a-zäöü])(?:tel(?:efon)?(?:nummer|nr)?|telefon-nr|handy(?:nummer|nr)?"
    r"|mobil(?:nummer|nr|funk)?|rufnummer|festnetz(?:nummer)?|whatsapp|meine nummer"
    r"|erreichbar unter|anrufen unter|zur(?:ü|ue)ckrufen unter)(?![a-zäöü])\.?"
    rf"{_SP}{{0,3}}(?:(?::|ist|lautet){_SP}{{1,3}}|:)?"
    rf"(?P<v>\+?[0-9](?:{_SEP}{{0,3}}[0-9]){{4,14}})(?![0-9])"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}"
    r"(?:@|[ \u00a0]?[(\[]at[)\]][ \u00a0]?)"
    r"(?P<domain>[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9\-])"
)

# "Aktenzeichen: 32-1/2024", "Kassenzeichen 5.200.123.456", "meine Steuer-ID ist ..."
_FILLER = (
    # "Aktenzeichen beim Bauamt: ..." (up to three words, then a colon)
    r"(?:(?:[ \u00a0][A-Za-zÄÖÜäöüß.\-]{1,20}){1,3}[ \u00a0]?:)?"
    r"(?:[ \u00a0]{0,3}(?:[:#=\-–]|(?:nr\.?|nummer|no\.?|ist|lautet|lautete|war|w(?:ä|ae)re)"
    r"(?![a-zäöü]))){0,3}[ \u00a0]{0,3}"
)
_VALUE = (
    r"(?P<v>[A-Za-z0-9][A-Za-z0-9./\-]{0,39}"
    r"(?:[ \u00a0](?:[0-9][0-9./\-]{0,19}|[A-Za-z](?=[ \u00a0][0-9]))){0,6})"
)
_CASE_NUMBER = re.compile(
    r"(?i)(?<![a-zäöü])(?:aktenzeichen|akten-zeichen|az|gz|gesch(?:ä|ae)ftszeichen"
    r"|kassenzeichen|kassen-zeichen|buchungszeichen|vorgangs-?(?:nummer|nr)|vorgangsnr"
    r"|antrags-?(?:nummer|nr)|kunden-?(?:nummer|nr)|bescheid-?(?:nummer|nr)"
    r"|referenz-?(?:nummer|nr)|fall-?(?:nummer|nr)|ticket-?(?:nummer|nr)|bg-?(?:nummer|nr)"
    r"|mitglieds-?(?:nummer|nr)|personenkennziffer)(?![a-zäöü])\.?" + _FILLER + _VALUE
)
# "Mein Vorgang hat die Nummer 2024-55512", "Antrag Nr. 4711"
_CASE_NUMBER_LOOSE = re.compile(
    r"(?i)(?<![a-zäöü])(?:vorgang|antrag|akte|bescheid|fall|verfahren)(?:e?s)?(?![a-zäöü])"
    r"[^.!?\n0-9]{0,25}?(?<![a-zäöü])(?:nummer|nr\.?)(?![a-zäöü])" + _FILLER + _VALUE
)
_LABELLED_NUMBER = re.compile(
    r"(?i)(?<![a-zäöü])(?:iban|steuer[- ]?id(?:nr)?|steuer-?identifikationsnummer"
    r"|steuerliche identifikationsnummer|identifikationsnummer|id-?nr|tin"
    r"|steuer-?(?:nummer|nr)|st\.?-?nr|konto-?(?:nummer|nr)|konto|bankverbindung"
    r"|sozialversicherungs-?(?:nummer|nr)|sv-?(?:nummer|nr)|rentenversicherungs-?nummer"
    r"|rv-?nummer|versicherungsnummer|versichertennummer|krankenversichertennummer"
    r"|personalnummer)(?![a-zäöü])\.?" + _FILLER + _VALUE
)
_ID_DOCUMENT = re.compile(
    r"(?i)(?<![a-zäöü])(?:(?:personal)?ausweis-?(?:nummer|nr)|ausweis (?:nummer|nr)|ausweisnr"
    r"|perso-?(?:nummer|nr)|(?:reise)?pass-?(?:nummer|nr)|passnr|dokumenten-?nummer"
    r"|seriennummer|f(?:ü|ue)hrerschein-?(?:nummer|nr)|aufenthaltstitel-?(?:nummer|nr))"
    r"(?![a-zäöü])\.?" + _FILLER + r"(?P<v>[A-Za-z0-9]{6,12})(?![A-Za-z0-9])"
)
# Document number of a German ID card or passport with its MRZ check digit (7-3-1).
_ID_DOCUMENT_CHECKED = re.compile(
    r"(?<![A-Za-z0-9])[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}[0-9](?![A-Za-z0-9])"
)


def _word_set(words: str) -> frozenset[str]:
    """A set from space-separated words (keeps long word lists compact)."""
    return frozenset(words.split())


_MONTHS = (
    r"januar|jan|februar|feb|m(?:ä|ae)rz|m(?:ä|ae)r|mrz|april|apr|mai|juni|jun|juli|jul"
    r"|august|aug|september|sept|sep|oktober|okt|november|nov|dezember|dez"
)
_DATE = re.compile(
    r"(?i)(?<![0-9.])(?:"
    r"(?P<d>[0-3]?[0-9])\.[ \u00a0]?(?P<m>[01]?[0-9])\.[ \u00a0]?(?P<y>(?:19|20)[0-9]{2}|[0-9]{2})"
    r"|(?P<d2>[0-3]?[0-9])\.?[ \u00a0]?(?P<mn>"
    + _MONTHS
    + r")\.?[ \u00a0](?P<y2>(?:19|20)[0-9]{2})"
    r"|(?P<y3>(?:19|20)[0-9]{2})-(?P<m3>[01][0-9])-(?P<d3>[0-3][0-9])"
    r"|(?P<d4>[0-3]?[0-9])/(?P<m4>[01]?[0-9])/(?P<y4>(?:19|20)[0-9]{2})"
    r")(?![0-9])"
)
_BIRTH_BEFORE = re.compile(
    r"(?i)(?<![a-zäöü])(?:geb\.?|geboren\w{0,2}|geburtsdatum|geburtstag|geb\.?-?datum"
    r"|date of birth|dob|born|personalien|(?:meine|pers(?:ö|oe)nliche) daten)(?![a-zäöü])"
    r"[^0-9]{0,30}$|\*[ \u00a0]?$"
)
_BIRTH_KEYWORD = re.compile(
    r"(?i)(?<![a-zäöü])(?:geb\.?|geboren\w{0,2}|geburtsdatum|geburtstag|geb\.?-?datum)"
    r"(?![a-zäöü])|\*"
)
_BIRTH_AFTER = re.compile(r"(?i)^[^0-9]{0,30}?(?<![a-zäöü])(?:geboren|zur welt gekommen)")
_NAME_WORD = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
_NAME_BEFORE = re.compile(
    rf"(?P<name>(?:{_NAME_WORD}[ \u00a0]){{0,3}}{_NAME_WORD})[ \u00a0]*[,(]?[ \u00a0]*$"
)
_NAME_STOPWORDS = _word_set(
    "hallo hi moin guten tag sehr geehrte geehrter liebe lieber mein meine meines "
    "meinem meinen ich wir unser unsere name herr frau dr prof sohn tochter kind mann "
    "ehemann ehefrau mutter vater der die das bitte danke und oder ist am an im vom "
    "bis ab geburtsdatum geburtstag geboren daten personalien hier"
)

_PLATE = re.compile(
    r"(?<![A-Za-zÄÖÜäöüß0-9\-])(?P<d>[A-Za-zÄÖÜäöü]{1,3})(?:-|[ \u00a0]|:)(?P<m>[A-Za-z]{1,2})"
    r"(?:-|[ \u00a0])?(?P<n>[1-9][0-9]{0,3})(?P<s>[EHeh])?(?![A-Za-zÄÖÜäöüß0-9])"
)
_PLATE_CONTEXT = re.compile(
    r"(?i)(?:kennzeichen|nummernschild|kfz|auto|pkw|fahrzeug|wagen|motorrad|lkw|strafzettel"
    r"|kn(?:ö|oe)llchen|abgeschleppt|zugelassen|geblitzt|parkt)"
)
_WEEKDAYS = frozenset({"MO", "DI", "MI", "DO", "FR", "SA", "SO"})
_PLATE_STOP_UPPER = frozenset({"DIN", "BAB", "SGB", "TEL", "FAX", "NR", "EUR", "PLZ", "UHR", "CA"})
_PLATE_STOP_LOWER = _word_set(
    "in an am im um ab zu bei bis der die das den dem des ein und von vom zum zur mit "
    "auf aus ist es er sie wir ihr ich du mo di mi do fr sa so nr tel ca uhr km nur "
    "vor mal"
)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if "0" <= ch <= "9")


def _iban_valid(candidate: str) -> bool:
    """Mod-97 and country format, via python-stdnum (imported on first use)."""
    from stdnum import iban

    try:
        return bool(iban.is_valid(candidate))
    except Exception:
        return False


def _tax_id_valid(candidate: str) -> bool:
    """Steuer-ID check digit and digit-frequency rule (``stdnum.de.idnr``)."""
    from stdnum.de import idnr

    try:
        return bool(idnr.is_valid(candidate))
    except Exception:
        return False


def _luhn_valid(candidate: str) -> bool:
    from stdnum import luhn

    try:
        return bool(luhn.is_valid(candidate))
    except Exception:
        return False


def _mod97_lengths(compact: str) -> list[int]:
    """Prefix lengths (15-34) whose mod-97 remainder is 1, longest first.

    A cheap incremental pre-check before asking stdnum: the country code and check
    digits move to the end, so the remainder of each longer prefix extends the last.
    """
    head = "".join(str(int(ch, 36)) for ch in compact[:4])
    lengths: list[int] = []
    remainder = 0
    for index in range(4, min(len(compact), 34)):
        for digit in str(int(compact[index], 36)):
            remainder = (remainder * 10 + ord(digit) - 48) % 97
        if index + 1 >= 15:
            value = remainder
            for digit in head:
                value = (value * 10 + ord(digit) - 48) % 97
            if value == 1:
                lengths.append(index + 1)
    return lengths[::-1]


def _find_ibans(text: str) -> list[Finding]:
    found: list[Finding] = []
    pos = 0
    while True:
        match = _IBAN_CANDIDATE.search(text, pos)
        if match is None:
            return found
        positions = [i for i in range(match.start(), match.end()) if text[i].isalnum()]
        compact = "".join(text[i] for i in positions).upper()
        end = None
        # The candidate may run into following words: take the longest valid prefix.
        for length in _mod97_lengths(compact):
            if _iban_valid(compact[:length]):
                end = positions[length - 1] + 1
                break
        if end is None:
            pos = match.start() + 1
        else:
            found.append(Finding("iban", match.start(), end))
            pos = end


def _find_tax_ids(text: str) -> list[Finding]:
    return [
        Finding("tax_id", m.start(), m.end())
        for m in _TAX_ID.finditer(text)
        if _tax_id_valid(_digits(m.group()))
    ]


def _find_cards(text: str) -> list[Finding]:
    return [
        Finding("card_number", m.start(), m.end())
        for m in _CARD.finditer(text)
        if 13 <= len(_digits(m.group())) <= 19 and _luhn_valid(_digits(m.group()))
    ]


def _national_digits(value: str) -> str:
    """A phone number's digits in national format (``+49 211 ...`` → ``0211...``)."""
    stripped = value.lstrip()
    digits = _digits(stripped.replace("(0)", ""))
    if stripped.startswith("+49"):
        return "0" + digits[2:]
    if stripped.startswith("0049"):
        return "0" + digits[4:]
    if stripped.startswith(("+", "00")):
        return "+" + digits  # foreign number: never one of the city's
    return digits


def is_public_phone(value: str) -> bool:
    """Whether a phone number is one of the city's published or a service number.

    Args:
        value: the number as written (any separators).

    Returns:
        True for the city's exchange (``+49 2101 100-...``) and toll-free/service
        numbers (:data:`PUBLIC_PHONE_PREFIXES`).
    """
    national = _national_digits(value)
    return national.startswith(PUBLIC_PHONE_PREFIXES)


def _find_phones(text: str) -> list[Finding]:
    found: list[Finding] = []
    for pattern, minimum in ((_PHONE_INTL, 8), (_PHONE_NATIONAL, 8)):
        for m in pattern.finditer(text):
            digits = _digits(m.group())
            if minimum <= len(digits) <= 15 and not is_public_phone(m.group()):
                found.append(Finding("phone", m.start(), m.end()))
    for m in _PHONE_LABELLED.finditer(text):
        value = m.group("v")
        if len(_digits(value)) >= 5 and not is_public_phone(value):
            found.append(Finding("phone", m.start("v"), m.end("v")))
    return found


def _find_emails(text: str) -> list[Finding]:
    found: list[Finding] = []
    for m in _EMAIL.finditer(text):
        domain = m.group("domain").lower()
        if any(domain == d or domain.endswith("." + d) for d in PUBLIC_EMAIL_DOMAINS):
            continue
        found.append(Finding("email", m.start(), m.end()))
    return found


def _labelled_value(match: re.Match[str], min_digits: int) -> tuple[int, int] | None:
    """The span of a keyword's value, trimmed of trailing punctuation."""
    start, end = match.start("v"), match.end("v")
    while end > start and match.string[end - 1] in "./-":
        end -= 1
    value = match.string[start:end]
    if len(value) < 3 or len(_digits(value)) < min_digits:
        return None
    return start, end


def _find_labelled(text: str) -> list[Finding]:
    found: list[Finding] = []
    for kind, pattern, min_digits in (
        ("case_number", _CASE_NUMBER, 2),
        ("case_number", _CASE_NUMBER_LOOSE, 3),
        ("labelled_number", _LABELLED_NUMBER, 5),
        ("id_document", _ID_DOCUMENT, 1),
    ):
        for m in pattern.finditer(text):
            span = _labelled_value(m, min_digits)
            if span is not None and not TICKET_REFERENCE.fullmatch(text[span[0] : span[1]]):
                found.append(Finding(kind, *span))
    return found


def _mrz_check_digit(value: str) -> int:
    weights = (7, 3, 1)
    return sum(int(ch, 36) * weights[i % 3] for i, ch in enumerate(value)) % 10


def _find_checked_documents(text: str) -> list[Finding]:
    found: list[Finding] = []
    for m in _ID_DOCUMENT_CHECKED.finditer(text):
        value = m.group()
        letters = sum(ch.isalpha() for ch in value)
        mixed = letters >= 1 and len(value) - letters >= 2
        if mixed and _mrz_check_digit(value[:9]) == int(value[9]):
            found.append(Finding("id_document", m.start(), m.end()))
    return found


def _plausible_date(match: re.Match[str]) -> bool:
    day = match.group("d") or match.group("d2") or match.group("d3") or match.group("d4")
    month = match.group("m") or match.group("m3") or match.group("m4")
    if not 1 <= int(day) <= 31:
        return False
    return month is None or 1 <= int(month) <= 12


def _find_birth_dates(text: str) -> list[Finding]:
    found: list[Finding] = []
    for m in _DATE.finditer(text):
        if not _plausible_date(m):
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        after = text[m.end() : m.end() + 40]
        if not (_BIRTH_BEFORE.search(before) or _BIRTH_AFTER.search(after)):
            continue
        found.append(Finding("birth_date", m.start(), m.end()))
        keywords = list(_BIRTH_KEYWORD.finditer(before))
        # "Max Mustermann, geb. 01.02.1980" or "meine Daten: Max Mustermann, 01.02.1980"
        name_end = m.start() - len(before) + keywords[-1].start() if keywords else m.start()
        name = _name_before(text, name_end)
        if name is not None:
            found.append(name)
    return found


def _name_before(text: str, end: int) -> Finding | None:
    """A capitalised name directly before "geb." ("Max Mustermann, geb. ...")."""
    window_start = max(0, end - 60)
    m = _NAME_BEFORE.search(text[window_start:end])
    if m is None:
        return None
    words = list(re.finditer(r"\S+", m.group("name")))
    while words and words[0].group().lower() in _NAME_STOPWORDS:
        words.pop(0)
    if not words:
        return None
    base = window_start + m.start("name")
    return Finding("name", base + words[0].start(), base + words[-1].end())


def _find_plates(text: str) -> list[Finding]:
    found: list[Finding] = []
    for m in _PLATE.finditer(text):
        district, middle = m.group("d"), m.group("m")
        upper = district.isupper() and middle.isupper()
        if upper:
            if (district in _WEEKDAYS and middle in _WEEKDAYS) or district in _PLATE_STOP_UPPER:
                continue
        else:
            if district.lower() in _PLATE_STOP_LOWER or middle.lower() in _PLATE_STOP_LOWER:
                continue
            if not _PLATE_CONTEXT.search(text[max(0, m.start() - 40) : m.start()]):
                continue
        found.append(Finding("licence_plate", m.start(), m.end()))
    return found


def _resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keeps the most trustworthy, then the longest, of overlapping findings."""
    starts: list[int] = []  # chosen spans, sorted and disjoint
    chosen: list[Finding] = []
    ordered = sorted(set(findings), key=lambda f: (_RANK[f.kind], f.start - f.end, f.start))
    for finding in ordered:
        index = bisect.bisect_right(starts, finding.start)
        if index > 0 and chosen[index - 1].end > finding.start:
            continue  # overlaps the chosen span that starts before it
        if index < len(chosen) and chosen[index].start < finding.end:
            continue  # overlaps the chosen span that starts after it
        starts.insert(index, finding.start)
        chosen.insert(index, finding)
    return chosen


def find_identifiers(text: str) -> list[Finding]:
    """Personal identifiers in a text, as non-overlapping spans in text order.

    Finds IBANs (mod-97 validated), Steuer-IDs (check digit), payment card numbers
    (Luhn), e-mail addresses, case/file numbers after a keyword (Aktenzeichen,
    Kassenzeichen, Vorgangs-/Antrags-/Kundennummer ...), other numbers named by the
    citizen (IBAN/Steuer-ID with a typo, Steuernummer, Sozialversicherungsnummer ...),
    ID card/passport/driving licence numbers, birth dates (with the name before
    "geb."), phone numbers and German licence plates. The city's own phone numbers and
    e-mail addresses are not findings.

    Args:
        text: any text (empty, huge, with control characters).

    Returns:
        Findings sorted by position; ``text[f.start:f.end]`` is the identifier.
    """
    if not text:
        return []
    findings: list[Finding] = []
    findings += _find_ibans(text)
    findings += _find_tax_ids(text)
    findings += _find_cards(text)
    findings += _find_emails(text)
    findings += _find_labelled(text)
    findings += _find_checked_documents(text)
    findings += _find_birth_dates(text)
    findings += _find_phones(text)
    findings += _find_plates(text)
    return _resolve_overlaps(findings)


# ---------------------------------------------------------------------------------------
# Reasons (on a normalised copy: case-folded, umlauts as ae/oe/ue, ß as ss, typos fixed)
# ---------------------------------------------------------------------------------------


def _rx(pattern: str) -> re.Pattern[str]:
    """Compiles a rule with bounded word repetition (``\\w*`` becomes ``\\w{0,40}``).

    Rules run on arbitrary input; unbounded ``\\w*`` inside one 100 KB "word" would make
    matching quadratic.
    """
    return re.compile(pattern.replace(r"\w*", r"\w{0,40}").replace(r"\w+", r"\w{1,40}"))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_CONTROL = _rx(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = _rx(r"\s+")
_TOKEN = _rx(r"[a-z]{6,30}")

# Words the rules depend on; a token one typo away (two for long words) is corrected.
_FUZZY_TERMS: tuple[str, ...] = tuple(
    sorted(
        _word_set(
            "sachbearbeiter sachbearbeiterin mitarbeiter mitarbeiterin ansprechpartner "
            "ansprechpartnerin menschen zurueckrufen weiterleiten durchstellen verbinden "
            "beschwerde beschweren beschwerden unfreundlich unhoeflich unverschaemt frechheit "
            "unverschaemtheit katastrophe widerspruch bescheid abholbereit "
            "rueckerstattung mahnung abschiebung abgeschoben duldung aufenthaltsstatus "
            "asylantrag grundsicherung buergergeld kindeswohl sorgerecht behinderung "
            "depression psychisch bewusstlos herzinfarkt schlaganfall gasgeruch selbstmord "
            "umbringen brauche verschickt respektlos veraergert"
        )
    )
)
_FUZZY_SET = frozenset(_FUZZY_TERMS)


def normalize(text: str) -> str:
    """Lower-case, ASCII-folded umlauts, no control characters, single spaces.

    Args:
        text: raw user text.

    Returns:
        The normalised text the reason rules run on.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_UMLAUTS)
    return _SPACES.sub(" ", _CONTROL.sub(" ", folded)).strip()


def _correct_typos(text: str) -> str:
    """Replaces tokens one edit (two for long words) away from a rule word."""
    corrections: dict[str, str] = {}
    for token in set(_TOKEN.findall(text)):
        if token in _FUZZY_SET:
            continue
        cutoff = 1 if len(token) < 12 else 2
        best = process.extractOne(token, _FUZZY_TERMS, scorer=OSA.distance, score_cutoff=cutoff)
        if best is not None and best[0][0] == token[0]:
            corrections[token] = best[0]
    if not corrections:
        return text
    return _TOKEN.sub(lambda m: corrections.get(m.group(), m.group()), text)


# Who a topic is about: the citizen ("ich bin", "mein ...") or someone close.
_SELF_STATE = (
    r"\b(?:ich bin|bin ich|ich war|ich habe|ich hab|habe ich|hab ich|ich leide|ich werde"
    r"|ich wurde|ich bekomme|ich krieg\w*|ich beziehe|ich lebe|wir sind|wir haben|wir bekommen"
    r"|bin seit|habe seit|hab seit|mir geht|mir gehts)\b"
)
_POSSESSIVE = (
    r"\b(?:mein|meine|meinem|meinen|meiner|meines|unser|unsere|unserem|unseren|unserer|unseres)\b"
)
_FAMILY = (
    r"\b(?:sohn|sohnes|tochter|kind|kinder|kindes|mann|ehemann|frau|ehefrau|partner\w*"
    r"|freund|freundin|ex|ex-\w+|mutter|vater|mama|papa|eltern|oma|opa|bruder|schwester"
    r"|enkel\w*|nachbar\w*|onkel|tante|schwager|schwaegerin|schwieger\w*|cousin\w*)\b"
)
_PERSON = _rx(f"{_SELF_STATE}|{_POSSESSIVE}|{_FAMILY}")
_PERSON_OR_I = _rx(f"{_SELF_STATE}|{_POSSESSIVE}|{_FAMILY}|\\b(?:ich|mir|mich|wir|uns)\\b")
_ANY_SELF = _rx(r"\b(?:ich|mir|mich|mein\w*|wir|uns|unser\w*|hab|habe)\b")

# --- emergency --------------------------------------------------------------------------
_FIRE_WORD = _rx(r"\bfeuer\b(?!-)|\bbrand\b(?!-)")
_FIRE_GUARD = _rx(
    r"\b(?:darf|duerfen|erlaubt|genehmigung\w*|erlaubnis|anmelden|machen|anzuenden|grillen"
    r"|lagerfeuer|feuerschale|osterfeuer)\b"
)
_LAMP_BEFORE = _rx(r"(?:laterne|licht|lampe|beleuchtung|kerze|ampel|sonne)\w*\W+(?:\w+\W+){0,4}$")
_EMERGENCY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "emergency:fire",
        _rx(r"\bbrennt\b(?! (?:nicht|kein|nur|dauer|die ganze|immer|tagsueber))"),
    ),
    (
        "emergency:fire",
        _rx(
            r"\b(?:in flammen|flammen schlagen|lichterloh|rauchentwicklung|verraucht|qualmt)\b"
            r"|\b(?:rauch|qualm)\b[^.!?]{0,30}\b(?:kommt|steigt|dringt|quillt|zieht)\b"
            r"|\b(?:kommt|steigt|dringt|quillt|zieht)\b[^.!?]{0,30}\b(?:rauch|qualm)\b"
            r"|\bbrandgeruch\b|\briecht (?:\w+ ){0,3}(?:verbrannt|nach rauch|brandig|nach feuer)\b"
        ),
    ),
    (
        "emergency:gas",
        _rx(
            r"\bgas(?:geruch|leck|austritt)\b|\b(?:riecht|stinkt)\b[^.!?]{0,40}\bnach gas\b"
            r"|\bgas (?:tritt|stroemt) aus\b"
        ),
    ),
    (
        "emergency:medical",
        _rx(
            r"\b(?:bewusstlos|ohnmaechtig|herzinfarkt|schlaganfall|herzstillstand|regungslos"
            r"|krampfanfall|ueberdosis|wiederbeleb\w*|reanimier\w*|notarzt|rettungswagen"
            r"|krankenwagen|lebensgefahr|lebensgefaehrlich\w*)\b"
            r"|\batmet (?:nicht|kaum)\b|\b(?:kriegt|bekommt|kriege|bekomme) keine luft\b"
            r"|\bnicht (?:mehr )?ansprechbar\b|\breagiert (?:nicht|kaum)\b"
            r"|\bwacht nicht (?:mehr )?auf\b"
            r"|\bbewegt sich nicht (?:mehr)?\b|\bblutet\b|\bblutung\b|\bvergiftet\b|\bvergiftung\b"
            r"|\b(?:tabletten|medikamente|gift|putzmittel|reiniger|rattengift)\b[^.!?]{0,30}"
            r"\b(?:geschluckt|gegessen|getrunken)\b"
            r"|\bschwer ?verletzt\w*\b|\beingeklemmt\b|\btaucht nicht (?:mehr )?auf\b"
            r"|\bertr(?:inkt|unken)\b"
            r"|\b(?:teich|see|fluss|kanal|wasser|bach|rhein|pool)\w*\b[^.!?]{0,30}\b(?:gefallen"
            r"|gestuerzt)\b"
            r"|\b(?:eis|eisflaeche)\b[^.!?]{0,20}\beingebrochen\b"
        ),
    ),
    (
        "emergency:attack",
        _rx(
            r"\b(?:wird|werde|werden)\b[^.!?]{0,40}\b(?:angegriffen|ueberfallen|verpruegelt"
            r"|zusammengeschlagen|niedergestochen|abgestochen)\b"
            r"|\b(?:schlaegt|pruegelt|tritt|sticht) (?:\w+ ){0,4}ein\b"
            r"|\bmit (?:einem |einer |nem |ner )?(?:messer|waffe|pistole|schusswaffe|axt|machete)\b"
            r"|\b(?:schlaegerei|pruegelei|messerstecherei|schiesserei|amoklauf|amok|geiselnahme"
            r"|schuesse)\b|\b(?:bedroht|angreift|angegriffen)\b[^.!?]{0,30}\b(?:gerade"
            r"|in diesem moment)\b"
            r"|\bgerade\b[^.!?]{0,30}\b(?:bedroht|angegriffen)\b"
            r"|\b(?:einbrecher|einbruch|eingebrochen|einbrechen)\b[^.!?]{0,40}\b(?:gerade|jetzt"
            r"|grad|noch da)\b"
            r"|\b(?:gerade|jetzt|grad)\b[^.!?]{0,40}\b(?:einbrecher|einbrechen|eingebrochen)\b"
        ),
    ),
    (
        "emergency:electricity",
        _rx(
            r"\b(?:strom(?:kabel|leitung)\w*|oberleitung\w*"
            r"|hochspannung\w*)\b[^.!?]{0,60}\b(?:haengt|haengen|liegt|liegen|runter|herunter"
            r"|abgerissen|gerissen|funken)\b|\b(?:haengt|liegt)\b[^.!?]{0,30}\bstrom(?:kabel"
            r"|leitung)"
        ),
    ),
)
_ACCIDENT = _rx(r"\b(?:unfall\w*|gekracht|zusammengestossen|zusammenstoss|gestuerzt|hingefallen)\b")
_INJURED = _rx(
    r"\b(?:verletzt\w*|verletzte\w*|blutet|blut|bewusstlos|tot|tote|toter|eingeklemmt"
    r"|bewegt sich nicht|kommt nicht (?:mehr )?hoch)\b"
    r"|\b(?:liegt|liegen)\b[^.!?]{0,25}\b(?:jemand|leute|menschen?|mann|frau|personen?|kind"
    r"|kinder|verletzte\w*)\b[^.!?]{0,25}\b(?:strasse|boden|gehweg|fahrbahn)\b"
    r"|\b(?:jemand|leute|menschen?|mann|frau|personen?|kind|kinder)\b[^.!?]{0,15}\b(?:liegt|liegen)"
    r"\b[^.!?]{0,20}\b(?:strasse|boden|gehweg|fahrbahn)\b"
)
_RUN_OVER = _rx(r"\b(?:angefahren|ueberfahren)\b")
_CRISIS = _rx(
    r"\bnicht mehr (?:leben|am leben sein|aufwachen)\b"
    r"|\b(?:will|moechte|moecht|wuerde|werde) (?:\w+ ){0,4}sterben\b|\bsterben (?:will|moechte)\b"
    r"|\b(?:mich|mir) (?:\w+ ){0,3}(?:umbringen|toeten|das leben nehmen|was antun|etwas antun"
    r"|was an tun)\b"
    r"|\b(?:suizid\w*|selbstmord\w*|freitod|lebensmuede|ausweglos)\b"
    r"|\bkein(?:en)? ausweg\b|\b(?:allem|alles) (?:ein )?ende (?:machen|setzen)\b"
    r"|\b(?:von (?:der|einer) bruecke|vor (?:den|einen) zug) (?:springen|werfen)\b"
    r"|\bkeinen sinn mehr (?:zu leben|im leben)\b|\bumbringen will\b"
    r"|\b(?:waere|waer|bin) (?:ich )?(?:\w+ ){0,2}(?:lieber )?tot\b|\blieber tot\b"
    r"|\b(?:wozu|warum|wofuer|weshalb) (?:\w+ ){0,2}(?:noch )?(?:weiter ?)?leben\b"
    r"|\bkeinen grund (?:mehr )?zu leben\b|\bleben (?:hat|macht) (?:\w+ )?keinen sinn\b"
    r"|\bpulsader\w*|\b(?:ritze|ritzt|ritzen) mich\b|\bmich (?:\w+ ){0,2}geritzt\b"
    r"|\bmich selbst (?:\w+ ){0,2}verletz\w*|\bselbstverletz\w*"
    r"|\b(?:tu|tue|tun) (?:\w+ ){0,2}mir (?:\w+ ){0,2}(?:was|etwas) an\b"
    r"|\bsich (?:\w+ ){0,2}(?:umbringen|das leben nehmen|was antun|etwas antun)\b"
)
# Self-harm in progress is a crisis and a danger to life at once.
_SELF_HARM_ACUTE = _rx(
    r"\b(?:bruecke|dach|hochhaus|fenster|gleis\w*|balkon)\b[^.!?]{0,40}\b(?:will|wollte|droht)\b"
    r"[^.!?]{0,20}\b(?:springen|runterspringen|herunterspringen)\b"
    r"|\bpulsader\w*\b[^.!?]{0,30}\b(?:aufgeschnitten|aufgeschlitzt|geschnitten)\b"
    r"|\b(?:alle|viele|zu viele|ganze packung|packung)\b[^.!?]{0,20}\b(?:tabletten"
    r"|schlaftabletten)\b"
    r"[^.!?]{0,20}\b(?:genommen|geschluckt)\b"
)

# --- sensitive topics ---------------------------------------------------------------------
_HEALTH = _rx(
    r"\b(?:krank|kranke|kranker|krankheit\w*|erkrankt\w*|erkrankung\w*|krankgeschrieben"
    r"|chronisch\w*|diagnose\w*|diagnostiziert|behinderung\w*|behindert\w*|schwerbehindert\w*"
    r"|gdb|pflegegrad\w*|pflegebeduerftig\w*|pflegefall|psychisch\w*|psychiatrie\w*"
    r"|depression\w*|depressiv\w*|angststoerung\w*|panikattacke\w*|therapie\w*|krebs\w*"
    r"|chemo\w*|dement\w*|demenz\w*|alzheimer|autis\w*|adhs|sucht\w*|suechtig|alkoholiker\w*"
    r"|drogenabhaengig\w*|schwanger\w*|hiv|aids|operation|op|reha|rollstuhl\w*|blind"
    r"|gehoerlos|taub)\b"
)
_BENEFITS_SRC = (
    r"\b(?:buergergeld\w*|hartz\w*|alg ?(?:1|2|i|ii)\b|arbeitslosengeld\w*|grundsicherung\w*"
    r"|sozialhilfe\w*|wohngeld\w*|kinderzuschlag\w*|unterhaltsvorschuss\w*|elterngeld\w*"
    r"|kindergeld\w*|asylbewerberleistung\w*|sozialleistung\w*|pflegegeld\w*|krankengeld\w*"
    r"|blindengeld\w*|bafoeg\w*|jobcenter)"
)
_BENEFITS = _rx(_BENEFITS_SRC)
_OWN_BENEFITS = _rx(_POSSESSIVE + r" (?:\w+ )?" + _BENEFITS_SRC)
_BENEFIT_SITUATION = _rx(
    r"\b(?:gekuerzt|gestrichen|eingestellt|abgelehnt|zurueckgefordert|rueckforderung\w*"
    r"|sanktion\w*|beantragt|reicht nicht|nicht (?:mehr )?(?:gezahlt|ueberwiesen|angekommen|da"
    r"|bekommen|erhalten)|kommt nicht|ist nicht da|noch nicht da|weniger|zu wenig)\b"
)
_BENEFIT_SELF = _rx(
    r"\b(?:ich|wir) (?:bekomme|bekommen|beziehe|beziehen|krieg\w*|lebe von|leben von)\b"
    r"|\bangewiesen\b"
)
_RESIDENCE = _rx(
    r"\b(?:duldung\w*|geduldet|abschieb\w*|abgeschoben|ausreisepflicht\w*|aufenthaltsstatus"
    r"|bleiberecht\w*|fiktionsbescheinigung\w*|aufenthaltsgestattung\w*|ohne papiere"
    r"|illegal hier)\b"
)
_ASYLUM = _rx(r"\b(?:asyl\w*|gefluechtet\w*|gefluechtete\w*|fluechtling\w*|geflohen)\b")
_PERMIT = _rx(
    r"\b(?:aufenthalts(?:titel|erlaubnis)\w*|niederlassungserlaubnis\w*|visum|blaue karte)\b"
)
_PERMIT_SITUATION = _rx(
    r"\b(?:abgelaufen|laeuft (?:\w+ ){0,3}ab|abgelehnt|entzogen|widerrufen|nicht verlaengert"
    r"|nicht rechtzeitig)\b"
)
_CHILD_STRONG = _rx(
    r"\b(?:kindeswohl\w*|kindeswohlgefaehrdung|inobhutnahme|in obhut genommen|kinderschutz"
    r"|vernachlaessig\w*|kindesmisshandlung\w*|misshandelt)\b"
)
_CHILD_PERSONAL = _rx(
    r"\b(?:sorgerecht\w*|umgangsrecht\w*|umgang mit (?:meinem|meiner|meinen|unserem|unserer"
    r"|unseren))\b"
)
_CHILD_TAKEN = _rx(
    r"\b(?:kind|kinder|sohn|tochter|baby)\b[^.!?]{0,40}\b(?:wegnehmen|weggenommen|wegzunehmen"
    r"|entziehen|entzogen)\b"
    r"|\b(?:wegnehmen|weggenommen|wegzunehmen)\b[^.!?]{0,20}\b(?:kind|kinder|sohn|tochter|baby)\b"
)
_VIOLENCE = _rx(
    r"\b(?:gewalt|gewalttaetig\w*|gewalttat\w*|haeusliche gewalt|geschlagen|zusammengeschlagen"
    r"|verpruegelt|schlaegt (?:mich|uns|sie|ihn|die kinder|mein\w*|unser\w*)|misshandelt"
    r"|bedroht|bedrohung\w*|stalk\w*|nachgestellt|vergewaltig\w*|missbrauch\w*|belaestigt"
    r"|belaestigung)\b"
)

# --- own case -----------------------------------------------------------------------------
_STATUS_WORDS = (
    r"(?:bearbeitet|fertig|abholbereit|vollstaendig|angekommen|eingegangen|erhalten|genehmigt"
    r"|bewilligt|abgelehnt|verlaengert|eingetragen|verschickt|versendet|bestaetigt|entschieden"
    r"|geprueft|verbucht|reserviert|registriert|ausgestellt|zugestellt|schon da"
    r"|schon durch|schon raus|noch nicht da|unterwegs|durch(?= ?[?!.]|$))"
)
_CASE_RULES: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    # (trigger, pattern, also required) — the second pattern must match somewhere too.
    (
        "keyword:widerspruch",
        _rx(r"\b(?:widerspruch|einspruch)\w*|\bwidersprechen\b|\bwiderspreche\b"),
        _ANY_SELF,
    ),
    (
        "keyword:bescheid",
        _rx(_POSSESSIVE + r" (?:\w+ )?\w*bescheid\w*"),
        None,
    ),
    (
        "keyword:bescheid",
        _rx(
            r"\b\w*bescheid\w*\b[^.!?]{0,60}\b(?:bekommen|erhalten|gekriegt|zugestellt|gegangen"
            r"|falsch|fehlerhaft|nicht korrekt|nie angekommen|nicht angekommen)\b"
            r"|\b(?:bekommen|erhalten|gekriegt)\b[^.!?]{0,20}\b\w*bescheid\b"
        ),
        _ANY_SELF,
    ),
    ("keyword:antrag", _rx(_POSSESSIVE + r" (?:\w+ )?\w*antrag\w*"), None),
    (
        "keyword:status",
        _rx(
            _POSSESSIVE
            + r" (?:\w+ ){1,5}?(?:schon|bereits|endlich|noch (?:nicht|immer nicht))? ?"
            + _STATUS_WORDS
            + r"\b"
        ),
        None,
    ),
    (
        "keyword:status",
        _rx(
            r"\bwo bleibt (?:mein|meine|meinen|unser\w*)\b"
            r"|\bwann (?:kommt|kommen|bekomme ich|krieg ich|kriege ich|kann ich|erhalte ich)"
            r" (?:\w+ )?(?:mein|meine|meinen|unser\w*)\b"
            r"|\b(?:bearbeitungsstand|sachstand|status meine\w*|stand meine\w*)\b"
            r"|\bwie (?:ist|sieht) (?:der stand|es aus)\b(?! (?:der|des|bei|mit|in)\b)"
            r"|\bwie siehts aus\b"
            r"|\bneuigkeiten (?:zu|bei|von) (?:mein|meine|meinem|meinen|unser\w*)\b"
            r"|\bwie weit ist (?:mein|meine|unser\w*)\b"
        ),
        None,
    ),
    (
        "keyword:status",
        _rx(
            r"\b(?:beantragt|eingereicht|abgegeben|abgeschickt|angemeldet)\b[^.!?]{0,60}"
            r"\b(?:stand|status|schon|wann|entscheidung|rueckmeldung|antwort|was ist damit)\b"
        ),
        _ANY_SELF,
    ),
    (
        "keyword:status",
        _rx(
            r"\bnoch (?:keine|nichts|nix|kein) (?:\w+ ){0,2}?(?:bestaetigung|antwort|rueckmeldung"
            r"|nachricht|post|bescheid|geld)\b|\bkeine (?:antwort|rueckmeldung)\b"
        ),
        _ANY_SELF,
    ),
    (
        "keyword:akte",
        _rx(
            _POSSESSIVE
            + r" (?:\w+ )?(?:akte|vorgang|verfahren|fall|unterlagen)\b[^.!?]{0,60}\b"
            + _STATUS_WORDS
            + r"\b"
        ),
        None,
    ),
    (
        "keyword:akte",
        _rx(_POSSESSIVE + r" (?:\w+ )?(?:akte|vorgang|verfahren)\b"),
        None,
    ),
    (
        "keyword:mahnung",
        _rx(r"\b(?:mahnung\w*|gemahnt|zahlungserinnerung\w*|vollstreckung\w*|pfaendung\w*)\b"),
        _ANY_SELF,
    ),
    (
        "keyword:zahlung",
        _rx(
            _POSSESSIVE
            + r" (?:\w+ )?(?:zahlung|ueberweisung|lastschrift|abbuchung|rate|raten|geld)\b"
        ),
        None,
    ),
    (
        "keyword:zahlung",
        _rx(
            r"\bich\b[^.!?]{0,40}\b(?:bezahlt|gezahlt|ueberwiesen)\b"
            r"|\b(?:mir|mich|mein\w*|uns|unser\w*)\b[^.!?]{0,40}\b(?:abgebucht|eingezogen"
            r"|abgezogen)\b"
            r"|\b(?:doppelt|zweimal|2x|2 mal|mehrfach|zu viel)\b[^.!?]{0,30}"
            r"\b(?:bezahlt|gezahlt|abgebucht|ueberwiesen|berechnet|eingezogen)\b"
        ),
        None,
    ),
    (
        "keyword:rueckerstattung",
        _rx(
            r"\b(?:rueckerstattung\w*|erstattung\w*|rueckzahlung\w*|zurueckerstatt\w*"
            r"|zurueckueberwiesen|geld zurueck)\b"
        ),
        _ANY_SELF,
    ),
    (
        "keyword:zahlung",
        _rx(r"\b(?:in raten|ratenzahlung\w*|stundung\w*|zahlungsaufschub)\b"),
        _ANY_SELF,
    ),
    (
        "keyword:verwarnung",
        _rx(
            r"\b(?:knoellchen|strafzettel|bussgeld\w*|verwarn\w*"
            r"|strafzahlung)\b[^.!?]{0,30}\b(?:bekommen|erhalten|gekriegt)\b"
        ),
        None,
    ),
    (
        "keyword:dsgvo",
        _rx(
            r"\b(?:dsgvo|ds-gvo|datenschutzgrundverordnung|datenschutz-grundverordnung|art\.? ?15"
            r"|artikel 15)\b"
        ),
        _ANY_SELF,
    ),
    (
        "keyword:dsgvo",
        _rx(
            r"\bdaten\b[^.!?]{0,40}\b(?:ueber mich|von mir|zu mir|ueber uns)\b"
            r"|\b(?:loesch\w*)\b[^.!?]{0,30}\b(?:meine|unsere)\b[^.!?]{0,10}\bdaten\b"
            r"|\b(?:meine|unsere) (?:\w+ )?daten\b[^.!?]{0,30}\b(?:loeschen|geloescht|einsehen"
            r"|gespeichert|auskunft)\b"
            r"|\bloesch\w*\b[^.!?]{0,30}\b(?:meinen|unseren|diesen) (?:chat|chatverlauf|verlauf"
            r"|gespraechsverlauf)\b"
            r"|\b(?:mein\w*|unser\w*|dies\w*) (?:chat|chatverlauf|verlauf|gespraechsverlauf"
            r"|unterhaltung|gespraech)\b[^.!?]{0,30}\bloesch\w*"
        ),
        None,
    ),
    (
        "keyword:status",
        _rx(
            r"\bwarte(?:n)? (?:\w+ ){0,5}auf (?:mein|meine|meinen|unser\w*)\b"
            r"|\bauf (?:mein|meine|meinen|unser\w*) (?:\w+ ){0,2}warten\b"
            r"|\b(?:schon|bereits) (?:abholen|abgeholt werden)\b"
            r"|\b(?:bekomme|krieg\w*|erhalte) ich (?:\w+ ){0,2}bescheid\b"
            r"|\bliegt (?:mein|meine|unser\w*)\b[^.!?]{0,30}\bvor\b"
            r"|\b(?:habt ihr|haben sie|hat (?:das|die|der|mein"
            r"|meine) \w+)\b[^.!?]{0,30}\b(?:mein\w*|unser\w*)\b"
            r"[^.!?]{0,30}\b(?:bekommen|erhalten|gekriegt|bearbeitet|gelesen)\b"
        ),
        None,
    ),
    (
        "keyword:zahlung",
        _rx(
            r"\b(?:saeumniszuschlag\w*|mahngebuehr\w*|nachzahlung\w*|zwangsgeld\w*)\b"
            r"|\bwarum (?:muss|soll) ich\b[^.!?]{0,40}\b(?:zahlen|bezahlen|nachzahlen)\b"
        ),
        _ANY_SELF,
    ),
    (
        "keyword:pruefen",
        _rx(
            r"\b(?:nachschauen|nachsehen|nachgucken|pruefen|checken)\b[^.!?]{0,20}\bob (?:mein"
            r"|meine|unser\w*)\b"
        ),
        None,
    ),
)

# --- complaints ---------------------------------------------------------------------------
_COMPLAIN = _rx(
    r"\b\w*beschwer(?:de|den|en|t|e)?\b|\b(?:unfreundlich\w*|unhoeflich\w*|unverschaemt\w*"
    r"|frechheit"
    r"|respektlos\w*|arrogant\w*|herablassend\w*|inkompetent\w*|unfaehig\w*|unmoeglich\w*|zumutung"
    r"|skandal\w*|katastroph(?:e|al|aler|ale)|saftladen|sauerei|abzocke|schikane|willkuer\w*"
    r"|ungerecht\w*|diskriminier\w*|rassistisch\w*|stinksauer|veraergert|genervt|enttaeuscht"
    r"|unzufrieden\w*|abgewimmelt|abgefertigt|angeschrien|angeschnauzt|angepampt"
    r"|schlecht behandelt|schlecht beraten|falsch beraten|verschlampt|schlamperei|kritik"
    r"|unverschaemtheit|unzumutbar|frech|patzig|pampig|schnippisch|ruppig|barsch|angemacht"
    r"|angemotzt|angeblafft|angebruellt|beleidigt"
    r"|complain\w*|complaint\w*|rude|unacceptable)\b|\bnicht (?:mehr )?zumutbar\b"
    r"|\bich bin (?:echt |total |so |richtig )?sauer\b"
    r"|\bdas (?:kann|darf) (?:doch )?(?:nicht|wohl nicht) wahr sein\b"
    r"|\bwarte\w* (?:\w+ ){0,3}seit (?:\d+|einer|zwei|drei|vier|fuenf|ueber \w+|mehr als \w+)"
    r" (?:minuten|stunden|wochen|monaten)\b"
    r"|\b(?:nie|niemand|keiner|kein mensch)\b[^.!?]{0,30}\b(?:erreichbar|zu erreichen|geht ran"
    r"|ans telefon|meldet sich|ruft zurueck)\b"
    r"|\b(?:aergert|nervt) mich\b|\b(?:echt|total|voll|voellig|ziemlich|komplett) daneben\b"
    r"|\bnicht (?:\w+ )?zufrieden\b|\bschlecht\w* (?:service|beratung|behandlung|organisation)\b"
    r"|\b(?:miserabel\w*|unterirdisch)\b|\bdas geht (?:gar|ueberhaupt) nicht\b"
    r"|\bzum (?:dritten|vierten|fuenften|x-ten|zigsten|wiederholten|\d+\.?) mal\b"
    r"|\bvon amt zu amt\b|\bhin und her geschickt\b|\b(?:niemand|keiner) (?:fuehlt sich"
    r"|ist) zustaendig\b"
)

# "Wo beschwere ich mich über Lärm vom Nachbarn?" reports a nuisance (a routine service),
# it is not a complaint about the administration.
_NUISANCE_COMPLAINT = _rx(
    r"\bbeschwer\w*\b[^.!?]{0,30}\b(?:laerm\w*|krach|nachbar\w*|gebell|bellende\w*|hund\w*"
    r"|party|partys|musik|ruhestoerung|falschparker\w*|geruch|gestank|tauben|ratten)"
)

# --- request for a person -----------------------------------------------------------------
_HUMAN = _rx(
    r"\b(?:mit|einen|einem|nem|nen|zu einem|echte\w*|richtige\w*|reale\w*|lebende\w*)"
    r" (?:\w+ )?mensch(?:en)?\b(?! mit)"
    r"|\bmensch(?:en)? ?(?:bitte|sprechen|reden|!)|\bmenschlich\w* (?:ansprechpartner\w*"
    r"|berater\w*|mitarbeiter\w*|kontakt)"
    r"|^\W*mensch\W*$|\bmensch statt\b"
    r"|\b(?:verbinden sie mich|verbinde mich|stellen sie mich|stell mich)\b|\bdurchstell\w*\b"
    r"|\bdurchgestellt\b"
    r"|\bmich\b[^.!?]{0,40}\b(?:weiter ?verbinden|verbinden|weiterleiten|uebergeben)\b"
    r"|\bweiterleiten\b|\bweitergeleitet werden\b|\bzurueckrufen\b|\brueckruf\b"
    r"|\bruft mich\b[^.!?]{0,20}\ban\b"
    r"|\bpersoenlich\w* (?:beratung|kontakt|gespraech|ansprechpartner\w*|sprechen|helfen)"
    r"|\bmit (?:herrn?|frau|dr\.?) [a-z][\w-]{0,40}\b[^.!?]{0,40}\b(?:sprechen|reden|telefonieren"
    r"|verbinden)\b"
    r"|\bjemand (?:echtes|echter|reales|lebendiges)\b"
    r"|^\W*(?:sachbearbeiter\w*|mitarbeiter\w*|berater\w*|ansprechpartner\w*|kundenservice)\W*$"
    r"|\b(?:real|human|actual|live) (?:person|human|agent|being)\b|\b(?:talk|speak) to (?:a|an"
    r"|someone|somebody)\b"
)
# "Nicht weiterleiten" declines; "Rede ich mit einem Menschen?" asks what the bot is.
_HUMAN_NEGATED = _rx(
    r"\b(?:nicht|nein|kein|keine|keinen)\b (?:\w+ ){0,2}(?:weiterleiten|weiterverbinden|verbinden"
    r"|durchstellen|zurueckrufen|rueckruf)\b"
)
_BOT_CHALLENGE = _rx(
    r"\b(?:rede|spreche|chatte|schreibe) ich (?:\w+ ){0,2}mit (?:einem|nem) (?:menschen|bot"
    r"|roboter)\b"
    r"|\bbist du (?:\w+ )?(?:ein |eine )?(?:mensch|bot|roboter|maschine|ki)\b"
    r"|^\W*(?:ein )?echte[rs]? mensch\W*\?\W*$|\bvon (?:einem|nem) menschen (?:gelesen"
    r"|beantwortet)\b"
)
_EXPLICIT_WISH = _rx(r"\b(?:bitte|moechte|will|haette gern\w*|verbinden|weiterleiten|sprechen)\b")
_STAFF = _rx(
    r"\b(?:sachbearbeiter\w*|mitarbeiter\w*|mitarbeitende\w*|berater\w*|ansprechpartner\w*"
    r"|ansprechperson\w*|kollege\w*|kollegin\w*|person|jemand\w*|chef\w*|vorgesetzte\w*"
    r"|zentrale|kundenservice|kundendienst|buergermeister\w*|amtsleit\w*|abteilungsleit\w*)\b"
)
_CONTACT = _rx(
    r"\b(?:sprechen|reden|telefonieren|chatten|schreiben|verbinden|verbunden|weiterleiten"
    r"|uebergeben|anrufen|kontakt|bitte|verlangen|erreichen|haette gern\w*|haette ich gern\w*"
    r"|moechte|will|brauch\w*|suche|hol|holen|hole|holt|chat|live-chat|kontaktieren)\b"
)
_LANGUAGE = _rx(
    r"\b(?:englisch|tuerkisch|arabisch|russisch|ukrainisch|polnisch|franzoesisch|spanisch"
    r"|italienisch|persisch|farsi|kurdisch|rumaenisch|gebaerdensprache|sprache\w*)\b"
)


def _near(
    text: str, topic: re.Pattern[str], person: re.Pattern[str], before: int, after: int
) -> bool:
    """Whether a topic term has a person marker within the given character window."""
    for m in topic.finditer(text):
        window = text[max(0, m.start() - before) : m.end() + after]
        if person.search(window):
            return True
    return False


def _emergency_triggers(text: str) -> list[str]:
    triggers: list[str] = []
    for label, pattern in _EMERGENCY_RULES:
        for m in pattern.finditer(text):
            if label == "emergency:fire" and _LAMP_BEFORE.search(
                text[max(0, m.start() - 60) : m.start()]
            ):
                continue
            triggers.append(label)
            break
    if _FIRE_WORD.search(text) and not _FIRE_GUARD.search(text):
        triggers.append("emergency:fire")
    if (_ACCIDENT.search(text) and _INJURED.search(text)) or (
        _RUN_OVER.search(text) and _PERSON_OR_I.search(text) is None and _INJURED.search(text)
    ):
        triggers.append("emergency:accident")
    return triggers


def _sensitive_triggers(text: str) -> list[str]:
    triggers: list[str] = []
    if _near(text, _HEALTH, _PERSON, 50, 30):
        triggers.append("topic:health")
    if _near(text, _RESIDENCE, _PERSON_OR_I, 60, 40) or (
        _near(text, _PERMIT, _PERSON_OR_I, 50, 50) and _PERMIT_SITUATION.search(text)
    ):
        triggers.append("topic:residence")
    if _near(text, _ASYLUM, _PERSON_OR_I, 60, 40):
        triggers.append("topic:asylum")
    if (
        _CHILD_STRONG.search(text)
        or _near(text, _CHILD_PERSONAL, _PERSON_OR_I, 50, 50)
        or _CHILD_TAKEN.search(text)
    ):
        triggers.append("topic:child_welfare")
    benefits = (
        _OWN_BENEFITS.search(text)
        or _near(text, _BENEFITS, _BENEFIT_SELF, 40, 10)
        or (_BENEFITS.search(text) and _BENEFIT_SITUATION.search(text) and _ANY_SELF.search(text))
    )
    if benefits:
        triggers.append("topic:social_benefits")
    if _near(text, _VIOLENCE, _PERSON_OR_I, 60, 40):
        triggers.append("topic:violence")
    return triggers


# "Wo stelle ich meinen Rentenantrag?" asks how, not about an existing application.
_HOW_TO = _rx(
    r"\b(?:wo|wie|wohin|bei wem|an wen|wann) (?:stelle|stell|beantrage|reiche|gebe|schicke|kann"
    r"|muss|sollte|soll) ich\b(?! (?:\w+ )?(?:mein\w* )?(?:\w+ )?(?:abholen|zurueck))"
)
_HOW_TO_SENSITIVE_LABELS = frozenset({"keyword:antrag", "keyword:bescheid"})


def _case_triggers(text: str) -> list[str]:
    triggers: list[str] = []
    how_to = _HOW_TO.search(text) is not None
    for label, pattern, required in _CASE_RULES:
        if label in triggers or (how_to and label in _HOW_TO_SENSITIVE_LABELS):
            continue
        if pattern.search(text) and (required is None or required.search(text)):
            triggers.append(label)
    return triggers


def _human_triggers(text: str) -> list[str]:
    text = _HUMAN_NEGATED.sub(" ", text)
    if _BOT_CHALLENGE.search(text) and not _EXPLICIT_WISH.search(text):
        return []
    if _HUMAN.search(text):
        return ["keyword:person"]
    if _STAFF.search(text) and _CONTACT.search(text) and not _LANGUAGE.search(text):
        return ["keyword:staff"]
    return []


# Rasa's "/intent{...}" messages (buttons, the website's resume link) are commands the
# assistant wrote itself, not the citizen's words: only identifiers and the intent count.
_COMMAND = re.compile(r"/[A-Za-z_][\w-]{0,60}(?:\{.{0,2000}\})?\s*", re.DOTALL)


def detect(text: str, intent: str | None = None) -> Detection:
    """The handoff reason for one message.

    Args:
        text: the citizen's message (any length or content).
        intent: the NLU intent, a hint (:data:`INTENT_HINTS`).

    Returns:
        The decision; ``reason`` is ``None`` for routine questions.
    """
    text = text or ""
    findings = tuple(find_identifiers(text))
    by_reason: dict[str, list[str]] = {reason: [] for reason in REASONS}
    by_reason["personal_data"] = [f.kind for f in findings]
    crisis = False
    emergency_labels: list[str] = []
    if not _COMMAND.fullmatch(text):
        norm = _correct_typos(normalize(text))
        crisis = bool(_CRISIS.search(norm))
        emergency_labels = _emergency_triggers(norm)
        if _SELF_HARM_ACUTE.search(norm):
            crisis = True
            emergency_labels.append("emergency:self_harm")
        by_reason["emergency"] = (["crisis"] if crisis else []) + emergency_labels
        by_reason["sensitive_topic"] = _sensitive_triggers(norm)
        by_reason["case_specific"] = _case_triggers(norm)
        if TICKET_REFERENCE.search(text):
            by_reason["case_specific"].append("keyword:reference")
        if _COMPLAIN.search(_NUISANCE_COMPLAINT.sub(" ", norm)):
            by_reason["complain"] = ["keyword:complaint"]
        by_reason["request_human"] = _human_triggers(norm)
    hinted = INTENT_HINTS.get(intent or "")
    if hinted is not None:
        by_reason[hinted].append(f"intent:{intent}")
    reason = next((r for r in REASONS if by_reason[r]), None)
    triggers: list[str] = []
    for r in REASONS:
        for label in by_reason[r]:
            if label not in triggers:
                triggers.append(label)
    return Detection(
        reason=reason,
        triggers=tuple(triggers),
        findings=findings,
        emergency=bool(emergency_labels),
        crisis=crisis,
    )


# ---------------------------------------------------------------------------------------
# Evaluation on a labelled set
# ---------------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int, empty: float) -> float:
    return numerator / denominator if denominator else empty


def evaluate(samples: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Recall and precision of :func:`detect` on labelled messages.

    Args:
        samples: mappings with ``text``, ``reason`` (a reason or ``None``) and optionally
            ``intent``.

    Returns:
        ``{"size", "per_reason": {reason: {"support", "predicted", "tp", "recall",
        "precision"}}, "overall": {...}, "confusion": {"gold->predicted": n},
        "errors": [{"index", "gold", "predicted"}]}``. "overall" treats every reason as
        "handoff" against ``None``. Precision without predictions and recall without
        support are 1.0. Errors carry indexes and labels only, never the texts (they may
        hold personal data).
    """
    labels: list[str | None] = [*REASONS, None]
    pairs: list[tuple[str | None, str | None]] = []
    for sample in samples:
        gold = sample.get("reason")
        predicted = detect(str(sample.get("text") or ""), sample.get("intent")).reason
        pairs.append((gold, predicted))

    per_reason: dict[str, dict[str, float | int]] = {}
    for reason in REASONS:
        support = sum(1 for g, _ in pairs if g == reason)
        predicted_n = sum(1 for _, p in pairs if p == reason)
        tp = sum(1 for g, p in pairs if g == reason and p == reason)
        per_reason[reason] = {
            "support": support,
            "predicted": predicted_n,
            "tp": tp,
            "recall": _ratio(tp, support, 1.0),
            "precision": _ratio(tp, predicted_n, 1.0),
        }
    gold_any = sum(1 for g, _ in pairs if g is not None)
    pred_any = sum(1 for _, p in pairs if p is not None)
    tp_any = sum(1 for g, p in pairs if g is not None and p is not None)
    confusion: dict[str, int] = {}
    for gold_label in labels:
        for pred_label in labels:
            count = sum(1 for g, p in pairs if g == gold_label and p == pred_label)
            if count:
                confusion[f"{gold_label}->{pred_label}"] = count
    return {
        "size": len(pairs),
        "per_reason": per_reason,
        "overall": {
            "support": gold_any,
            "predicted": pred_any,
            "tp": tp_any,
            "recall": _ratio(tp_any, gold_any, 1.0),
            "precision": _ratio(tp_any, pred_any, 1.0),
            "negatives": len(pairs) - gold_any,
            "exact_accuracy": _ratio(sum(1 for g, p in pairs if g == p), len(pairs), 1.0),
        },
        "confusion": confusion,
        "errors": [
            {"index": i, "gold": g, "predicted": p} for i, (g, p) in enumerate(pairs) if g != p
        ],
    }


def format_report(metrics: Mapping[str, Any]) -> str:
    """A plain-text table of :func:`evaluate`'s result (for test output and docs).

    Args:
        metrics: the dictionary returned by :func:`evaluate`.

    Returns:
        One line per reason plus the overall handoff line.
    """
    lines = [f"{'reason':<16}{'support':>8}{'pred':>6}{'tp':>5}{'recall':>8}{'precision':>10}"]
    rows = [*metrics["per_reason"].items(), ("ANY HANDOFF", metrics["overall"])]
    for name, row in rows:
        lines.append(
            f"{name:<16}{row['support']:>8}{row['predicted']:>6}{row['tp']:>5}"
            f"{row['recall']:>8.3f}{row['precision']:>10.3f}"
        )
    overall = metrics["overall"]
    lines.append(
        f"size {metrics['size']}, negatives {overall['negatives']}, "
        f"exact-label accuracy {overall['exact_accuracy']:.3f}"
    )
    return "\n".join(lines)
