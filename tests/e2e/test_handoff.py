"""Handoff end to end: reasons, consent, tickets, staff e-mail, interim message."""

from __future__ import annotations

import time
import uuid

import pytest

pytestmark = pytest.mark.stack
IBAN = "DE89 3704 0044 0532 0130 00"


def sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def tickets_of(stack, sender_id: str) -> list[dict]:
    status, body = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender_id}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200
    return body


def test_personal_data_on_website_explains_asks_consent_and_never_echoes(stack):
    s = sender("ho-iban")
    text = stack.say(s, f"Meine IBAN ist {IBAN}, wann hat das Steueramt auf?")
    assert "persönliche Daten" in text and "weitergeben" in text
    assert "3704" not in text and "DE89" not in text
    created = stack.say(s, "ja")
    assert "Vorgangsnummer" in created
    [ticket] = tickets_of(stack, s)
    assert ticket["reason"] == "personal_data" and ticket["channel"] == "rest"
    assert ticket["office"] == "steueramt"


def test_declined_consent_gives_contact_and_creates_nothing(stack):
    s = sender("ho-decline")
    assert "weitergeben" in stack.say(s, "Wurde mein Antrag auf Wohngeld schon bearbeitet?")
    text = stack.say(s, "nein")
    assert "ich gebe nichts weiter" in text and "Telefon" in text
    assert tickets_of(stack, s) == []


def test_plain_nein_to_consent_is_answered_not_a_miss(stack):
    s = sender("ho-nein")
    assert "weitergeben" in stack.say(s, "Ich möchte bitte mit einem Menschen sprechen")
    replies = stack.chat(s, "Nein")
    text = " ".join(r.get("text", "") for r in replies)
    assert text.startswith("Gut, ich gebe nichts weiter. So erreichen Sie")
    assert "nicht verstanden" not in text
    assert tickets_of(stack, s) == []


def test_homeless_tonight_gets_numbers_and_an_urgent_case(stack):
    s = sender("ho-social")
    replies = stack.chat(s, "Ich bin obdachlos und brauche heute einen Schlafplatz")
    assert "+49 2101 100-7700" in replies[0]["text"]
    text = " ".join(r.get("text", "") for r in replies)
    assert "keine Informationen" not in text and "dringend" in text
    [ticket] = tickets_of(stack, s)
    assert ticket["reason"] == "urgent_social" and ticket["office"] == "sozialamt"


def test_domestic_violence_names_the_hotline(stack):
    replies = stack.chat(sender("ho-violence"), "Mein Mann schlägt mich, ich weiß nicht wohin")
    text = " ".join(r.get("text", "") for r in replies)
    assert "116 016" in text and "110" in text


def test_emergency_numbers_come_first(stack):
    replies = stack.chat(sender("ho-112"), "Hilfe, bei uns im Haus brennt es!")
    assert "112" in replies[0]["text"]


def test_ticket_mail_and_one_interim_message(stack):
    s = sender("ho-mail")
    stack.say(s, "Ich möchte mit einem Menschen sprechen")
    created = stack.say(s, "ja")
    [ticket] = tickets_of(stack, s)
    assert ticket["reference"] in created
    deadline = time.monotonic() + 30
    mails = []
    while time.monotonic() < deadline and not mails:
        mails = [m for m in stack.mailbox.messages if ticket["reference"] in m.get_content()]
        time.sleep(0.5)
    assert mails, "no notification e-mail"
    assert ticket["reference"] not in mails[0]["Subject"]  # subjects travel in clear
    assert mails[0]["To"] == "buergerbuero@musterstadt.de"
    assert "Menschen" not in mails[0].get_content()  # no conversation content in e-mails

    def interim_count() -> int:
        _, tracker = stack.request(
            "GET", f"{stack.rasa}/conversations/{s}/tracker?token={stack.bot_api_token}"
        )
        return sum(
            1
            for e in tracker["events"]
            if e["event"] == "bot" and "an Ihrem Anliegen dran" in (e.get("text") or "")
        )

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and interim_count() == 0:
        time.sleep(0.5)
    assert interim_count() == 1
    time.sleep(5)  # two more job rounds: still once
    assert interim_count() == 1


def test_while_staff_work_on_it_a_message_goes_to_the_case_not_the_assistant(stack):
    s = sender("ho-pause")
    stack.say(s, "Ich möchte mit einem Menschen sprechen")
    stack.say(s, "ja")
    # acknowledged with the case (issue 16; no longer silent), not answered as a greeting
    text = stack.say(s, "Hallo, ist da jemand?")
    assert text.startswith("Ihre Nachricht ist beim Bürgerbüro Mitte angekommen")
    assert "Guten Tag" not in text
