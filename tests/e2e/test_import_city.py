"""A second city from its export: synthetic DLDB export → import → the running stack.

The export (320 offices, 520 services, invented) is imported with the CLI; the stack is
started as an operator does, with ``KNOWLEDGE_DIR`` set to the result and the model that
``make train`` built from the demo city (the imported names reach the answers through
the knowledge matching on the message text, not through the NLU model). Expected answers
are computed from the imported files, not written into the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.city import City, load_city
from bot.importers import synthetic
from bot.knowledge.base import Knowledge, Office, load_knowledge
from bot.knowledge.opening_hours import OfficeSchedule, format_intervals
from tests.e2e.conftest import MODEL, ROOT, Stack, _wait_healthy, free_port, port_open
from tests.recorder import start_recorder
from tests.smtp import start_smtp

FIXED_NOW = "2026-11-23T10:00:00+01:00"  # a Monday
DIRS: dict[str, Path] = {}  # the imported directory, for tests that read its profile
THURSDAY, FRIDAY = date(2026, 11, 26), date(2026, 11, 27)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Knowledge]]:
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does it)")
    work = tmp_path_factory.mktemp("import")
    lp, sp = synthetic.write(work / "export", n_locations=320, n_services=520)
    kb = work / "knowledge"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", "dldb", "--locations", str(lp),
         "--services", str(sp), "--out", str(kb), "--city", "Beispielstadt", "--state", "BE"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"\nimport took {time.monotonic() - started:.1f} s: {done.stdout}", file=sys.stderr)
    knowledge = load_knowledge(kb)
    assert len(knowledge.offices) >= 300 and len(knowledge.services) >= 500
    DIRS["kb"] = kb

    state = tmp_path_factory.mktemp("import-state")
    platforms = start_recorder()
    smtp, mailbox = start_smtp()
    ports = [free_port() for _ in range(3)]
    env = dict(os.environ)
    for var in ("TRACKER_STORE_URL", "HANDOFF_DB_URL", "LOCK_STORE_URL", "CLOSURES_FEED_URL"):
        env.pop(var, None)
    env.update(
        RASA_PORT=str(ports[0]),
        ACTIONS_PORT=str(ports[1]),
        WEB_PORT=str(ports[2]),
        STATE_DIR=str(state),
        BIND_HOST="127.0.0.1",
        BOT_API_TOKEN="test-api-token",
        HANDOFF_API_TOKEN="test-handoff-token",
        BOT_FIXED_NOW=FIXED_NOW,
        KNOWLEDGE_DIR=str(kb),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
    )
    log = (state / "supervisor.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--no-train"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    stack = Stack(*ports, state, "test-api-token", "test-handoff-token", proc, platforms, mailbox)
    try:
        _wait_healthy(stack)
        yield stack, knowledge
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        platforms.server.shutdown()
        smtp.stop()
        assert not [p for p in ports if port_open(p)]


def _office(knowledge: Knowledge, name: str) -> Office:
    return next(o for o in knowledge.offices.values() if o.name == name)


def _hours(knowledge: Knowledge, office: Office, d: date) -> str:
    assert office.opening_hours
    day = OfficeSchedule(office.opening_hours, state=knowledge.state).day(d)
    return format_intervals(day.intervals)


def _first_buergeramt(knowledge: Knowledge, district: str, index: int) -> Office:
    offices = [
        o
        for o in knowledge.offices.values()
        if o.district == district and o.name.startswith("Bürgeramt")
    ]
    return offices[index]


def test_greeting_names_the_imported_city(city: tuple[Stack, Knowledge]) -> None:
    stack, _ = city
    text = stack.say("import-greet", "Hallo")
    assert "Stadt Beispielstadt" in text and "Musterstadt" not in text


def test_hours_on_a_named_weekday(city: tuple[Stack, Knowledge]) -> None:
    stack, knowledge = city
    office = _first_buergeramt(knowledge, "Südfeld", 2)
    text = stack.say("import-day", f"Wann hat das {office.name} am Donnerstag geöffnet?")
    assert office.name in text
    assert f"{_hours(knowledge, office, THURSDAY)} Uhr" in text


def test_appointment_only_office(city: tuple[Stack, Knowledge]) -> None:
    stack, knowledge = city
    office = _first_buergeramt(knowledge, "Nordheim", 0)
    assert office.appointment_required
    text = stack.say("import-appointment", f"Öffnungszeiten {office.name}")
    assert office.name in text
    assert "Vorsprache nur mit Termin." in text
    assert f"Termin erforderlich: {office.appointment_url}" in text


def test_office_closed_on_a_day(city: tuple[Stack, Knowledge]) -> None:
    stack, knowledge = city
    office = _first_buergeramt(knowledge, "Westhafen", 1)  # closed on Fridays in the export
    assert _hours(knowledge, office, FRIDAY) == ""
    text = stack.say("import-closed", f"Hat das {office.name} am Freitag offen?")
    assert office.name in text and "geschlossen" in text


def test_address_and_phone(city: tuple[Stack, Knowledge]) -> None:
    stack, knowledge = city
    office = _office(knowledge, "Standesamt Lindenau")
    text = stack.say("import-contact", f"Wann hat das {office.name} geöffnet?")
    assert f"Adresse: {office.address}" in text
    assert f"Telefon: {office.phone}" in text


def test_service_at_many_offices_by_district(city: tuple[Stack, Knowledge]) -> None:
    stack, knowledge = city
    text = stack.say("import-many", "Wo beantrage ich einen Personalausweis?")
    service = next(s for s in knowledge.services.values() if s.name.startswith("Personalausweis"))
    count = 1 + len(service.also_at)
    assert count >= 40 and f"bieten {count} Standorte an" in text
    assert "In welchem Bezirk" in text and "Kastanienhof" in text
    # with the appointment link (the first offering office's that has one)
    offering = [knowledge.offices[i] for i in dict.fromkeys([service.office, *service.also_at])]
    link = next(o.appointment_url for o in offering if o.appointment_url)
    assert link in text
    text = stack.say("import-many", "Personalausweis beantragen in Kastanienhof")
    here = [
        o
        for o in knowledge.offices.values()
        if o.district == "Kastanienhof" and o.id in {service.office, *service.also_at}
    ]
    assert here
    for o in here:
        assert o.name in text
    assert "Südfeld" not in text
    monday = date(2026, 11, 23)
    first = next(o for o in here if o.opening_hours)
    assert f"{first.name} – heute {_hours(knowledge, first, monday)} Uhr" in text


def test_hours_kept_as_text_are_quoted(city: tuple[Stack, Knowledge]) -> None:
    stack, knowledge = city
    office = next(
        o for o in knowledge.offices.values() if o.hours_text and o.name.startswith("Bürgeramt")
    )
    text = stack.say("import-text", f"Öffnungszeiten {office.name}")
    assert "Laut Angabe des Amts:" in text
    assert office.hours_text is not None and office.hours_text[:40] in text


def _demo_values(demo: City) -> list[str]:
    values = [demo.name, demo.contact_phone, demo.contact_email, demo.road_closures_phone]
    values += [f"{demo.case_reference_prefix}-", *demo.public_email_domains]
    return [v for v in values if v]


def test_no_value_of_the_demo_city_in_answers_references_or_detection(
    city: tuple[Stack, Knowledge],
) -> None:
    """A second city is a second directory: its answers, its case references and the
    detector's public numbers are its own; nothing of the demo city's profile remains."""
    stack, knowledge = city
    demo = load_city(ROOT / "data" / "knowledge")
    own = load_city(DIRS["kb"])
    assert own.case_reference_prefix != demo.case_reference_prefix
    answers: list[str] = []

    # the general contact, twice not understood
    stack.say("import-second-fallback", "blorp quux zzkk")
    text = stack.say("import-second-fallback", "xyzzy plugh frobnicate")
    answers.append(text)
    assert f"Telefon {own.contact_phone}" in text and own.contact_email in text

    # no closures feed for this city: "not available", with this city's contact
    text = stack.say("import-second-closures", "Welche Straßen sind gesperrt?")
    answers.append(text)
    assert "nicht verfügbar" in text and own.contact_phone in text

    # a case at once: the reference carries this city's prefix
    sender = "import-second-case"
    text = stack.say(sender, "Ich bringe euch alle um")
    answers.append(text)
    refs = re.findall(r"Vorgangsnummer ([A-Z0-9-]+)", text)
    assert refs and refs[0].startswith(f"{own.case_reference_prefix}-"), text
    status, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and [t["reference"] for t in tickets] == refs[:1]

    # the detector: this city's exchange is public, the demo city's is a citizen's number
    own_office_phone = next(o.phone for o in knowledge.offices.values() if o.phone)
    ask = "Meine Nummer ist {}, wann hat das Bürgeramt auf?"
    text = stack.say("import-second-own", ask.format(own_office_phone))
    answers.append(text)
    assert "persönliche Daten" not in text
    text = stack.say("import-second-demo", ask.format(demo.contact_phone))
    assert "Ihre Nachricht enthält persönliche Daten" in text
    assert demo.contact_phone not in text  # a citizen's number is never echoed

    leaks = [(v, a) for a in answers for v in _demo_values(demo) if v in a]
    assert leaks == []


def test_the_accessibility_statement_is_the_imported_cities(
    city: tuple[Stack, Knowledge],
) -> None:
    """/barrierefreiheit and /en/accessibility render the draft the import wrote: the
    city's own name and contact, the open fields marked, nothing of the demo city's."""
    import html

    import yaml

    stack, _ = city
    own = load_city(DIRS["kb"])
    demo = load_city(ROOT / "data" / "knowledge")
    demo_statement = yaml.safe_load(
        (ROOT / "data" / "knowledge" / "accessibility.yml").read_text(encoding="utf-8")
    )
    leaks_of = [*_demo_values(demo), demo_statement["contact"]["email"]]
    leaks_of.append(demo_statement["enforcement"]["name"])
    for path, intro, mark in (
        ("/barrierefreiheit", "Die Stadt Beispielstadt möchte", "[ZU ERGÄNZEN:"),
        ("/en/accessibility", "The city of Beispielstadt wants", "[TO BE COMPLETED:"),
    ):
        status, page = stack.request("GET", f"{stack.web}{path}")
        assert status == 200, path
        page = html.unescape(page)
        assert intro in page and mark in page
        assert f"mailto:{own.contact_email}" in page
        assert "Landesbeauftragte für digitale Barrierefreiheit" in page  # state BE
        assert [v for v in leaks_of if v in page] == [], path
