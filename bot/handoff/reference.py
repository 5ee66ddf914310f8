"""Case references: ``<prefix>-7K4P-Q2XD``, the prefix from the city profile.

A citizen reads the reference out on the phone and types it into the website; staff
search the inbox by it; the handoff detector treats it as the assistant's own handle,
not as personal data. The prefix is ``case_reference_prefix`` of ``KNOWLEDGE_DIR/city.yml``
(``MS`` for the demo city, two letters of the city's name after an import); a city
without one gets references without a prefix (``7K4P-Q2XD``). Eight characters from an
alphabet without 0/O and 1/I: 32⁸ ≈ 10¹² references, never guessed, easy to dictate.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_CHAR = "[A-HJ-NP-Z2-9]"


def city_prefix() -> str:
    """``case_reference_prefix`` of the running city's profile ("" when it has none)."""
    from bot import runtime  # the process's city; imported late (runtime imports tickets)

    return runtime.city().case_reference_prefix


def new_reference(prefix: str | None = None) -> str:
    """A new reference, ``MS-7K4P-Q2XD`` (``prefix`` default: the city profile's)."""
    prefix = city_prefix() if prefix is None else prefix
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    body = f"{chars[:4]}-{chars[4:]}"
    return f"{prefix}-{body}" if prefix else body


@lru_cache(maxsize=16)
def _pattern(prefix: str, strict: bool) -> re.Pattern[str]:
    head = f"{re.escape(prefix)}-" if prefix else ""
    char = _CHAR if strict else "[A-Z0-9]"
    return re.compile(f"(?i){head}{char}{{4}}-{char}{{4}}")


def reference_pattern(prefix: str | None = None, *, strict: bool = True) -> re.Pattern[str]:
    """The references of ``prefix`` (default: the city profile's), case-insensitive.

    Use ``search`` to find one in a message and ``fullmatch`` to check a typed one.
    ``strict=False`` also accepts 0/O and 1/I (what staff type from a printout).
    """
    return _pattern(city_prefix() if prefix is None else prefix, strict)


def compact_reference(text: str, prefix: str | None = None) -> str:
    """A reference as typed or read out ("ms 7k4p q2xd", "MS7K4PQ2XD") in its stored
    form ("MS-7K4P-Q2XD", or its beginning); "" when the text does not look like one."""
    prefix = (city_prefix() if prefix is None else prefix).upper()
    compact = re.sub(r"[\s\-]", "", text.upper())
    if not re.fullmatch(f"{re.escape(prefix)}[A-Z0-9]{{2,8}}", compact):
        return ""
    rest = compact[len(prefix) :]
    return "-".join(p for p in (prefix, rest[:4], rest[4:]) if p)
