"""A synthetic DLDB-shaped export (locations + services) for tests and scale runs.

Everything is invented: the city "Beispielstadt", its districts, streets, names, phone
numbers and hours. Only the *shape* follows the public DLDB JSON export (see
``bot.importers.dldb``), so the importer can be tested without third-party data.
Deterministic for a given seed.

    python -m bot.importers.synthetic --out var/dldb --locations 500 --services 650
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

DISTRICTS = (
    "Nordheim",
    "Südfeld",
    "Westhafen",
    "Ostend",
    "Altstadt",
    "Lindenau",
    "Kastanienhof",
    "Seewinkel",
    "Bergheim",
    "Talbrück",
)
STREETS = (
    "Ahornweg",
    "Birkenallee",
    "Dorfanger",
    "Eichendamm",
    "Feldstraße",
    "Gartenring",
    "Hafenkai",
    "Kirchgasse",
    "Lerchenweg",
    "Marktplatz",
    "Mühlenstraße",
    "Parkallee",
    "Rosenplatz",
    "Schulstraße",
    "Uferweg",
    "Wiesengrund",
)
CITY = "Beispielstadt"
DOMAIN = "beispielstadt.example"
APPOINTMENT = "https://termine.beispielstadt.example/termin"

# Weekday hours in the export's style (all invented). "None" = nothing entered.
CERTAIN_DAYS = (
    "08:00-15:00 Uhr",
    "8.00 - 15.00 Uhr",
    "07:30 - 13:00 Uhr",
    "11:00-18:00 Uhr",
    "09:00 - 12:00 Uhr und 13:00 - 16:00 Uhr",
    "08:00-12:00 Uhr<br />\n14:00-18:00 Uhr",
    "7.30 - 15.00 nur mit Termin",
    "08:00 - 12:00 Uhr (nur mit Termin) und 13:00 - 18:00 Uhr",
    "09:00–12:00 Uhr",
    "keine Sprechzeit",
    "nach Vereinbarung",
)
UNCERTAIN_DAYS = (
    "08:00-12:00 Uhr (Annahmeschluss 11:30 Uhr)",
    "Servicestelle: 09:00 - 12:00 Uhr",
    "ab 14:00 Uhr",
)
OFFICE_TYPES = (
    ("standesamt", "Standesamt", "Standesämter"),
    ("jugendamt", "Jugendamt", "Jugendämter"),
    ("sozialamt", "Amt für Soziales", "Sozialämter"),
    ("ordnungsamt", "Ordnungsamt", "Ordnungsämter"),
    ("gesundheitsamt", "Gesundheitsamt", "Gesundheitsämter"),
    ("weitere", "Wohnungsamt", "Weitere"),
    ("weitere", "Umweltamt", "Weitere"),
    ("weitere", "Straßen- und Grünflächenamt", "Weitere"),
    ("weitere", "Bibliothek", "Bibliotheken"),
    ("weitere", "Volkshochschule", "Volkshochschulen"),
)
SUBUNITS = (
    "Beratungsstelle",
    "Servicestelle",
    "Fachdienst",
    "Sachgebiet",
    "Kontaktstelle",
)
SUBJECTS = (
    "Familien",
    "Senioren",
    "Gewerbe",
    "Wohngeld",
    "Unterhalt",
    "Pflege",
    "Schulen",
    "Kitas",
    "Vereine",
    "Veranstaltungen",
    "Hygiene",
    "Bauen",
    "Denkmalschutz",
    "Tierhaltung",
    "Sport",
)
CORE_SERVICES = (
    ("Personalausweis beantragen", "Personalausweis, Perso, Ausweis", "37,00 EUR"),
    ("Reisepass beantragen", "Reisepass, Pass", "70,00 EUR"),
    ("Anmeldung einer Wohnung", "Anmeldung, Wohnsitz anmelden, Umzug", "gebührenfrei"),
    ("Abmeldung einer Wohnung", "Abmeldung, Wegzug", "gebührenfrei"),
    ("Meldebescheinigung beantragen", "Meldebescheinigung, Meldebestätigung", "5,00 EUR"),
    ("Führungszeugnis beantragen", "Führungszeugnis", "13,00 EUR"),
    ("Kinderreisepass beantragen", "Kinderreisepass, Kinderpass", "13,00 EUR"),
    ("Beglaubigung von Dokumenten", "Beglaubigung, beglaubigte Kopie", "ab 2,00 EUR"),
)
DISTRICT_SERVICES = (
    ("Geburt beurkunden", "standesamt", "Geburtsurkunde, Geburt anzeigen"),
    ("Eheschließung anmelden", "standesamt", "Heiraten, Trauung, Hochzeit"),
    ("Sterbefall beurkunden", "standesamt", "Sterbeurkunde, Todesfall"),
    ("Elterngeld beantragen", "jugendamt", "Elterngeld, Elternzeit"),
    ("Kitagutschein beantragen", "jugendamt", "Kita-Gutschein, Kitaplatz"),
    ("Wohngeld beantragen", "sozialamt", "Wohngeld, Mietzuschuss"),
    ("Sozialhilfe beantragen", "sozialamt", "Sozialhilfe, Grundsicherung"),
    ("Gewerbe anmelden", "ordnungsamt", "Gewerbeanmeldung, Gewerbeschein"),
    ("Hund anmelden", "ordnungsamt", "Hundeanmeldung, Hundesteuer"),
    ("Impfberatung", "gesundheitsamt", "Impfung, Impfpass"),
)
GENERIC_TOPICS = (
    "Sondernutzung öffentlicher Straßenland",
    "Baumfällung",
    "Lärmschutz",
    "Parkausweis für Anwohner",
    "Sperrmüll",
    "Straßenfest",
    "Plakatierung",
    "Taubenfütterung",
    "Brunnen",
    "Kleingarten",
    "Spielplatz",
    "Wochenmarkt",
    "Feuerwerk",
    "Gaststätte",
    "Spielhalle",
    "Taxi",
    "Fahrrad",
    "Bootsliegeplatz",
    "Friedhof",
    "Jagdschein",
    "Fischereischein",
    "Waffenbesitz",
    "Schornstein",
    "Wasserzähler",
    "Grundstück",
    "Hausnummer",
    "Denkmal",
    "Solaranlage",
    "Zisterne",
    "Ladesäule",
)
ACTIONS = (
    "Genehmigung beantragen",
    "Erlaubnis verlängern",
    "Beratung",
    "Anzeige erstatten",
    "Auskunft erhalten",
    "Zuschuss beantragen",
    "Bescheinigung ausstellen",
    "Widerspruch einlegen",
)


def _hours(rng: random.Random, uncertain: bool, appointment_only: bool) -> dict[str, str]:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    out: dict[str, str] = {}
    if appointment_only:
        base = "08:00-15:00 Uhr (nur mit Termin)"
        out = {d: base for d in days}
        out["thursday"] = "11:00-18:00 Uhr (nur mit Termin)"
    else:
        for d in days:
            out[d] = rng.choice(CERTAIN_DAYS)
    if uncertain:
        out[rng.choice(days)] = rng.choice(UNCERTAIN_DAYS)
    out["saturday"] = "jeden 2. und 4. Samstag 09:00 - 13:00" if rng.random() < 0.1 else "false"
    out["sunday"] = "false"
    out["special"] = "" if rng.random() < 0.8 else "Bitte beachten Sie die Hinweise vor Ort.<br />"
    return out


def _location(
    rng: random.Random,
    lid: int,
    name: str,
    district_index: int | None,
    office_type: tuple[str, str, str],
    hours: dict[str, str],
) -> dict[str, Any]:
    if district_index is None:
        authority = {"id": "9000", "name": "Landesamt für Bürgerdienste"}
        plz = f"{19000 + lid % 90}"
    else:
        authority = {
            "id": str(9100 + district_index),
            "name": f"Bezirksamt {DISTRICTS[district_index]}",
        }
        plz = f"{10100 + district_index * 100 + lid % 50}"
    street = STREETS[lid % len(STREETS)]
    return {
        "id": str(lid),
        "name": name,
        "address": {
            "city": CITY,
            "postal_code": plz,
            "street": street,
            "house_number": str(1 + lid % 120),
            "hint": "false",
        },
        "office": office_type[0],
        "category": {"identifier": office_type[0], "name": office_type[2]},
        "authority": authority,
        "geo": {"lat": "52.0", "lon": "13.0"},
        "contact": {
            "phone": f"(0301) 555-{lid % 10000:04d}",
            "fax": "",
            "email": f"standort{lid}@{DOMAIN}",
            "webinfo": f"https://www.{DOMAIN}/standort/{lid}",
            "signed_mail": "0",
            "competence": "",
        },
        "opening_times": hours,
        "accessibility": {"access": rng.choice(["rollstuhlgerecht", "eingeschränkt", "false"])},
        "payment": rng.choice(
            ["Zahlung mit girocard möglich.", "Barzahlung und girocard.", "false"]
        ),
        "paymentcode": "0",
        "appointment": {"multiple": "0", "note": ""},
        "meta": {
            "keywords": "",
            "locale": "de",
            "lastupdate": "2026-11-01T10:00:00+01:00",
            "url": f"//www.{DOMAIN}/standort/{lid}/",
        },
        "transit": {"bus": "false"},
        "urgent": {"enddate": "", "note": "false"},
        "services": [],
    }


def generate(
    n_locations: int = 320, n_services: int = 520, seed: int = 14, reduced: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two export documents (locations, services)."""
    rng = random.Random(seed)
    locations: list[dict[str, Any]] = []
    buergeraemter: dict[int, list[str]] = {}
    by_type: dict[tuple[str, int], str] = {}
    lid = 100000
    bt = ("buergeramt", "Bürgeramt", "Bürgerämter")
    # Four Bürgerämter per district; the first of each district is appointment only.
    for di, district in enumerate(DISTRICTS):
        for k in range(4):
            lid += 1
            name = f"Bürgeramt {district} {STREETS[lid % len(STREETS)]}"
            hours = _hours(rng, uncertain=(k == 3 and di % 3 == 0), appointment_only=(k == 0))
            if k == 1:  # closed on Fridays, for the "closed on a day" answer
                hours["friday"] = "geschlossen"
            locations.append(_location(rng, lid, name, di, bt, hours))
            buergeraemter.setdefault(di, []).append(str(lid))
    kfz = ("kfz-zulassungsstelle", "Kfz-Zulassungsbehörde", "Kfz-Zulassungsstellen")
    for name in ("Kfz-Zulassungsbehörde Nord", "Kfz-Zulassungsbehörde Süd"):
        lid += 1
        locations.append(_location(rng, lid, name, None, kfz, _hours(rng, False, True)))
        by_type[("kfz", 0)] = str(lid)
    i = 0
    while len(locations) < n_locations:
        di = i % len(DISTRICTS)
        office_type = OFFICE_TYPES[(i // len(DISTRICTS)) % len(OFFICE_TYPES)]
        round_ = i // (len(DISTRICTS) * len(OFFICE_TYPES))
        lid += 1
        if round_ == 0:
            name = f"{office_type[1]} {DISTRICTS[di]}"
            by_type[(office_type[1], di)] = str(lid)
        else:
            sub = SUBUNITS[round_ % len(SUBUNITS)]
            subject = SUBJECTS[(round_ + i) % len(SUBJECTS)]
            name = f"{office_type[1]} {DISTRICTS[di]} – {sub} {subject} {round_}"
        hours = _hours(rng, uncertain=rng.random() < 0.15, appointment_only=False)
        if rng.random() < 0.05:
            hours = {"monday": "false", "special": ""}  # no hours in the data
        locations.append(_location(rng, lid, name, di, office_type, hours))
        i += 1

    services: list[dict[str, Any]] = []
    sid = 300000
    type_names = {t[0]: t[1] for t in OFFICE_TYPES}

    def add(name: str, keywords: str, fee: str, locs: list[str]) -> None:
        nonlocal sid
        sid += 1
        entry: dict[str, Any] = {
            "id": str(sid),
            "name": name,
            "meta": {
                "url": f"https://www.{DOMAIN}/dienstleistung/{sid}/",
                "locale": "de",
                "lastupdate": "2026-10-01T08:00:00+02:00",
            },
            "locations": [
                {"location": loc, "appointment": {"allowed": True, "external": False, "slots": "1"}}
                for loc in locs
            ],
        }
        if not reduced:
            entry["meta"]["keywords"] = keywords
            entry["fees"] = fee
            entry["requirements"] = [
                {"name": "gültiges Ausweisdokument", "description": "", "link": ""}
            ]
            if rng.random() < 0.3:
                entry["onlineprocessing"] = {
                    "description": "",
                    "link": f"https://online.{DOMAIN}/antrag/{sid}",
                }
        services.append(entry)

    all_ba = [loc for locs in buergeraemter.values() for loc in locs]
    for name, keywords, fee in CORE_SERVICES:
        add(name, keywords, fee, all_ba)
    add("Fahrzeug zulassen", "Kfz-Zulassung, Auto anmelden", "ab 26,30 EUR", [by_type[("kfz", 0)]])
    for name, type_id, keywords in DISTRICT_SERVICES:
        office_name = type_names[type_id]
        locs = [
            by_type[(office_name, di)]
            for di in range(len(DISTRICTS))
            if (office_name, di) in by_type
        ]
        add(name, keywords, "gebührenfrei", locs)
    n = 0
    while len(services) < n_services:
        topic = GENERIC_TOPICS[n % len(GENERIC_TOPICS)]
        action = ACTIONS[(n // len(GENERIC_TOPICS)) % len(ACTIONS)]
        round_ = n // (len(GENERIC_TOPICS) * len(ACTIONS))
        name = f"{topic} – {action}" + (f" ({round_ + 1})" if round_ else "")
        pool = [loc["id"] for loc in locations[40:]] or [loc["id"] for loc in locations]
        locs = rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 2, 10])))
        if n % 50 == 7:
            locs = []  # a service without a location: skipped and reported
        add(name, f"{topic}, {action.split()[0]}", rng.choice(["gebührenfrei", "25,00 EUR"]), locs)
        n += 1
    # Links also on the location side (as in the export).
    by_id = {loc["id"]: loc for loc in locations}
    for s in services:
        for ref in s["locations"]:
            by_id[ref["location"]]["services"].append(
                {
                    "service": s["id"],
                    "appointment": {
                        "allowed": True,
                        "external": False,
                        "slots": "1",
                        "link": f"{APPOINTMENT}?standort={ref['location']}&leistung={s['id']}",
                    },
                }
            )

    def wrap(data: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "created": "2026-11-01T10:00:00+01:00",
            "datacount": len(data),
            "locale": "de_DE",
            "hash": "synthetic",
            "error": False,
            "data": data,
        }

    return wrap(locations), wrap(services)


def write(out: Path, **kwargs: Any) -> tuple[Path, Path]:
    """Writes ``locations.json`` and ``services.json`` under ``out``."""
    locations, services = generate(**kwargs)
    out.mkdir(parents=True, exist_ok=True)
    lp, sp = out / "locations.json", out / "services.json"
    lp.write_text(json.dumps(locations, ensure_ascii=False, indent=1), encoding="utf-8")
    sp.write_text(json.dumps(services, ensure_ascii=False, indent=1), encoding="utf-8")
    return lp, sp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--locations", type=int, default=320)
    parser.add_argument("--services", type=int, default=520)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--reduced", action="store_true", help="services in the reduced form")
    args = parser.parse_args(argv)
    lp, sp = write(
        args.out,
        n_locations=args.locations,
        n_services=args.services,
        seed=args.seed,
        reduced=args.reduced,
    )
    print(f"wrote {lp} and {sp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
