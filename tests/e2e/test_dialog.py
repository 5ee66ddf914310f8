"""Multi-turn conversations end to end through the REST webhook (issue 13, dialogue side).

Fixed clock: Monday 23.11.2026, 10:00. Each test is one citizen's conversation; the
assertions are the facts of the demo city's data, not the wording around them.
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.stack


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_unknown_office_is_named_with_real_choices_never_another_entrys_hours(stack):
    replies = stack.chat(new_sender("dg-sued"), "Öffnungszeiten Bürgerbüro Süd am 24.12.")
    text = replies[0]["text"]
    assert "Bürgerbüro Süd" in text and "kenne ich leider nicht" in text
    assert [b["title"] for b in replies[0]["buttons"]] == ["Bürgerbüro Mitte", "Bürgerbüro Nord"]
    assert "Uhr" not in " ".join(r.get("text", "") for r in replies)  # no hours of Mitte


def test_fee_then_duration_of_the_passport(stack):
    sender = new_sender("dg-pass")
    first = stack.say(sender, "Was kostet ein Reisepass?")
    assert "70,00 EUR" in first and "Bürgerbüro Mitte" in first
    second = stack.say(sender, "Und wie lange dauert das?")
    assert "Reisepass" in second and "nicht angegeben" in second


def test_documents_after_who_is_responsible(stack):
    sender = new_sender("dg-kfz")
    assert "Kfz-Zulassungs- und Führerscheinstelle" in stack.say(
        sender, "Wer ist für die Kfz-Zulassung zuständig?"
    )
    text = stack.say(sender, "Was muss ich mitbringen?")
    assert "eVB-Nummer" in text and "Zulassungsbescheinigung" in text


def test_appointment_after_where_to_apply(stack):
    sender = new_sender("dg-termin")
    stack.say(sender, "Wo beantrage ich einen Reisepass?")
    replies = stack.chat(sender, "Brauche ich einen Termin?")
    assert replies[0]["text"].startswith("Ja")
    assert "https://termine.musterstadt.de/buergerbuero" in replies[0]["text"]
    assert replies[0]["buttons"][0]["payload"] == '/ask_responsibility{"service": "reisepass"}'


def test_opening_hours_without_office_then_the_office(stack):
    sender = new_sender("dg-fund")
    assert "Für welches Amt" in stack.say(sender, "Öffnungszeiten bitte")
    text = stack.say(sender, "Fundbüro")
    assert "Öffnungszeiten Fundbüro" in text or "Fundbüro, " in text
    assert "Mo 23.11.: 09:00–12:00 Uhr" in text or "09:00–12:00" in text


def test_insult_without_concern_gets_the_reminder_and_no_ticket(stack):
    sender = new_sender("dg-insult")
    text = stack.say(sender, "Ihr seid doch alle unfähige Idioten")
    assert "Netiquette" in text and "weitergeben" not in text
    status, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and tickets == []
    assert "Steueramt" in stack.say(sender, "Wann hat das Steueramt offen?")


def test_threat_goes_to_staff_at_once(stack):
    sender = new_sender("dg-threat")
    text = stack.say(sender, "Ich bringe euch alle um")
    assert "Drohungen nehmen wir ernst" in text and "Vorgangsnummer" in text
    status, tickets = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and len(tickets) == 1


def test_focus_service_hours_weekday_and_other_district(stack):
    sender = new_sender("dg-focus")
    assert "Bürgerbüro Mitte" in stack.say(sender, "Wo beantrage ich einen Personalausweis?")
    hours = stack.say(sender, "Und wann haben die auf?")
    assert "Öffnungszeiten Bürgerbüro Mitte" in hours
    saturday = stack.say(sender, "Und am Samstag?")
    assert "Bürgerbüro Mitte" in saturday and "Samstag" in saturday
    nord = stack.say(sender, "Und das in Nord?")
    assert "Bürgerbüro Nord" in nord


def test_new_question_with_its_own_office_replaces_the_focus(stack):
    sender = new_sender("dg-replace")
    stack.say(sender, "Was kostet ein Reisepass?")
    assert "Standesamt" in stack.say(sender, "Wann hat das Standesamt offen?")
    text = stack.say(sender, "Und wo ist das?")
    assert "Rathausplatz 1 (Raum 101)" in text  # the Standesamt's address, not the passport's


def test_unknown_service_is_not_answered_for_the_focus(stack):
    sender = new_sender("dg-angel")
    stack.say(sender, "Was kostet ein Reisepass?")
    text = stack.say(sender, "Was kostet ein Angelschein?")
    assert "70,00 EUR" not in text and "keine Informationen" in text
