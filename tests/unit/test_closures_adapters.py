"""Feed adapters of the closures module: VIZ GeoJSON (Berlin, demo city) and DATEX II."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.closures import (
    Closure,
    FeedFormatError,
    local_tz,
    parse_datetime,
    parse_datex2,
    parse_feed,
    parse_viz_geojson,
    split_street,
    status,
)

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ROOT / "tests" / "data" / "berlin_viz_baustellen_sperrungen_2023.json"
DATEX = ROOT / "tests" / "data" / "mobidata_bw_datex2_situation_1487640.xml"
DEMO = ROOT / "data" / "knowledge" / "closures-demo.geojson"


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=local_tz())


def feature(**props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "1",
        "subtype": "Baustelle",
        "severity": "Vollsperrung",
        "validity": {"from": "01.02.2027 07:00", "to": "28.02.2027 17:00"},
        "direction": "Beidseitig",
        "street": "Goethestraße (Mitte)",
        "section": "zwischen A und B",
        "content": "Kanalarbeiten",
    }
    base.update(props)
    return {"type": "Feature", "geometry": None, "properties": base}


def collection(*features: object) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01.09.2026 06:00", berlin(2026, 9, 1, 6, 0)),
        ("1.9.2026 6:00", berlin(2026, 9, 1, 6, 0)),
        ("01.09.2026", berlin(2026, 9, 1, 0, 0)),
        ("2026-09-01T06:00:00", berlin(2026, 9, 1, 6, 0)),
        ("2026-09-01T04:00:00Z", berlin(2026, 9, 1, 6, 0)),
        ("2015-06-01T00:00:00.000+02:00", berlin(2015, 6, 1, 0, 0)),
        ("2030-12-31T23:59:00.000+01:00", berlin(2030, 12, 31, 23, 59)),
        ("2026-01-15T12:00:00+00:00", berlin(2026, 1, 15, 13, 0)),
        (None, None),
        ("  ", None),
    ],
)
def test_parse_datetime_formats(raw: str | None, expected: datetime | None) -> None:
    parsed = parse_datetime(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None
        assert parsed.utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


def test_parse_datetime_end_of_day_for_date_only() -> None:
    assert parse_datetime("31.12.2027", end_of_day=True) == berlin(2027, 12, 31, 23, 59)
    assert parse_datetime("2027-12-31", end_of_day=True) == berlin(2027, 12, 31, 23, 59)


@pytest.mark.parametrize("raw", ["31.02.2026 10:00", "morgen", "2026-13-01T00:00", "12:00", 5])
def test_parse_datetime_rejects_garbage(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_datetime(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Brückenstraße (Mitte)", ("Brückenstraße", "Mitte")),
        ("(Obere) Kynaststraße (Rummelsburg)", ("(Obere) Kynaststraße", "Rummelsburg")),
        ("A115", ("A115", None)),
        ("A100 (Stadtring Berlin)", ("A100 (Stadtring Berlin)", None)),
        ("Kölner  Straße ( Süd )", ("Kölner Straße", "Süd")),
    ],
)
def test_split_street(raw: str, expected: tuple[str, str | None]) -> None:
    assert split_street(raw) == expected


# --------------------------------------------------------------------------- Berlin VIZ


@pytest.fixture(scope="module")
def berlin_result():
    return parse_viz_geojson(BERLIN.read_bytes())


def test_berlin_every_feature_parsed_or_skipped_with_reason(berlin_result) -> None:
    total = len(json.loads(BERLIN.read_bytes())["features"])
    parsed, skipped = len(berlin_result.closures), len(berlin_result.skipped)
    print(f"Berlin VIZ: {total} features, {parsed} parsed, {skipped} skipped")
    for ref, reason in berlin_result.skipped:
        print(f"  skipped {ref}: {reason}")
    assert total == 228
    assert parsed + skipped == total
    assert (parsed, skipped) == (227, 1)
    assert berlin_result.skipped == [("2147349336", "missing street")]
    assert all(reason for _ref, reason in berlin_result.skipped)
    assert len({c.id for c in berlin_result.closures}) == 227
    assert {c.source for c in berlin_result.closures} == {"viz"}


def test_berlin_spot_checks(berlin_result) -> None:
    by_id = {c.id: c for c in berlin_result.closures}
    assert by_id["2147348984"] == Closure(
        id="2147348984",
        street="Invalidenstraße",
        district="Moabit",
        section="Richtung Chausseestraße zwischen Alt-Moabit und Lehrter Straße",
        kind="Sperrung",
        severity="Vollsperrung",
        direction="Einseitig",
        valid_from=berlin(2022, 9, 26, 10, 0),
        valid_to=berlin(2023, 7, 7, 17, 0),
        description=(
            "Tramneubau, Fahrtrichtung für den Kfz-Verkehr gesperrt, Umleitung ausgewiesen. "
            "Im Anschluss folgen weitere Arbeiten"
        ),
        source="viz",
    )
    kynast = by_id["2147349374"]
    assert (kynast.street, kynast.district) == ("(Obere) Kynaststraße", "Rummelsburg")
    assert (kynast.severity, kynast.valid_from) == (
        "Fahrtrichtungssperrung",
        berlin(2023, 1, 30, 8, 0),
    )
    # Open end ("to": null) is "until further notice", not a skip.
    lange_bruecke = by_id["2147346159"]
    assert (lange_bruecke.street, lange_bruecke.district) == ("Lange Brücke", "Köpenick")
    assert lange_bruecke.kind == "Fahrstreifensperrung"
    assert lange_bruecke.valid_from == berlin(2020, 7, 31, 11, 0)
    assert lange_bruecke.valid_to is None
    assert lange_bruecke.direction is None
    # Motorways: no district, the parenthesis names the road.
    a115 = by_id["LMS-BR_r_LMS-BR_292781_LMS-BR_61"]
    assert (a115.street, a115.district, a115.severity) == ("A115", None, None)
    a100 = by_id["AdbNO_r_AdbNO_5651_AdB-NO"]
    assert (a100.street, a100.district) == ("A100 (Stadtring Berlin)", None)
    assert (a100.valid_from, a100.valid_to) == (
        berlin(2023, 2, 6, 10, 36),
        berlin(2023, 2, 6, 23, 59),
    )
    assert by_id["2147343289"].street == "Französische Str."


def test_berlin_open_ended_entries(berlin_result) -> None:
    assert sorted(c.id for c in berlin_result.closures if c.valid_to is None) == [
        "2147346159",
        "2147349209",
        "LMS-BR_r_LMS-BR_246543_LMS-BR_72",
    ]


# --------------------------------------------------------------------------- demo feed


def test_demo_feed_all_parse_and_statuses() -> None:
    result = parse_feed(DEMO.read_bytes(), "application/geo+json")
    assert result.skipped == []
    assert len(result.closures) == 12
    assert result.closures[0] == Closure(
        id="9001",
        street="Brückenstraße",
        district="Mitte",
        section="zwischen Marktstraße und Hafenstraße",
        kind="Baustelle",
        severity="Vollsperrung",
        direction="Beidseitig",
        valid_from=berlin(2026, 9, 1, 6, 0),
        valid_to=berlin(2027, 12, 31, 18, 0),
        description=(
            "Sanierung der Rheinbrücke, Umleitung über Kölner Straße und Nordring ausgeschildert"
        ),
        source="viz",
    )
    now = berlin(2026, 11, 23, 10, 0)
    by_status: dict[str, list[str]] = {}
    for closure in result.closures:
        by_status.setdefault(status(closure, now), []).append(closure.id)
    assert by_status == {
        "active": ["9001", "9002", "9003", "9004", "9005", "9007", "9011"],
        "upcoming": ["9006", "9008", "9010", "9012"],
        "ended": ["9009"],
    }


# --------------------------------------------------------------------------- malformed VIZ


def test_malformed_entries_are_skipped_with_reasons(caplog: pytest.LogCaptureFixture) -> None:
    doc = collection(
        feature(id="ok"),
        "not a feature",
        {"type": "Feature", "properties": None},
        feature(id=None),
        feature(id="no-street", street=None),
        feature(id="empty-street", street="  "),
        feature(id="bad-from", validity={"from": "31.02.2027 07:00", "to": None}),
        feature(id="bad-to", validity={"from": "01.02.2027 07:00", "to": "bald"}),
        feature(id="reversed", validity={"from": "01.03.2027 07:00", "to": "01.02.2027 07:00"}),
        feature(id="validity-list", validity=["01.02.2027"]),
        feature(id="deleted", objectState="deleted"),
        feature(id="ok"),
        feature(id="open", validity={"from": "01.02.2027 07:00", "to": None}),
        feature(id="no-validity", validity=None, subtype=None, severity=None),
    )
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.closures"):
        result = parse_viz_geojson(json.dumps(doc))
    assert [c.id for c in result.closures] == ["ok", "open", "no-validity"]
    assert result.skipped == [
        ("#1", "feature is not an object"),
        ("#2", "feature has no properties object"),
        ("#3", "missing id"),
        ("no-street", "missing street"),
        ("empty-street", "missing street"),
        ("bad-from", "unparseable validity.from '31.02.2027 07:00'"),
        ("bad-to", "unparseable validity.to 'bald'"),
        ("reversed", "validity.to is before validity.from"),
        ("validity-list", "validity is not an object"),
        ("deleted", "objectState is 'deleted'"),
        ("ok", "duplicate id"),
    ]
    assert len([r for r in caplog.records if "skipped entry" in r.getMessage()]) == 11
    no_validity = result.closures[2]
    assert (no_validity.valid_from, no_validity.valid_to) == (None, None)
    assert (no_validity.kind, no_validity.severity) == ("Sonstiges", None)


def test_numeric_ids_and_iso_dates() -> None:
    doc = collection(
        feature(
            id=42,
            validity={"from": "2027-02-01T07:00:00+01:00", "to": "2027-02-28T17:00:00"},
        )
    )
    (closure,) = parse_viz_geojson(doc).closures
    assert closure.id == "42"
    assert closure.valid_from == berlin(2027, 2, 1, 7, 0)
    assert closure.valid_to == berlin(2027, 2, 28, 17, 0)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"type": "FeatureCollection"}',
        b'{"type": "Feature", "features": []}',
        b'{"features": {"a": 1}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_malformed_geojson_document_raises(raw: bytes) -> None:
    with pytest.raises(FeedFormatError):
        parse_viz_geojson(raw)


def test_empty_feature_collection_is_valid() -> None:
    result = parse_viz_geojson(b'{"type": "FeatureCollection", "features": []}')
    assert (result.closures, result.skipped) == ([], [])


# --------------------------------------------------------------------------- DATEX II


def test_datex2_sample_parses_exactly() -> None:
    result = parse_datex2(DATEX.read_bytes())
    print(f"DATEX II: {len(result.closures)} parsed, {len(result.skipped)} skipped")
    assert result.skipped == []
    assert result.closures == [
        Closure(
            id="1487640",
            street="L154",
            district=None,
            section="Albbruck-St. Blasien",
            kind="Baustelle",
            severity="Vollsperrung",
            direction="beide Richtungen",
            valid_from=berlin(2015, 6, 1, 0, 0),
            valid_to=berlin(2024, 12, 31, 23, 59),
            description=(
                "L154 Albtalsperrung. Umleitung: Sankt Blasier Straße - Alemannenstraße - "
                "Etzwihler Straße - Tiefensteiner Straße - L 154; "
                "L 153 - K 6547 - Hauptstraße - Alte Landstraße K6544"
            ),
            source="datex2",
        )
    ]


def test_datex2_via_parse_feed_and_text_input() -> None:
    raw = DATEX.read_bytes()
    assert parse_feed(raw).closures == parse_datex2(raw.decode("utf-8")).closures
    assert parse_feed(b"\xef\xbb\xbf  \n" + raw, "text/plain").closures[0].id == "1487640"


V2 = "http://datex2.eu/schema/2/2_0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def datex_v2(*situations: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<d2LogicalModel modelBaseVersion="2" xmlns="{V2}" xmlns:xsi="{XSI}">'
        f'<payloadPublication xsi:type="SituationPublication" lang="de">'
        f"<publicationTime>2027-01-01T10:00:00+01:00</publicationTime>"
        f"{''.join(situations)}</payloadPublication></d2LogicalModel>"
    )


def record(
    rid: str,
    *,
    rtype: str = "MaintenanceWorks",
    start: str = "2027-02-01T07:00:00+01:00",
    end: str | None = "2027-02-28T17:00:00+01:00",
    status: str = "definedByValidityTimeSpec",
    road_name: str | None = "Hauptstraße",
    road_number: str | None = None,
    direction: str | None = None,
    body: str = "",
) -> str:
    end_xml = f"<overallEndTime>{end}</overallEndTime>" if end else ""
    name_xml = (
        f'<roadName><values><value lang="de">{road_name}</value></values></roadName>'
        if road_name
        else ""
    )
    number_xml = f"<roadNumber>{road_number}</roadNumber>" if road_number else ""
    dir_xml = (
        f"<directionRelativeOnLinearSection>{direction}</directionRelativeOnLinearSection>"
        if direction
        else ""
    )
    return (
        f'<situationRecord xsi:type="{rtype}" id="{rid}" version="1">'
        f"<validity><validityStatus>{status}</validityStatus><validityTimeSpecification>"
        f"<overallStartTime>{start}</overallStartTime>{end_xml}"
        f"</validityTimeSpecification></validity>{body}"
        f'<groupOfLocations xsi:type="Linear"><linearWithinLinearElement>{dir_xml}'
        f"<linearElement>{name_xml}{number_xml}</linearElement>"
        f"</linearWithinLinearElement></groupOfLocations></situationRecord>"
    )


def situation(sid: str, *records: str, extension: str = "") -> str:
    return f'<situation id="{sid}" version="1">{"".join(records)}{extension}</situation>'


def comment(text: str, ctype: str | None = None) -> str:
    ext = (
        f"<commentExtension><commentExtended><commentType2>{ctype}</commentType2>"
        f"</commentExtended></commentExtension>"
        if ctype
        else ""
    )
    return (
        f'<generalPublicComment><comment><values><value lang="DE">{text}</value></values>'
        f"</comment>{ext}</generalPublicComment>"
    )


def impact(capacity: str | None, lanes: str | None = None, restricted: int | None = None) -> str:
    parts = []
    if capacity is not None:
        parts.append(f"<capacityRemaining>{capacity}</capacityRemaining>")
    if restricted is not None:
        parts.append(f"<numberOfLanesRestricted>{restricted}</numberOfLanesRestricted>")
        parts.append("<originalNumberOfLanes>2</originalNumberOfLanes>")
    if lanes:
        parts.append(
            "<impactExtension><impactExtended><laneRestriction>"
            f"<lane>{lanes}</lane></laneRestriction></impactExtended></impactExtension>"
        )
    return f"<impact>{''.join(parts)}</impact>"


def test_datex2_synthetic_situations() -> None:
    doc = datex_v2(
        situation(
            "s1",
            record(
                "s1-1",
                body=impact("50.0")
                + comment("Kanalbau")
                + comment("über Ring", "routeRecommendation"),
                direction="both",
            ),
        ),
        situation("s2", record("s2-1", body=impact(None, "lane1", restricted=1))),
        situation(
            "s3",
            record(
                "s3-1",
                rtype="RoadOrCarriagewayOrLaneManagement",
                end=None,
                body="<roadOrCarriagewayOrLaneManagementType>roadClosed"
                "</roadOrCarriagewayOrLaneManagementType>",
            ),
        ),
        situation("s4", record("s4-1", rtype="Accident", road_name="Ring", road_number="B 27")),
        situation("no-road", record("n-1", road_name=None)),
        situation(
            "reversed", record("r-1", start="2027-03-01T00:00:00", end="2027-02-01T00:00:00")
        ),
        situation("bad-date", record("b-1", start="irgendwann")),
        situation("suspended", record("x-1", status="suspended")),
        situation("empty"),
        situation("s1", record("dup")),
        "<situation>" + record("anon") + "</situation>",
    )
    result = parse_datex2(doc)
    by_id = {c.id: c for c in result.closures}
    assert list(by_id) == ["s1", "s2", "s3", "s4", "#10"]
    s1 = by_id["s1"]
    assert (s1.street, s1.section, s1.kind, s1.severity, s1.direction) == (
        "Hauptstraße",
        None,
        "Baustelle",
        "Fahrbahnverengung",
        "beide Richtungen",
    )
    assert s1.description == "Kanalbau. Umleitung: über Ring"
    assert (s1.valid_from, s1.valid_to) == (berlin(2027, 2, 1, 7, 0), berlin(2027, 2, 28, 17, 0))
    assert by_id["s2"].severity == "Fahrstreifensperrung"
    s3 = by_id["s3"]
    assert (s3.kind, s3.severity, s3.valid_to, s3.description) == (
        "Sperrung",
        "Vollsperrung",
        None,
        None,
    )
    s4 = by_id["s4"]
    assert (s4.street, s4.section, s4.kind, s4.severity) == ("B 27", "Ring", "Unfall", None)
    assert result.skipped == [
        ("no-road", "no road number or road name in the location"),
        ("reversed", "overallEndTime is before overallStartTime"),
        ("bad-date", "record b-1: unparseable overallStartTime 'irgendwann'"),
        ("suspended", "all situation records are suspended"),
        ("empty", "situation without situationRecord"),
        ("s1", "duplicate id"),
    ]


def test_datex2_overall_situation_extension_wins_over_records() -> None:
    overall = (
        "<situationExtension><situationExtended>"
        '<overallSituation xsi:type="MaintenanceWorks" id="o-gesamt" version="1">'
        "<validity><validityStatus>definedByValidityTimeSpec</validityStatus>"
        "<validityTimeSpecification><overallStartTime>2027-01-15T00:00:00+01:00"
        "</overallStartTime><overallEndTime>2027-03-31T23:59:00+02:00</overallEndTime>"
        "</validityTimeSpecification></validity>"
        + comment("Sanierung Hauptstraße", "roadworksName")
        + "</overallSituation></situationExtended></situationExtension>"
    )
    without_times = overall.replace("<overallStartTime>2027-01-15T00:00:00+01:00", "<x>").replace(
        "</overallStartTime><overallEndTime>2027-03-31T23:59:00+02:00</overallEndTime>", "</x>"
    )
    doc = datex_v2(
        situation(
            "o", record("o-1", body=comment("Bauphase 1", "roadworksName")), extension=overall
        ),
        situation(
            "p",
            record("p-1", body=comment("Bauphase 1", "roadworksName")),
            extension=without_times.replace("o-gesamt", "p-gesamt"),
        ),
    )
    by_id = {c.id: c for c in parse_datex2(doc).closures}
    o, p = by_id["o"], by_id["p"]
    assert (o.valid_from, o.valid_to) == (berlin(2027, 1, 15), berlin(2027, 3, 31, 23, 59))
    assert o.description == "Sanierung Hauptstraße"
    # an overall situation without times: the records' span
    assert (p.valid_from, p.valid_to) == (berlin(2027, 2, 1, 7, 0), berlin(2027, 2, 28, 17, 0))


def test_datex2_version_3_is_read() -> None:
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<d2:payload xmlns:d2="http://datex2.eu/schema/3/d2Payload" '
        'xmlns:sit="http://datex2.eu/schema/3/situation" '
        'xmlns:com="http://datex2.eu/schema/3/common" '
        'xmlns:loc="http://datex2.eu/schema/3/locationReferencing" '
        f'xmlns:xsi="{XSI}" xsi:type="sit:SituationPublication" lang="de" modelBaseVersion="3">'
        "<com:publicationTime>2027-01-01T10:00:00Z</com:publicationTime>"
        '<sit:situation id="v3-1"><sit:situationRecord '
        'xsi:type="sit:RoadOrCarriagewayOrLaneManagement" id="v3-1-r" version="1">'
        "<sit:validity><com:validityStatus>definedByValidityTimeSpec</com:validityStatus>"
        "<com:validityTimeSpecification><com:overallStartTime>2027-02-01T06:00:00Z"
        "</com:overallStartTime><com:overallEndTime>2027-02-02T16:00:00Z</com:overallEndTime>"
        "</com:validityTimeSpecification></sit:validity>"
        '<sit:generalPublicComment><sit:comment><com:values><com:value lang="de">Markt'
        "</com:value></com:values></sit:comment></sit:generalPublicComment>"
        '<sit:locationReference xsi:type="loc:SingleRoadLinearLocation">'
        "<loc:linearWithinLinearElement><loc:linearElement><loc:roadName><com:values>"
        '<com:value lang="de">Marktstraße</com:value></com:values></loc:roadName>'
        "</loc:linearElement></loc:linearWithinLinearElement></sit:locationReference>"
        "<sit:roadOrCarriagewayOrLaneManagementType>roadClosed"
        "</sit:roadOrCarriagewayOrLaneManagementType>"
        "</sit:situationRecord></sit:situation></d2:payload>"
    )
    (closure,) = parse_feed(doc.encode("utf-8")).closures
    assert (closure.id, closure.street, closure.kind, closure.severity, closure.description) == (
        "v3-1",
        "Marktstraße",
        "Sperrung",
        "Vollsperrung",
        "Markt",
    )
    assert (closure.valid_from, closure.valid_to) == (
        berlin(2027, 2, 1, 7, 0),
        berlin(2027, 2, 2, 17, 0),
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"<d2LogicalModel xmlns='http://datex2.eu/schema/2/2_0'><unclosed>",
        b"<html><body>Wartungsarbeiten</body></html>",
        f"<d2LogicalModel xmlns='{V2}' xmlns:xsi='{XSI}'><payloadPublication "
        f"xsi:type='MeasuredDataPublication'/></d2LogicalModel>".encode(),
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b"<d2LogicalModel xmlns='http://datex2.eu/schema/2/2_0'>&lol;</d2LogicalModel>",
    ],
)
def test_malformed_datex2_document_raises(raw: bytes) -> None:
    with pytest.raises(FeedFormatError):
        parse_datex2(raw)


@pytest.mark.parametrize("raw", [b"", b"   ", b"Service Unavailable", b"\x00\x01"])
def test_parse_feed_rejects_non_documents(raw: bytes) -> None:
    with pytest.raises(FeedFormatError):
        parse_feed(raw, "text/html")


def test_parse_feed_sniffs_json() -> None:
    result = parse_feed(DEMO.read_bytes(), None)
    assert len(result.closures) == 12
