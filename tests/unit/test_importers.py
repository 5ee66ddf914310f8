"""DLDB and CSV importers: a complete, valid knowledge directory from synthetic input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.cli import main
from bot.dialogue import opening_hours, responsibilities
from bot.importers import synthetic
from bot.knowledge.base import load_knowledge, validate_knowledge

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("dldb")
    lp, sp = synthetic.write(src, n_locations=320, n_services=520)
    out = src / "kb"
    rc = main(["import", "dldb", "--locations", str(lp), "--services", str(sp),
               "--out", str(out), "--city", "Beispielstadt", "--state", "BE"])  # fmt: skip
    assert rc == 0
    return out


def test_the_directory_is_complete_and_valid(imported: Path) -> None:
    for name in ("offices.yml", "services.yml", "city.yml", "special_hours.yml", "handoff.yml"):
        assert (imported / name).exists(), name
    assert validate_knowledge(imported) == []
    k = load_knowledge(imported)
    assert k.city == "Beispielstadt" and k.state == "BE"
    assert len(k.offices) == 320
    assert len(k.services) >= 500


def test_report_counts_hours_and_links(imported: Path) -> None:
    report = json.loads((imported / "import-report.json").read_text(encoding="utf-8"))
    assert report["offices"] == 320
    total = report["hours_converted"] + report["hours_kept_as_text"] + report["hours_empty"]
    assert total == 320
    assert report["hours_kept_as_text"] > 0 and report["hours_empty"] > 0
    assert report["links"] > report["services"]
    assert report["services_skipped_without_office"]  # the generator makes some


def test_offices_carry_district_contact_and_hours(imported: Path) -> None:
    k = load_knowledge(imported)
    office = next(o for o in k.offices.values() if o.name == "Bürgeramt Nordheim Birkenallee")
    assert office.district == "Nordheim"
    assert office.phone and office.email and office.appointment_url
    assert office.opening_hours == "Mo-We,Fr 08:00-15:00; Th 11:00-18:00; PH off"
    assert office.appointment_required and office.hours_note == "Vorsprache nur mit Termin."


def test_kept_as_text_is_shown_in_the_offices_words(imported: Path) -> None:
    k = load_knowledge(imported)
    office = next(o for o in k.offices.values() if o.hours_text)
    out = opening_hours.answer(k, office.name, [], {}, NOW)
    assert out.replies[0].response == "utter_opening_hours_text"
    assert out.replies[0].variables["hours_text"] == office.hours_text


def test_service_at_many_offices_asks_for_the_district_then_lists_it(imported: Path) -> None:
    k = load_knowledge(imported)
    out = responsibilities.answer(k, "Wo beantrage ich einen Personalausweis?", [], {}, NOW)
    reply = out.replies[0]
    assert reply.response == "utter_responsibility_many"
    assert reply.variables["count"] == "40"
    assert "Nordheim" in reply.variables["districts"]
    assert any(b["payload"].endswith("in Nordheim") for b in reply.buttons)
    out = responsibilities.answer(k, "Personalausweis in Nordheim", [], {}, NOW)
    reply = out.replies[0]
    assert reply.response == "utter_responsibility_district"
    assert reply.variables["count"] == "4"
    assert "Bürgeramt Nordheim Birkenallee – heute 08:00–15:00 Uhr" in reply.variables["lines"]
    assert "Südfeld" not in reply.variables["lines"]


def test_reduced_services_form_imports(tmp_path: Path) -> None:
    lp, sp = synthetic.write(tmp_path, n_locations=60, n_services=40, reduced=True)
    out = tmp_path / "kb"
    rc = main(["import", "dldb", "--locations", str(lp), "--services", str(sp),
               "--out", str(out), "--city", "Beispielstadt", "--state", "BE"])  # fmt: skip
    assert rc == 0
    services = yaml.safe_load((out / "services.yml").read_text(encoding="utf-8"))["services"]
    assert services and all("fee" not in s for s in services)


def test_missing_and_unknown_fields_do_not_crash(tmp_path: Path) -> None:
    locations = {"data": [
        {"id": "1", "name": "Bürgeramt Eins", "opening_times": {"monday": "08:00-12:00 Uhr"},
         "contact": {"email": "kein-mail"}, "address": None, "unknown": {"x": 1}},
        {"id": "2", "name": "Amt Zwei", "opening_times": "kaputt", "services": "x",
         "authority": "Bezirksamt Drei", "address": {"postal_code": 12345}},
        {"name": "ohne id"}, "kein objekt", {"id": "1", "name": "doppelt"},
    ]}  # fmt: skip
    services = {"data": [
        {"id": "s1", "name": "Leistung A", "locations": [{"location": "1"}, {"location": "99"}],
         "fees": None, "requirements": "x", "onlineprocessing": {"link": "ftp://x"}},
        {"id": "s2", "name": "Leistung B", "locations": None},
    ]}  # fmt: skip
    lp, sp = tmp_path / "l.json", tmp_path / "s.json"
    lp.write_text(json.dumps(locations), encoding="utf-8")
    sp.write_text(json.dumps(services), encoding="utf-8")
    out = tmp_path / "kb"
    rc = main(["import", "dldb", "--locations", str(lp), "--services", str(sp),
               "--out", str(out), "--city", "X-Stadt", "--state", "NW"])  # fmt: skip
    assert rc == 0
    report = json.loads((out / "import-report.json").read_text(encoding="utf-8"))
    assert report["offices"] == 2 and report["services"] == 1
    assert report["unknown_references"] == ["service s1: location 99"]
    k = load_knowledge(out)
    assert all(o.email is None for o in k.offices.values())


def test_unreadable_export_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lp = tmp_path / "locations.json"
    lp.write_bytes(b"\x00\xff binary")
    rc = main(["import", "dldb", "--locations", str(lp), "--services", str(lp),
               "--out", str(tmp_path / "kb"), "--city", "X", "--state", "BE"])  # fmt: skip
    assert rc == 1
    assert "locations.json" in capsys.readouterr().out


def test_unknown_state_is_refused(tmp_path: Path) -> None:
    rc = main(["import", "dldb", "--locations", "x", "--services", "y",
               "--out", str(tmp_path), "--city", "X", "--state", "ZZ"])  # fmt: skip
    assert rc == 2


OFFICES_CSV = "\n".join(
    [
        "\ufeffID;Name;Straße;Hausnummer;PLZ;Bezirk;Telefon;E-Mail;Terminlink;"
        "Montag;Dienstag;Freitag",
        "ba1;Bürgerbüro Am Markt;Markt;1;50001;Mitte;0221 100-1;ba1@stadt.example;"
        "https://termine.stadt.example/ba1;08:00-12:00 Uhr;"
        "08:00 - 12:00 Uhr (nur mit Termin) und 13:00 - 18:00 Uhr;geschlossen",
        "ba2;Bürgerbüro Nord;Nordweg;2;50002;Nord;0221 100-2;ba2@stadt.example;;"
        "7.30 - 15.00 nur mit Termin;;Familienbüro: 9-12",
        "",
    ]
)
SERVICES_CSV = """ID,Name,Standorte,Gebühr,Unterlagen,Suchbegriffe
p1,Personalausweis beantragen,ba1|ba2,"37,00 EUR",Passfoto|altes Dokument,Perso|Ausweis
"""


def _csv(tmp_path: Path, out: Path, city: str) -> int:
    o, s = str(tmp_path / "o.csv"), str(tmp_path / "s.csv")
    args = ["--out", str(out), "--city", city, "--state", "NW"]
    return main(["import", "csv", "--offices", o, "--services", s, *args])


def test_csv_import_with_bom_and_both_separators(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text(OFFICES_CSV, encoding="utf-8")
    (tmp_path / "s.csv").write_text(SERVICES_CSV, encoding="utf-8")
    out = tmp_path / "kb"
    rc = _csv(tmp_path, out, "Stadt")
    assert rc == 0
    k = load_knowledge(out)
    ba1 = next(o for o in k.offices.values() if o.name == "Bürgerbüro Am Markt")
    assert ba1.opening_hours == "Mo 08:00-12:00; Tu 08:00-12:00,13:00-18:00; PH off"
    assert ba1.district == "Mitte"
    ba2 = next(o for o in k.offices.values() if o.name == "Bürgerbüro Nord")
    assert ba2.opening_hours is None and ba2.hours_text and "Familienbüro" in ba2.hours_text
    service = next(iter(k.services.values()))
    assert service.fee == "37,00 EUR" and service.documents == ("Passfoto", "altes Dokument")
    assert len(service.also_at) == 1


def test_csv_errors_name_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "o.csv").write_text(
        "ID;Name;E-Mail\nba1;Bürgerbüro;keine-adresse\n;Ohne ID;\n", encoding="utf-8"
    )
    (tmp_path / "s.csv").write_text("ID;Name;Standorte\np1;Pass;ba1|zz\n", encoding="utf-8")
    rc = _csv(tmp_path, tmp_path / "kb", "S")
    assert rc == 1
    text = capsys.readouterr().out
    assert "o.csv: line 2, column E-Mail" in text
    assert "o.csv: line 3, column ID: empty" in text
    assert "s.csv: line 2, column Standorte: office 'zz'" in text


def test_csv_missing_required_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "o.csv").write_text("Kennung;Name\n1;A\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("ID;Name\n", encoding="utf-8")
    rc = _csv(tmp_path, tmp_path / "kb", "S")
    assert rc == 1
    text = capsys.readouterr().out
    assert "o.csv: line 1: column 'ID' is missing" in text
    assert "s.csv: line 1: column 'Standorte' is missing" in text


def test_indexed_matching_equals_the_full_scan(imported: Path) -> None:
    from bot.knowledge.matching import rank

    k = load_knowledge(imported)
    assert len(list(k.service_terms())) >= k.INDEX_FROM_TERMS  # the index is in use
    names = [o.name for o in k.offices.values()][::7] + [s.name for s in k.services.values()][::9]
    messages = [f"Wann hat {n} offen?" for n in names] + [n.replace("a", "e", 1) for n in names]
    messages += ["Personalausweis", "Perso", "Bürgerampt Südfeld", "Standesamd", "", "🙂"]
    for m in messages:
        for kind, terms in (("offices", k.office_terms()), ("services", k.service_terms())):
            full = rank(m, terms, threshold=85, noise=k.noise)
            assert k._rank(kind, m, 85) == full, (kind, m)


def test_the_documented_csv_example_imports(tmp_path: Path) -> None:
    import re

    from bot.config import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "IMPORT.md").read_text(encoding="utf-8")
    offices, services = re.findall(r"```csv\n(.*?)```", doc, flags=re.DOTALL)
    (tmp_path / "o.csv").write_text(offices, encoding="utf-8")
    (tmp_path / "s.csv").write_text(services, encoding="utf-8")
    assert _csv(tmp_path, tmp_path / "kb", "Stadt") == 0
    k = load_knowledge(tmp_path / "kb")
    ba1 = next(o for o in k.offices.values() if o.name == "Bürgerbüro Am Markt")
    assert ba1.opening_hours == ("Mo,Tu,Fr 08:00-12:00; Th 08:00-12:00,13:00-18:00; PH off")
    assert len(k.services) == 2


def test_the_import_writes_a_draft_accessibility_statement(imported: Path) -> None:
    from bot.city import load_city
    from bot.web.accessibility import load_statement

    own = load_city(imported)
    demo = yaml.safe_load(
        (Path(__file__).parents[2] / "data" / "knowledge" / "accessibility.yml").read_text()
    )
    raw = (imported / "accessibility.yml").read_text(encoding="utf-8")
    for lang, mark in (("de", "[ZU ERGÄNZEN:"), ("en", "[TO BE COMPLETED:")):
        s = load_statement(imported / "accessibility.yml", lang)
        assert "Beispielstadt" in s.texts["intro"] and "Musterstadt" not in raw
        # from the profile: the general contact; the state's body (BE) from the table
        assert s.contact["email"] == own.contact_email and own.contact_office in s.contact["name"]
        assert s.enforcement["name"].startswith("Landesbeauftragte für digitale Barrierefreiheit")
        # what the import cannot know is marked, never invented
        assert mark in s.status and mark in s.method and mark in s.dates
        assert all(mark in item["what"] for item in s.texts["limitations"])
    assert demo["contact"]["email"] not in raw and demo["enforcement"]["name"] not in raw
    report = json.loads((imported / "import-report.json").read_text(encoding="utf-8"))
    assert "accessibility.yml: conformance: unchecked" in report["to_complete"]
    assert "accessibility.yml: [ZU ERGÄNZEN: Ergebnis der Prüfung]" in report["to_complete"]


def test_an_unknown_enforcement_body_is_a_placeholder_and_the_citys_file_stays(
    tmp_path: Path,
) -> None:
    from bot.web.accessibility import load_statement

    (tmp_path / "o.csv").write_text(OFFICES_CSV, encoding="utf-8")
    (tmp_path / "s.csv").write_text(SERVICES_CSV, encoding="utf-8")
    out = tmp_path / "kb"
    args = ["--out", str(out), "--city", "Hafenstadt", "--state", "HB"]
    o, s = str(tmp_path / "o.csv"), str(tmp_path / "s.csv")
    assert main(["import", "csv", "--offices", o, "--services", s, *args]) == 0
    statement = load_statement(out / "accessibility.yml", "de")
    assert statement.enforcement["name"] == (
        "[ZU ERGÄNZEN: Durchsetzungs- oder Schlichtungsstelle des Landes HB]"
    )
    assert "Stadt Hafenstadt" in statement.texts["intro"]
    # the city completes its statement; a second import keeps it
    filled = (out / "accessibility.yml").read_text(encoding="utf-8")
    filled = filled.replace("conformance: unchecked", "conformance: partial")
    (out / "accessibility.yml").write_text(filled, encoding="utf-8")
    assert main(["import", "csv", "--offices", o, "--services", s, *args]) == 0
    assert (out / "accessibility.yml").read_text(encoding="utf-8") == filled
    assert load_statement(out / "accessibility.yml", "de").status == (
        "Diese Website ist mit den Anforderungen der BITV 2.0 (WCAG 2.1, Stufe AA) "
        "teilweise vereinbar. Die Einschränkungen stehen unten."
    )
