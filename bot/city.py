"""The city profile: everything city-specific that is not an office or a service.

``KNOWLEDGE_DIR/city.yml`` holds the city's name, the state for public holidays, the time
zone, the general contact (office, phone, e-mail, website, the data protection officer's
e-mail), the contact for road closures (``road_closures``: office, phone, website; named
when the closures feed is unavailable), the city's public phone
prefixes and e-mail domains (numbers and addresses that are never a citizen's personal
data), the prefix of case references, the appointment and website base URLs, and the city's
emergency social service (``social_emergency``: name, phone, hours), named at once when
a citizen writes about an urgent social need. A
second city is a second knowledge directory; ``python -m bot.cli import`` writes one.

Without a ``city.yml`` the name, state and time zone come from ``offices.yml``, so older
knowledge directories keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot import schema

CITY_SCHEMA: dict[str, Any] = schema.record(
    ["name", "state"],
    {
        "name": schema.text(2),
        "state": schema.STATE,
        "timezone": schema.TEXT,
        "contact": schema.record(
            [],
            {
                "office": schema.TEXT,
                "address": schema.TEXT,
                "phone": schema.TEXT,
                "email": schema.EMAIL,
                "website": schema.URL,
                "data_protection_email": schema.EMAIL,
            },
        ),
        "road_closures": schema.record(
            [],
            {
                "office": schema.TEXT,
                "phone": schema.TEXT,
                "website": schema.URL,
            },
        ),
        "public_phone_prefixes": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "public_email_domains": {"type": "array", "items": schema.text(3)},
        "case_reference_prefix": {"type": "string", "pattern": "^[A-Z]{0,4}$"},
        "appointment_base_url": schema.URL_OR_EMPTY,
        "website_base_url": schema.URL_OR_EMPTY,
        "social_emergency": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "phone"],
            "properties": {
                "name": schema.text(2),
                "phone": schema.text(3),
                "hours": schema.TEXT,
            },
        },
    },
)


@dataclass(frozen=True)
class City:
    """The profile of one city (see the module docstring)."""

    name: str
    state: str
    timezone: str = "Europe/Berlin"
    contact_office: str = ""
    contact_address: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_website: str = ""
    data_protection_email: str = ""
    road_closures_office: str = ""
    road_closures_phone: str = ""
    road_closures_website: str = ""
    public_phone_prefixes: tuple[str, ...] = ()
    public_email_domains: tuple[str, ...] = ()
    case_reference_prefix: str = ""
    appointment_base_url: str = ""
    website_base_url: str = ""
    social_emergency_name: str = ""
    social_emergency_phone: str = ""
    social_emergency_hours: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def slots(self) -> dict[str, str]:
        """The values domain responses use (``{city}``, ``{city_phone}``, …).

        The road-closure contact falls back to the general contact, so a profile written
        by the import (which knows no traffic office) still gives a complete sentence.
        """
        office = self.contact_office or "Bürgerservice"
        website = self.contact_website or self.website_base_url
        return {
            "city": self.name,
            "city_office": office,
            "city_phone": self.contact_phone,
            "city_email": self.contact_email,
            "city_website": website,
            "city_traffic_office": self.road_closures_office or office,
            "city_traffic_phone": self.road_closures_phone or self.contact_phone,
            "city_traffic_website": self.road_closures_website or website,
        }


CITY_SLOTS: tuple[str, ...] = (
    "city",
    "city_office",
    "city_phone",
    "city_email",
    "city_website",
    "city_traffic_office",
    "city_traffic_phone",
    "city_traffic_website",
)
"""The slots of ``domain/city.yml``, in the order of :meth:`City.slots`."""


class CityError(ValueError):
    """``city.yml`` is invalid; the message names the problem."""


def validate_city(directory: Path) -> list[str]:
    """Problems of ``city.yml`` (none when the file is absent or valid)."""
    path = directory / "city.yml"
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [f"city.yml: not valid YAML: {exc}"]
    validator = jsonschema.Draft7Validator(CITY_SCHEMA)
    return [
        f"city.yml: {'/'.join(str(p) for p in e.path) or '(top level)'}: {e.message}"
        for e in validator.iter_errors(raw)
    ]


def load_city(directory: Path) -> City:
    """The profile from ``city.yml``, or from ``offices.yml`` when there is none.

    Raises:
        CityError: the file is invalid.
    """
    path = directory / "city.yml"
    if not path.exists():
        offices = yaml.safe_load((directory / "offices.yml").read_text(encoding="utf-8")) or {}
        return City(
            name=str(offices.get("city") or "Stadt"),
            state=str(offices.get("state") or "NW"),
            timezone=str(offices.get("timezone") or "Europe/Berlin"),
        )
    problems = validate_city(directory)
    if problems:
        raise CityError("; ".join(problems))
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    contact = raw.get("contact") or {}
    social = raw.get("social_emergency") or {}
    closures = raw.get("road_closures") or {}
    return City(
        name=raw["name"],
        state=raw["state"],
        timezone=raw.get("timezone") or "Europe/Berlin",
        contact_office=contact.get("office", ""),
        contact_address=contact.get("address", ""),
        contact_phone=contact.get("phone", ""),
        contact_email=contact.get("email", ""),
        contact_website=contact.get("website", ""),
        data_protection_email=contact.get("data_protection_email", ""),
        road_closures_office=closures.get("office", ""),
        road_closures_phone=closures.get("phone", ""),
        road_closures_website=closures.get("website", ""),
        public_phone_prefixes=tuple(raw.get("public_phone_prefixes") or ()),
        public_email_domains=tuple(raw.get("public_email_domains") or ()),
        case_reference_prefix=raw.get("case_reference_prefix") or "",
        appointment_base_url=raw.get("appointment_base_url") or "",
        website_base_url=raw.get("website_base_url") or "",
        social_emergency_name=social.get("name", ""),
        social_emergency_phone=social.get("phone", ""),
        social_emergency_hours=social.get("hours", ""),
    )


@lru_cache(maxsize=8)
def _cached(directory: str, mtime: float) -> City:
    return load_city(Path(directory))


def city_of(directory: Path) -> City:
    """:func:`load_city`, cached until ``city.yml`` changes."""
    path = directory / "city.yml"
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _cached(str(directory), mtime)
