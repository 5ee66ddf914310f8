"""Queries on closures: status, ordering, periods, districts, street matching, wording."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.knowledge.closures import (
    Closure,
    current_and_upcoming,
    format_period,
    in_district,
    in_period,
    local_tz,
    match_street,
    normalize_street,
    on_street,
    parse_feed,
    parse_viz_geojson,
    severity_rank,
    status,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "knowledge" / "closures-demo.geojson"
BERLIN = ROOT / "tests" / "data" / "berlin_viz_baustellen_sperrungen_2023.json"


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=local_tz())


NOW = berlin(2026, 11, 23, 10, 0)  # a Monday


@pytest.fixture(scope="module")
def demo() -> list[Closure]:
    return parse_feed(DEMO.read_bytes()).closures


@pytest.fixture(scope="module")
def demo_streets(demo: list[Closure]) -> list[str]:
    return [c.street for c in demo]


@pytest.fixture(scope="module")
def berlin_closures() -> list[Closure]:
    return parse_viz_geojson(BERLIN.read_bytes()).closures


@pytest.fixture(scope="module")
def berlin_streets(berlin_closures: list[Closure]) -> list[str]:
    return [c.street for c in berlin_closures]


def ids(closures: list[Closure]) -> list[str]:
    return [c.id for c in closures]


def make(**fields: object) -> Closure:
    base = Closure(
        id="x",
        street="Teststraße",
        district=None,
        section=None,
        kind="Baustelle",
        severity=None,
        direction=None,
        valid_from=None,
        valid_to=None,
        description=None,
        source="viz",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- status


def test_status_boundaries_are_inclusive() -> None:
    c = make(valid_from=berlin(2027, 1, 5, 7, 0), valid_to=berlin(2027, 1, 6, 17, 0))
    assert status(c, berlin(2027, 1, 5, 6, 59)) == "upcoming"
    assert status(c, berlin(2027, 1, 5, 7, 0)) == "active"
    assert status(c, berlin(2027, 1, 6, 17, 0)) == "active"
    assert status(c, berlin(2027, 1, 6, 17, 0) + timedelta(seconds=1)) == "ended"
    # the same instant in another zone
    assert status(c, datetime.fromisoformat("2027-01-05T06:00:00+00:00")) == "active"


def test_status_open_bounds() -> None:
    assert status(make(), NOW) == "active"
    assert status(make(valid_to=berlin(2026, 1, 1, 0, 0)), NOW) == "ended"
    assert status(make(valid_from=berlin(2027, 1, 1, 0, 0)), NOW) == "upcoming"


def test_naive_now_is_rejected(demo: list[Closure]) -> None:
    with pytest.raises(ValueError):
        status(demo[0], datetime(2026, 11, 23, 10, 0))
    with pytest.raises(ValueError):
        current_and_upcoming(demo, datetime(2026, 11, 23, 10, 0))


def test_berlin_statuses_at_snapshot_time(berlin_closures: list[Closure]) -> None:
    now = berlin(2023, 2, 6, 10, 0)
    counts = Counter(status(c, now) for c in berlin_closures)
    assert counts == {"active": 226, "upcoming": 1}
    assert [c.id for c in berlin_closures if status(c, now) == "upcoming"] == [
        "AdbNO_r_AdbNO_5651_AdB-NO"
    ]
    later = berlin(2023, 6, 1, 12, 0)
    assert Counter(status(c, later) for c in berlin_closures)["ended"] > 100


# --------------------------------------------------------------------------- ordering


def test_severity_rank() -> None:
    assert severity_rank("Vollsperrung") == 3
    assert severity_rank("Fahrtrichtungssperrung") == severity_rank("halbseitig") == 2
    assert severity_rank("Fahrstreifensperrung") == severity_rank("Fahrbahnverengung") == 1
    assert severity_rank("keine Sperrung") == severity_rank(None) == 0


def test_current_and_upcoming_excludes_ended_most_severe_first(demo: list[Closure]) -> None:
    assert ids(current_and_upcoming(demo, NOW)) == [
        # Vollsperrung, by start
        "9001",
        "9004",
        "9006",
        "9010",
        "9012",
        # Fahrtrichtungssperrung
        "9002",
        "9008",
        # keine Sperrung / none, by start
        "9005",
        "9007",
        "9003",
        "9011",
    ]


def test_current_and_upcoming_later(demo: list[Closure]) -> None:
    assert ids(current_and_upcoming(demo, berlin(2027, 6, 1, 12, 0))) == ["9001", "9002", "9008"]


def test_subtype_counts_when_severity_is_silent() -> None:
    lanes = make(id="lanes", kind="Fahrstreifensperrung", severity="keine Sperrung")
    plain = make(id="plain", severity="keine Sperrung", valid_from=berlin(2020, 1, 1, 0, 0))
    assert ids(current_and_upcoming([plain, lanes], NOW)) == ["lanes", "plain"]


# --------------------------------------------------------------------------- periods


def test_in_period_weekend(demo: list[Closure]) -> None:
    saturday, monday = berlin(2026, 12, 12, 0, 0), berlin(2026, 12, 14, 0, 0)
    assert ids(in_period(demo, saturday, monday)) == [
        "9001",
        "9004",
        "9010",
        "9002",
        "9005",
        "9007",
        "9003",
        "9011",
    ]


def test_in_period_excludes_touching_intervals(demo: list[Closure]) -> None:
    # 9006 starts Monday 07.12. 08:00, 9010 is the weekend after.
    weekend = in_period(demo, berlin(2026, 12, 5, 0, 0), berlin(2026, 12, 7, 0, 0))
    assert "9006" not in ids(weekend) and "9010" not in ids(weekend)
    # 9009 ended 30.06.2026 18:00 exactly.
    assert "9009" not in ids(in_period(demo, berlin(2026, 6, 30, 18, 0), NOW))
    assert "9009" in ids(in_period(demo, berlin(2026, 6, 30, 17, 59), NOW))


def test_in_period_validates_arguments(demo: list[Closure]) -> None:
    with pytest.raises(ValueError):
        in_period(demo, NOW, NOW)
    with pytest.raises(ValueError):
        in_period(demo, datetime(2026, 1, 1), datetime(2026, 1, 2))


# --------------------------------------------------------------------------- districts


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("im Norden", ["9005", "9006"]),
        ("Nord", ["9005", "9006"]),
        ("nördlich", ["9005", "9006"]),
        ("im Süden der Stadt", ["9007", "9008", "9012"]),
        ("Sued", ["9007", "9008", "9012"]),
        ("in der Innenstadt", ["9001", "9002", "9003", "9004", "9009", "9010", "9011"]),
        ("Mitte", ["9001", "9002", "9003", "9004", "9009", "9010", "9011"]),
        ("im Osten", []),
        ("Westen", []),
        ("", []),
        ("in der", []),
    ],
)
def test_in_district_demo(demo: list[Closure], query: str, expected: list[str]) -> None:
    assert ids(in_district(demo, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Köpenick", {"Köpenick"}),
        ("in Koepenick", {"Köpenick"}),
        ("Kopenick", {"Köpenick"}),
        ("Hohenschönhausen", {"Alt-Hohenschönhausen", "Neu-Hohenschönhausen"}),
        ("Prenzlauer Berg", {"Prenzlauer Berg"}),
        ("im Ortsteil Buch", {"Buch"}),
        ("Mitte", {"Mitte"}),
        ("Hamburg", set()),
    ],
)
def test_in_district_berlin(berlin_closures: list[Closure], query: str, expected: set[str]) -> None:
    assert {c.district for c in in_district(berlin_closures, query)} == expected


# --------------------------------------------------------------------------- streets


def test_normalize_street() -> None:
    assert normalize_street("Goethe-Straße (Mitte)") == ["goethe", "str"]
    assert normalize_street("goethestr.") == ["goethestr"]
    assert normalize_street("Goethestrasse") == ["goethestr"]
    assert normalize_street("Brückenstrase") == ["brueckenstr"]
    assert normalize_street("Welche Straßen?") == ["welche", "strassen"]
    assert normalize_street("Stralauer Straße") == ["stralauer", "str"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Goethestr.", "Goethestraße"),
        ("goethestraße", "Goethestraße"),
        ("Goethestrasse", "Goethestraße"),
        ("Goethe Str", "Goethestraße"),
        ("Ist die Goethestrasse gesperrt?", "Goethestraße"),
        ("brückenstrasse", "Brückenstraße"),
        ("Bruckenstrasse", "Brückenstraße"),
        ("Was ist mit der Brueckenstr los?", "Brückenstraße"),
        ("Gibt es auf der Kölner Str. eine Baustelle?", "Kölner Straße"),
        ("koelnerstrasse", "Kölner Straße"),
        ("Kölnerstraße", "Kölner Straße"),
        ("Ist der Rathausplatz am Samstag gesperrt?", "Rathausplatz"),
        ("am stadtpark", "Am Stadtpark"),
        ("Lindenalle", "Lindenallee"),
        ("Industriestrasse Richtung Hafen", "Industriestraße"),
    ],
)
def test_match_street_demo_positives(demo_streets: list[str], query: str, expected: str) -> None:
    result = match_street(query, demo_streets)
    assert result, query
    assert result[0][0] == expected
    assert result[0][1] >= 85
    assert len(result) == 1


def test_match_street_scores() -> None:
    streets = ["Brückenstraße", "Goethestraße"]
    assert match_street("Goethestraße", streets) == [("Goethestraße", 100.0)]
    ((street, score),) = match_street("Bruckenstrasse", streets)
    assert street == "Brückenstraße" and 85 <= score < 100


def test_match_street_two_streets_in_one_message(demo_streets: list[str]) -> None:
    result = match_street("Sind Hauptstraße und Hafenstrasse frei?", demo_streets)
    assert sorted(result) == [("Hafenstraße", 100.0), ("Hauptstraße", 100.0)]
    assert match_street("Sind Hauptstraße und Hafenstrasse frei?", demo_streets, limit=1) == [
        ("Hafenstraße", 100.0)
    ]


NEGATIVES = [
    "Welche Straßen sind heute gesperrt?",
    "Gibt es Baustellen in der Stadt?",
    "Wo ist das Bürgeramt?",
    "Hallo",
    "Wie komme ich zum Bahnhof?",
    "Ich möchte meinen Personalausweis verlängern",
    "Gibt es am Wochenende Sperrungen im Norden?",
    "Welche Baustellen gibt es in Mitte?",
    "Sind morgen Straßen gesperrt wegen dem Weihnachtsmarkt?",
    "Wann hat das Rathaus geöffnet?",
    "Gibt es Umleitungen wegen der Brücke?",
    "Meine Straße ist gesperrt, warum?",
    "Ist die Straße frei?",
    "Ist die Autobahn gesperrt?",
    "Wo ist der Wertstoffhof?",
    "Wie erreiche ich den Hafen?",
    "Ist in der Allee was gesperrt?",
    "Gibt es Baustellen in der Schillerstraße?",
    "Bucher Straße gesperrt?",
    "Ist die A10 gesperrt?",
    "",
    "?!",
]


@pytest.mark.parametrize("message", NEGATIVES)
def test_match_street_negatives(
    demo_streets: list[str], berlin_streets: list[str], message: str
) -> None:
    assert match_street(message, demo_streets) == []
    assert match_street(message, berlin_streets) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Invalidenstr.", ["Invalidenstraße"]),
        ("Ist die Invalidenstrase in Moabit gesperrt?", ["Invalidenstraße"]),
        ("Karl Liebknecht Strasse", ["Karl-Liebknecht-Straße"]),
        ("Kurfürstendamm", ["Kurfürstendamm"]),  # not "Fürstendamm"
        ("Fürstendamm", ["Fürstendamm"]),  # not "Kurfürstendamm"
        ("Ist der Spandauer Damm frei?", ["Spandauer Damm"]),  # not "Spandauer Straße"
        ("Spandauer Str", ["Spandauer Straße"]),
        ("Straße des 17. Juni", ["Straße des 17. Juni", "Straße des 17.Juni"]),
        ("Holzmarktstraße", ["Holzmarktstraße", "Stralauer Straße/Holzmarktstraße"]),
        ("Lankwitzer Straße", ["LankwitzerStraße"]),
        ("Französische Straße", ["Französische Str."]),
        ("Ist die A 100 dicht?", ["A100 (Stadtring Berlin)", "A100 (Stadtring)"]),
        ("Schönhauser Allee", ["Schönhauser Allee"]),
        ("Allee der Kosmonauten", ["Allee der Kosmonauten"]),
        ("Wie lange ist die Gersdorfstrasse noch Baustelle?", ["Gersdorfstraße"]),
    ],
)
def test_match_street_berlin(berlin_streets: list[str], query: str, expected: list[str]) -> None:
    assert [street for street, _score in match_street(query, berlin_streets)] == expected


def test_match_street_recall_over_all_berlin_streets(berlin_streets: list[str]) -> None:
    """Every street of the real feed is found in a sentence, in usual spellings."""
    missed = []
    for street in sorted(set(berlin_streets)):
        for variant in (
            street,
            street.replace("ß", "ss"),
            street.replace("Straße", "Str.").replace("straße", "str."),
            street.lower().replace("ä", "a").replace("ö", "o").replace("ü", "u"),
        ):
            found = match_street(f"Gibt es in der {variant} eine Baustelle?", berlin_streets)
            if not found or street not in [s for s, score in found if score == found[0][1]]:
                missed.append((variant, found))
    assert missed == []


def test_on_street(berlin_closures: list[Closure]) -> None:
    found = on_street(berlin_closures, "Ist die Invalidenstrasse gesperrt?")
    assert [(c.id, c.district) for c in found] == [
        ("2147348984", "Moabit"),
        ("2147348468", "Moabit"),
        ("2147347562", "Mitte"),
    ]
    assert on_street(berlin_closures, "Welche Straßen sind heute gesperrt?") == []


# --------------------------------------------------------------------------- wording


def test_format_period(demo: list[Closure]) -> None:
    by_id = {c.id: c for c in demo}
    assert (
        format_period(by_id["9001"], NOW) == "seit 01.09.2026, 06:00 Uhr bis 31.12.2027, 18:00 Uhr"
    )
    assert format_period(by_id["9008"], NOW) == "ab 01.03.2027, 07:00 Uhr bis 31.10.2027, 17:00 Uhr"
    assert format_period(by_id["9007"], NOW) == "seit 01.11.2026 bis 31.01.2027"
    assert (
        format_period(by_id["9009"], NOW) == "vom 01.03.2026, 06:00 Uhr bis 30.06.2026, 18:00 Uhr"
    )
    assert format_period(by_id["9001"]) == "vom 01.09.2026, 06:00 Uhr bis 31.12.2027, 18:00 Uhr"


def test_format_period_open_ends() -> None:
    start = berlin(2027, 1, 5, 0, 0)
    end = berlin(2027, 2, 28, 17, 0)
    assert (
        format_period(make(valid_from=start, valid_to=end), NOW)
        == "ab 05.01.2027 bis 28.02.2027, 17:00 Uhr"
    )
    assert format_period(make(valid_from=start), NOW) == "ab 05.01.2027 bis auf Weiteres"
    assert format_period(make(valid_from=start)) == "ab 05.01.2027 bis auf Weiteres"
    assert (
        format_period(make(valid_from=berlin(2020, 7, 31, 11, 0)), NOW)
        == "seit 31.07.2020, 11:00 Uhr bis auf Weiteres"
    )
    assert format_period(make(valid_to=end), NOW) == "bis 28.02.2027, 17:00 Uhr"
    assert format_period(make(), NOW) == "bis auf Weiteres"


def test_format_period_shows_local_time() -> None:
    utc_start = datetime.fromisoformat("2026-07-01T04:00:00+00:00")
    assert format_period(make(valid_from=utc_start), NOW) == (
        "seit 01.07.2026, 06:00 Uhr bis auf Weiteres"
    )
