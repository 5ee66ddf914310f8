"""Citizens report what is broken, on the real stack (REST, Telegram, website socket).

A report in one message, in three turns, an unknown street asked again, a duplicate
merged, a report on Telegram without personal data, and the done notice reaching the
citizen on Telegram and in the website chat. Office names, kinds and streets are read from
the shipped data, not written by hand. Own senders (``rep-…``) and Telegram chats
(9170xx, which no other test uses).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests

from bot import texts
from bot.knowledge.base import load_knowledge
from tests.e2e.conftest import add_staff_user
from tests.e2e.test_channels import tg_post, tg_update
from tests.e2e.test_delivery import Citizen, csrf

pytestmark = pytest.mark.stack
KNOWLEDGE = load_knowledge(Path(__file__).resolve().parents[2] / "data" / "knowledge")
PASSWORD = "meldungen-test-passwort"
REFERENCE = re.compile(r"MS-[A-Z0-9]{4}-[A-Z0-9]{4}")


def sender(prefix: str) -> str:
    return f"rep-{prefix}-{uuid.uuid4().hex[:8]}"


def office_at(service_id: str) -> str:
    return KNOWLEDGE.offices[KNOWLEDGE.services[service_id].office].at()


def kind(service_id: str) -> str:
    return KNOWLEDGE.services[service_id].name


def tickets_of(stack, sender_id: str) -> list[dict]:
    status, body = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender_id}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200, body
    return body


@pytest.fixture(scope="module")
def caseworker(stack) -> requests.Session:
    add_staff_user(stack, "rita", PASSWORD, role="admin")
    http = requests.Session()
    resp = http.post(f"{stack.web}/staff/login", data={"username": "rita", "password": PASSWORD})
    assert resp.status_code == 200
    return http


def mark_done(stack, http: requests.Session, reference: str, note: str) -> str:
    page = f"{stack.web}/staff/tickets/{reference}"
    resp = http.post(f"{page}/report-done", data={"csrf": csrf(http, page), "note": note})
    assert resp.status_code == 200
    return resp.text


def test_a_report_in_one_message_needs_no_question_and_opens_no_case_conversation(stack):
    s = sender("one")
    answer = stack.say(s, "In der Lindenallee 12 steht seit Wochen ein Auto ohne Kennzeichen")
    assert "Danke, Ihre Meldung MS-" in answer, answer
    assert f"ist {office_at('schrottfahrzeug')}: „{kind('schrottfahrzeug')}“" in answer
    assert "Lindenallee 12" in answer and "Wir melden uns bis spätestens" in answer
    (ticket,) = tickets_of(stack, s)
    assert (ticket["reason"], ticket["office"]) == ("report", "ordnungsamt")
    assert ticket["reference"] in answer
    # the citizen asks on: a normal answer, not "Ihre Nachricht ist beim Team"
    follow = stack.say(s, "Wann hat das Bürgerbüro Mitte geöffnet?")
    assert "Bürgerbüro Mitte" in follow and "Vorgang" not in follow, follow


def test_a_report_in_three_turns_and_a_duplicate_merged(stack):
    s = sender("three")
    assert "Was möchten Sie melden?" in stack.say(s, "Ich möchte etwas melden")
    where = stack.say(s, "Müll abgeladen")
    assert f"Wo genau ist das („{kind('wilder_muell')}“)?" in where, where
    created = stack.say(s, "Am Stadtpark Höhe Spielplatz")
    assert f"ist {office_at('wilder_muell')}" in created and "Am Stadtpark" in created, created
    reference = REFERENCE.search(created).group(0)
    # someone else reports the same place in one message: merged, not a second case
    other = sender("dup")
    again = stack.say(other, "Jemand hat Müll abgeladen, Am Stadtpark Höhe Spielplatz")
    assert "bereits gemeldet" in again and reference in again, again
    assert tickets_of(stack, other) == []


def test_an_unknown_street_is_asked_again(stack):
    s = sender("street")
    where = stack.say(s, "Ich möchte ein Schlagloch melden")
    assert "Wo genau ist das" in where, where
    replies = stack.chat(s, "Kaiserallee 3")
    text = " ".join(r.get("text", "") for r in replies)
    assert "Die Straße „Kaiserallee“ kenne ich in Musterstadt nicht" in text, text
    buttons = [b["payload"] for r in replies for b in r.get("buttons") or []]
    assert "Kaiserstraße 3" in buttons
    created = stack.say(s, "Kaiserstraße 3")
    assert "Danke, Ihre Meldung" in created and "Kaiserstraße 3" in created, created


@pytest.mark.parametrize(
    "message",
    [
        "In der Hauptstraße 20 steht ein Schrottauto",
        "In der Brückenstraße 5 ist ein tiefes Schlagloch",
    ],
)
def test_a_report_naming_a_street_is_a_report_not_a_closures_answer(stack, message):
    s = sender("street-words")
    answer = stack.say(s, message)
    assert "Danke, Ihre Meldung" in answer or "bereits gemeldet" in answer, answer
    assert "Quelle: Verkehrsinformationen" not in answer


def test_a_telegram_report_without_personal_data_hears_back_when_done(stack, caseworker):
    chat_id = 917001
    update = tg_update("text_message", chat_id)
    update["message"]["text"] = "Schlagloch in der Goethestraße 8, seit gestern"
    assert tg_post(stack, update) == 200
    received = stack.platforms.wait_for("telegram", str(chat_id), 1)
    joined = " ".join(received)
    assert "Danke, Ihre Meldung" in joined, received
    # nothing personal is asked on a US messenger
    assert not re.search(r"Telefon|E-Mail|Ihr Name|Adresse", joined), joined
    reference = REFERENCE.search(joined).group(0)
    page = caseworker.get(f"{stack.web}/staff/tickets/{reference}").text
    assert "Meldung: " + kind("schlagloch") in page and "Kennungen entfernt" in page
    answer = mark_done(stack, caseworker, reference, "Die Stelle ist ausgebessert.")
    assert "Nachricht an 1 von 1" in answer, answer[-1500:]
    sent = stack.platforms.wait_for("telegram", str(chat_id), 2)
    assert any(reference in t and "erledigt" in t and "ausgebessert" in t for t in sent), sent
    # the jobs ran meanwhile (every 2 s, interim after 0 h here): a report gets no
    # "wir sind dran" interim message, it hears back when it is done
    interim = texts.text("de", "staff.interim")
    assert all(interim not in t for t in stack.platforms.texts("telegram", str(chat_id)))


def test_the_done_notice_reaches_the_website_chat(stack, caseworker):
    citizen = Citizen(stack.rasa)
    try:
        created = citizen.say("Autowrack in der Schulstraße 7", "Ihre Meldung")
        reference = REFERENCE.search(created).group(0)
        answer = mark_done(stack, caseworker, reference, "")
        assert "Nachricht an 1 von 1" in answer, answer[-1500:]
        notice = citizen.wait("ist erledigt")
        assert reference in notice
    finally:
        citizen.close()


def test_a_photo_from_the_website_is_stored_without_metadata(stack, caseworker):
    import io

    from PIL import Image

    from tests.unit.test_reports import _jpeg_with_gps

    citizen = Citizen(stack.rasa)
    try:
        created = citizen.say("Schlagloch in der Gartenstraße 14", "Foto anhängen")
        reference = REFERENCE.search(created).group(0)
        session = citizen.session
    finally:
        citizen.close()
    url = f"{stack.web}/meldung/{reference}/foto"
    photo = {"photo": ("foto.jpg", _jpeg_with_gps(), "image/jpeg")}
    assert requests.post(url, data={"session": "someone-else"}, files=photo).status_code == 404
    text = {"photo": ("foto.jpg", b"not an image", "image/jpeg")}
    refused = requests.post(url, data={"session": session}, files=text)
    assert refused.status_code == 400 and "kein lesbares Foto" in refused.json()["error"]
    ok = requests.post(url, data={"session": session}, files=photo)
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    page = caseworker.get(f"{stack.web}/staff/tickets/{reference}").text
    src = re.search(rf"/staff/tickets/{reference}/photos/\d+", page).group(0)
    stored = caseworker.get(f"{stack.web}{src}")
    assert stored.headers["Content-Type"] == "image/jpeg"
    assert b"PhoneMaker" not in stored.content
    assert not Image.open(io.BytesIO(stored.content)).getexif()
