"""English end to end through the REST webhook, real stack (issue 19).

Fixed clock: Monday 23.11.2026, 10:00 (Europe/Berlin). An English conversation gets English
answers with the data's offices, times and streets; names stay German with their gloss; a
German conversation in the same stack is unchanged; the citizen can switch.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest

pytestmark = pytest.mark.stack


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_english_opening_hours_with_gloss_and_english_times(stack):
    sender = new_sender("en-hours")
    text = stack.say(sender, "Is the citizens office open on Saturday?")
    # 28.11.2026 is not the first Saturday of the month: closed, next opening Monday 8 am
    assert "Bürgerbüro Mitte (Citizens' Office)" in text
    assert "on Saturday, 28 November 2026: closed – weekend" in text
    assert "Next opening: on Monday, 30 November 2026, 8:00 am." in text
    assert "Appointment required: https://termine.musterstadt.de/buergerbuero" in text
    assert "geschlossen" not in text and "Uhr" not in text
    # a follow-up keeps the language and the office
    follow = stack.say(sender, "and tomorrow?")
    assert "tomorrow (Tuesday, 24 November): 8:00 am–4:00 pm" in follow


def test_english_responsibility_and_fee(stack):
    sender = new_sender("en-resp")
    text = stack.say(sender, "Where do I register my address after I moved here?")
    assert "Responsible for „Wohnsitz anmelden (register your address)“" in text
    assert "Bürgerbüro Mitte (Citizens' Office)" in text and "Please bring:" in text
    # the data has English documents, fee and deadline for this service: no German left
    assert "Please bring: ID card or passport, landlord's confirmation" in text
    assert "Fee: free of charge" in text and "gebührenfrei" not in text
    # the passport's fee exists in German only: given as it is, and said so
    fee = stack.say(sender, "How much does a passport cost in the city?")
    assert "70,00 EUR (unter 24 Jahren 37,50 EUR) (in German)" in fee and "costs" in fee


def test_english_faq_answer_from_the_data_or_marked_german(stack):
    sender = new_sender("en-faq")
    assert "in English from now on" in stack.say(sender, "English please")
    text = stack.say(sender, '/ask_faq{"faq":"bezahlen_im_amt"}')
    assert text.startswith("In all citizens' offices and other offices you can pay")
    assert "(Source: https://www.musterstadt.de/bezahlen, as of 15 September 2026)" in text
    assert "(in German)" not in text
    text = stack.say(sender, '/ask_faq{"faq":"parken_rathaus"}')
    assert text.startswith("Am nächsten parken Sie im Parkhaus Marktstraße")
    assert "(in German)\n(Source:" in text


def test_english_road_closure_names_the_street_and_the_data_time(stack):
    sender = new_sender("en-road")
    text = stack.say(sender, "Is Brückenstraße closed for traffic right now?")
    assert text.startswith("Brückenstraße (Mitte): 1 report")
    assert "since 1 September 2026, 6:00 am until 31 December 2027, 6:00 pm" in text
    assert "(Source: the city's traffic information, as of" in text


def test_english_handoff_asks_consent_in_english(stack):
    sender = new_sender("en-human")
    text = stack.say(sender, "I would like to talk to a real person about my case please")
    assert "A member of the city's staff will help you" in text or "person from the team" in text
    assert "May I pass your request" in text
    created = stack.chat(sender, "/affirm")
    joined = " ".join(r.get("text", "") for r in created)
    assert "case number" in joined and "at the latest" in joined
    status, body = stack.request(
        "GET",
        f"{stack.web}/api/handoffs?sender_id={sender}",
        headers={"Authorization": f"Bearer {stack.handoff_api_token}"},
    )
    assert status == 200 and len(body) == 1
    # staff see the conversation's language in the inbox (the ticket's summary line)
    with sqlite3.connect(stack.state_dir / "handoff.db") as db:
        (summary,) = db.execute(
            "SELECT summary FROM tickets WHERE reference = ?", (body[0]["reference"],)
        ).fetchone()
    assert summary.startswith("[EN] ")


def test_switching_language_on_request_and_back(stack):
    sender = new_sender("en-switch")
    assert "Guten Tag" in stack.say(sender, "Hallo")
    assert "in English from now on" in stack.say(sender, "English please")
    assert "Hello!" in stack.say(sender, "Hallo")  # a short greeting keeps the language
    assert "auf Deutsch" in stack.say(sender, "Auf Deutsch bitte")
    assert "Standesamt, morgen: 08:30–12:00 und 13:30–15:30 Uhr" in stack.say(
        sender, "Wann hat das Standesamt morgen geöffnet?"
    )


def test_a_german_conversation_is_unchanged(stack):
    sender = new_sender("de-same")
    text = stack.say(sender, "Wann hat das Bürgerbüro am Samstag geöffnet?")
    assert "Bürgerbüro Mitte, am Samstag, 28.11.2026: geschlossen – Wochenende." in text
    assert "Nächste Öffnung: am Montag, 30.11.2026, 08:00 Uhr." in text
    assert "Citizens' Office" not in text
