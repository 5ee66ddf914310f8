"""Identifier finders: personal identifiers located in the original text (spans only).

Validated kinds (IBAN mod-97, Steuer-ID check digit, Luhn, e-mail) beat labelled ones
("Aktenzeichen: ..."), which beat heuristic ones (phone numbers, licence plates). The
city's public phone prefixes and e-mail domains come from its profile
(``KNOWLEDGE_DIR/city.yml``, :mod:`bot.city`); the national service numbers (0800, 0180)
and the stop-word lists from ``data/knowledge/handoff_detection.yml`` (:mod:`.rules`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from bot.handoff.detect.model import _RANK, Finding
from bot.handoff.detect.rules import rules
from bot.handoff.reference import reference_pattern

_WORDS = rules().words


def _city() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The running city's public phone prefixes and e-mail domains (``city.yml``)."""
    from bot import runtime  # the process's city; imported late (runtime imports handoff)

    profile = runtime.city()
    return profile.public_phone_prefixes, profile.public_email_domains


def public_phone_prefixes() -> tuple[str, ...]:
    """National-format digit prefixes of numbers that are never a citizen's own: the
    city's exchange (``city.yml``: ``public_phone_prefixes``) and the national
    toll-free/service numbers (``handoff_detection.yml``)."""
    return _city()[0] + _WORDS["public_phone_prefixes"]


def public_email_domains() -> tuple[str, ...]:
    """E-mail domains of the city administration and their subdomains (``city.yml``:
    ``public_email_domains``, plus any listed in ``handoff_detection.yml``)."""
    return _city()[1] + _WORDS["public_email_domains"]


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
_NAME_STOPWORDS = frozenset(_WORDS["name_stopwords"])

_PLATE = re.compile(
    r"(?<![A-Za-zÄÖÜäöüß0-9\-])(?P<d>[A-Za-zÄÖÜäöü]{1,3})(?:-|[ \u00a0]|:)(?P<m>[A-Za-z]{1,2})"
    r"(?:-|[ \u00a0])?(?P<n>[1-9][0-9]{0,3})(?P<s>[EHeh])?(?![A-Za-zÄÖÜäöüß0-9])"
)
_PLATE_CONTEXT = re.compile(
    r"(?i)(?:kennzeichen|nummernschild|kfz|auto|pkw|fahrzeug|wagen|motorrad|lkw|strafzettel"
    r"|kn(?:ö|oe)llchen|abgeschleppt|zugelassen|geblitzt|parkt)"
)
_WEEKDAYS = frozenset({"MO", "DI", "MI", "DO", "FR", "SA", "SO"})
_PLATE_STOP_UPPER = frozenset(_WORDS["plate_stopwords_upper"])
_PLATE_STOP_LOWER = frozenset(_WORDS["plate_stopwords_lower"])


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
        True for the city's own numbers and toll-free/service numbers
        (:func:`public_phone_prefixes`).
    """
    national = _national_digits(value)
    return national.startswith(public_phone_prefixes())


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
    public = public_email_domains()
    for m in _EMAIL.finditer(text):
        domain = m.group("domain").lower()
        if any(domain == d or domain.endswith("." + d) for d in public):
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
            if span is not None and not reference_pattern().fullmatch(text[span[0] : span[1]]):
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
