"""Reports of what is broken (bot.dialogue.report, bot.knowledge.reports, the store).

Real SQLite case store, the shipped knowledge (services with ``report: true``,
reports.yml, streets.yml) and handoff.yml. Expected office names, due days and kinds are
read from the data, never written by hand.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot import texts
from bot.case_policy import REPORT_ACTION, next_action
from bot.cases import conversation
from bot.cases import store as cases
from bot.cases.resume import hash_token
from bot.dialogue import report
from bot.dialogue.handoff import working_day
from bot.dialogue.responsibilities import answer as responsibility
from bot.handoff.due import due_in_words, due_time
from bot.handoff.policy import HandoffConfig
from bot.handoff.tickets import Outbox
from bot.knowledge.reports import find_place, load_settings, load_streets
from bot.store import make_engine, reports, tickets
from bot.training import load_templates, report_examples
from bot.web.auth import User

KNOWLEDGE_DIR = Path("data/knowledge")
CONFIG = HandoffConfig.load(KNOWLEDGE_DIR / "handoff.yml")
SETTINGS = load_settings(KNOWLEDGE_DIR)
STREETS = load_streets(KNOWLEDGE_DIR)
# Tuesday 1 December 2026, 10:00
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def engine(tmp_path):
    return make_engine(f"sqlite:///{tmp_path / 'h.db'}")


@pytest.fixture
def setup(knowledge, engine, tmp_path):
    return report.ReportSetup(
        knowledge=knowledge,
        settings=SETTINGS,
        streets=STREETS,
        config=CONFIG,
        engine_factory=lambda: engine,
        outbox=Outbox(tmp_path / "outbox"),
    )


def entity(service_id: str) -> dict:
    return {"entity": "service", "value": service_id}


class Chat:
    """One citizen's conversation with action_report: the slots carry over."""

    def __init__(self, setup, sender="web-r1", channel="socketio", language="de"):
        self.setup, self.sender, self.channel, self.language = setup, sender, channel, language
        self.slots: dict = {}
        self.n = 0

    def say(self, text, intent="report_problem", entities=(), now=NOW):
        self.n += 1
        msg = report.ReportMessage(
            sender_id=self.sender,
            channel=self.channel,
            text=text,
            intent=intent,
            entities=list(entities),
            key=f"{self.sender}:{self.n}",
            language=self.language,
        )
        result = report.handle(self.setup, msg, dict(self.slots), now)
        self.slots.update(result.outcome.slots)
        return result


def names(result) -> list[str]:
    return [r.response for r in result.outcome.replies]


def expected_confirmation(knowledge, service_id: str, now=NOW) -> dict[str, str]:
    """What the confirmation must say, derived from the data."""
    service = knowledge.services[service_id]
    office = knowledge.offices[service.office]
    days = service.report_due_days or SETTINGS.due_days
    due = due_time(now, working_day(knowledge, office), 24.0 * days)
    return {"office_at": office.at(), "kind": service.name, "due": due_in_words(due, now)}


# --- the data ---------------------------------------------------------------------------


def test_reportable_services_carry_what_and_where_and_the_data_validates(knowledge):
    from bot.knowledge.reports import validate

    kinds = [s for s in knowledge.services.values() if s.report]
    assert {s.id for s in kinds} >= {"schrottfahrzeug", "schlagloch", "wilder_muell"}
    for s in kinds:
        assert s.report_fields[:2] == ("what", "where")
    assert validate(KNOWLEDGE_DIR) == []


@pytest.mark.parametrize(
    ("text", "street", "number"),
    [
        ("In der Lindenallee 12 steht seit Wochen ein Auto ohne Kennzeichen", "Lindenallee", "12"),
        ("Jemand hat Müll abgeladen, Am Stadtpark Höhe Spielplatz", "Am Stadtpark", ""),
        ("Lindenalle 12", "Lindenallee", "12"),  # a typo within the measured threshold
        ("Goethestrase 3a", "Goethestraße", "3a"),
        ("Schlagloch seit 3 Wochen in der Ringstraße 44", "Ringstraße", "44"),
        ("am Hauptbahnhof", "Bahnhofstraße", ""),  # a landmark
    ],
)
def test_the_place_of_a_message(text, street, number):
    place = find_place(text, STREETS).place
    assert place is not None and (place.street, place.number) == (street, number)


def test_an_unknown_street_gets_the_closest_names_and_nothing_else_is_a_place():
    result = find_place("Kaiserallee 3", STREETS)
    assert result.place is None and result.unknown == "Kaiserallee"
    assert result.suggestions[0] == "Kaiserstraße"
    assert find_place("vor dem Rathaus", STREETS).unknown == ""


def test_streets_of_the_closures_feed_count_too():
    extended = STREETS.with_feed(["Blumenweg (Süd)"])
    assert find_place("Blumenweg 4", extended).place.street == "Blumenweg"
    assert find_place("Blumenweg 4", STREETS).place is None


def test_report_examples_are_generated_from_the_reportable_services(knowledge):
    examples = report_examples(knowledge, load_templates(KNOWLEDGE_DIR), set(), STREETS.streets)
    kinds = {s.id for s in knowledge.services.values() if s.report}
    for kind in kinds:
        assert any(f'"value": "{kind}"' in e for e in examples), kind
    assert all("(street)" in e for e in examples)
    # nothing for a service that is not reportable
    assert not any('"value": "personalausweis"' in e for e in examples)


# --- the conversation -------------------------------------------------------------------


def test_one_message_with_everything_needs_no_question(setup, engine, knowledge):
    chat = Chat(setup)
    result = chat.say(
        "In der Lindenallee 12 steht seit Wochen ein Auto ohne Kennzeichen",
        entities=[entity("schrottfahrzeug")],
    )
    assert names(result) == [
        "utter_report_created",
        "utter_report_photo_hint",
        "utter_report_status_link",  # the website citizen may close the chat
    ]
    variables = result.outcome.replies[0].variables
    assert variables | expected_confirmation(knowledge, "schrottfahrzeug") == variables
    assert variables["place"] == "Lindenallee 12"
    assert chat.slots["report_stage"] is None
    with engine.connect() as conn:
        ticket = conn.execute(sa.select(tickets)).one()
        row = conn.execute(sa.select(reports)).one()
    assert ticket.reason == "report" and ticket.office == "ordnungsamt"
    assert ticket.reference == variables["reference"]
    assert ticket.reference.startswith(f"{texts_prefix()}-")
    assert (row.kind, row.street, row.house_number, row.observed) == (
        "schrottfahrzeug",
        "Lindenallee",
        "12",
        "seit Wochen",
    )
    # the report opens no case conversation: the citizen asks on freely
    assert conversation.open_case(engine, "web-r1") is None


def texts_prefix() -> str:
    from bot.city import load_city

    return load_city(KNOWLEDGE_DIR).case_reference_prefix


def test_due_in_working_days_skips_the_weekend(setup, knowledge):
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    result = Chat(setup).say(
        "Schlagloch in der Hauptstraße 20", entities=[entity("schlagloch")], now=friday
    )
    days = knowledge.services["schlagloch"].report_due_days
    assert days == 5
    # five working days from Friday 16:00: Monday to Friday of the next week
    assert "11.12.2026" in result.outcome.replies[0].variables["due"]


def test_a_report_in_three_turns(setup, knowledge):
    chat = Chat(setup)
    first = chat.say("Ich möchte etwas melden")
    assert names(first) == ["utter_report_ask_what"]
    kinds = {b["payload"] for b in first.outcome.replies[0].buttons}
    assert '/report_problem{"service": "wilder_muell"}' in kinds
    assert chat.slots["report_stage"] == "collecting"
    second = chat.say("Müll abgeladen", intent="nlu_fallback")
    assert names(second) == ["utter_report_ask_where"]
    assert second.outcome.replies[0].variables["kind"] == knowledge.services["wilder_muell"].name
    third = chat.say("Am Stadtpark Höhe Spielplatz", intent="ask_road_closures")
    assert names(third)[0] == "utter_report_created"
    assert third.outcome.replies[0].variables["place"] == "Am Stadtpark"
    assert chat.slots["report_stage"] is None


def test_an_unknown_street_is_asked_again_with_suggestions(setup):
    chat = Chat(setup)
    chat.say("Ein Schrottauto", entities=[entity("schrottfahrzeug")])
    again = chat.say("Kaiserallee 3", intent="ask_road_closures")
    assert names(again) == ["utter_report_street_unknown"]
    assert again.outcome.replies[0].variables["street"] == "Kaiserallee"
    assert again.outcome.replies[0].buttons[0] == {
        "title": "Kaiserstraße 3",
        "payload": "Kaiserstraße 3",
    }
    assert chat.slots["report_stage"] == "collecting"
    done = chat.say("Kaiserstraße 3", intent="ask_road_closures")
    assert names(done)[0] == "utter_report_created"


def test_cancel_words_in_german_and_english_drop_the_report(setup, engine):
    for word, lang in (("abbrechen", "de"), ("never mind", "en")):
        chat = Chat(setup, sender=f"web-c-{lang}", language=lang)
        chat.say("Schlagloch", entities=[entity("schlagloch")])
        result = chat.say(word, intent="deny")
        assert names(result) == ["utter_report_cancelled"]
        assert chat.slots["report_stage"] is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tickets)).scalar() == 0


def test_a_new_question_or_a_handoff_reason_ends_the_report(setup):
    chat = Chat(setup)
    chat.say("Schlagloch", entities=[entity("schlagloch")])
    question = chat.say("Wann hat das Bürgerbüro offen?", intent="ask_opening_hours")
    assert question.followup == "action_opening_hours" and chat.slots["report_stage"] is None
    chat.say("Schlagloch", entities=[entity("schlagloch")])
    handoff = chat.say("Meine Nummer ist 0171 2345678", intent="handoff_detected")
    assert handoff.followup == "action_handoff" and chat.slots["report_stage"] is None


def test_a_duplicate_is_merged_and_counted(setup, engine, knowledge):
    first = Chat(setup, sender="web-d1").say(
        "Schlagloch in der Hauptstraße 20", entities=[entity("schlagloch")]
    )
    reference = first.outcome.replies[0].variables["reference"]
    later = NOW + timedelta(days=2)
    second = Chat(setup, sender="tg-d2", channel="telegram").say(
        "Riesiges Schlagloch Hauptstraße 22", entities=[entity("schlagloch")], now=later
    )
    assert names(second) == ["utter_report_duplicate"]
    assert second.outcome.replies[0].variables["reference"] == reference
    # too far away (house numbers), another kind, or after the window: a case of its own
    far = Chat(setup, sender="web-d3").say(
        "Schlagloch in der Hauptstraße 40", entities=[entity("schlagloch")], now=later
    )
    other = Chat(setup, sender="web-d4").say(
        "Schrottauto Hauptstraße 20", entities=[entity("schrottfahrzeug")], now=later
    )
    late = NOW + timedelta(days=SETTINGS.window_days + 1)
    after = Chat(setup, sender="web-d5").say(
        "Schlagloch Hauptstraße 20", entities=[entity("schlagloch")], now=late
    )
    for result in (far, other, after):
        assert names(result)[0] == "utter_report_created"
    with engine.connect() as conn:
        case_id = conn.execute(
            sa.select(tickets.c.id).where(tickets.c.reference == reference)
        ).scalar()
    rows = cases.report_rows(engine, case_id)
    assert [(r["sender_id"], r["duplicate"]) for r in rows] == [("web-d1", False), ("tg-d2", True)]
    assert any("2. Meldung" in m["text"] for m in cases.messages(engine, case_id))


def test_a_report_on_telegram_stores_no_personal_data(setup, engine):
    chat = Chat(setup, sender="tg-r9", channel="telegram")
    result = chat.say(
        "Schrottauto in der Lindenallee 12, ruft mich an 0171 2345678",
        entities=[entity("schrottfahrzeug")],
    )
    assert names(result) == ["utter_report_created"]  # no photo hint off the website
    with engine.connect() as conn:
        ticket = conn.execute(sa.select(tickets)).one()
        row = conn.execute(sa.select(reports)).one()
    assert ticket.redacted
    assert "2345678" not in ticket.summary and "2345678" not in row.description


def _with_contact(setup, knowledge):
    import dataclasses

    service = dataclasses.replace(
        knowledge.services["schlagloch"], report_fields=("what", "where", "contact")
    )
    setup.knowledge = dataclasses.replace(
        knowledge, services={**knowledge.services, "schlagloch": service}
    )


def test_a_kind_that_wants_a_contact_points_a_messenger_to_the_website(setup, knowledge):
    _with_contact(setup, knowledge)
    result = Chat(setup, sender="tg-c1", channel="telegram").say(
        "Schlagloch Hauptstraße 3", entities=[entity("schlagloch")]
    )
    assert names(result) == ["utter_report_created", "utter_report_contact_website"]


def test_a_kind_that_wants_a_contact_asks_for_it_on_the_website(setup, knowledge, engine):
    _with_contact(setup, knowledge)
    chat = Chat(setup, sender="web-c2")
    asked = chat.say("Schlagloch Hauptstraße 5", entities=[entity("schlagloch")])
    assert names(asked) == ["utter_report_ask_contact"]
    # a phone number is a handoff reason elsewhere; here it is the answer
    done = chat.say("0171 2345678", intent="handoff_detected")
    assert names(done)[0] == "utter_report_created" and done.followup is None
    chat2 = Chat(setup, sender="web-c3")
    chat2.say("Schlagloch Hauptstraße 31", entities=[entity("schlagloch")])
    assert names(chat2.say("nein danke", intent="deny"))[0] == "utter_report_created"
    with engine.connect() as conn:
        rows = {r.sender_id: r.description for r in conn.execute(sa.select(reports))}
    assert "Kontakt: 0171 2345678" in rows["web-c2"] and "Kontakt" not in rows["web-c3"]


def test_the_responsibility_answer_offers_to_report_it_here(knowledge):
    out = responsibility(knowledge, "Wer ist für Schrottautos zuständig?", [], {})
    assert [r.response for r in out.replies][-1] == "utter_report_offer"
    button = out.replies[-1].buttons[0]
    assert button["payload"] == '/report_problem{"service": "schrottfahrzeug"}'
    plain = responsibility(knowledge, "Personalausweis beantragen", [], {})
    assert "utter_report_offer" not in [r.response for r in plain.replies]


def test_the_policy_sends_answers_to_the_report_and_ends_the_turn_after_it():
    passing = {"session_start"}
    assert (
        next_action(None, "action_listen", "ask_road_closures", [], passing, "collecting")
        == REPORT_ACTION
    )
    assert (
        next_action(None, REPORT_ACTION, "ask_road_closures", [REPORT_ACTION], passing, None)
        == "action_listen"
    )
    assert next_action(None, "action_listen", "greet", [], passing, None) is None
    assert next_action(None, "action_listen", "session_start", [], passing, "collecting") is None


# --- done -------------------------------------------------------------------------------


def test_done_closes_the_case_and_stores_a_notice_per_reporter(setup, engine):
    first = Chat(setup, sender="web-n1").say(
        "Schlagloch Hauptstraße 20", entities=[entity("schlagloch")]
    )
    Chat(setup, sender="tg-n2", channel="telegram", language="en").say(
        "pothole Hauptstraße 21", entities=[entity("schlagloch")]
    )
    reference = first.outcome.replies[0].variables["reference"]
    desk = cases.Desk(engine, User("olga", "staff", "tiefbauamt"), {"tiefbauamt"})
    row = desk.get(reference)

    def notice(lang: str) -> str:
        return report.done_notice(lang, reference, "Schlagloch", "Hauptstraße 20", "Geflickt.")

    sent = desk.report_done(row, notice, NOW)
    assert [sender for _, sender in sent] == ["web-n1", "tg-n2"]
    texts_sent = [cases.message(engine, mid)["text"] for mid, _ in sent]
    assert texts_sent[0].startswith(
        texts.text(
            "de", "report.done", reference=reference, kind="Schlagloch", place="Hauptstraße 20"
        )
    )
    assert texts_sent[1].startswith("Good news") and "Geflickt." in texts_sent[1]
    assert desk.get(reference).status == "erledigt"


def test_erasing_a_report_case_erases_its_reports(setup, engine):
    Chat(setup, sender="web-e1").say("Schlagloch Hauptstraße 20", entities=[entity("schlagloch")])
    with engine.begin() as conn:
        ids = [r.id for r in conn.execute(sa.select(tickets.c.id))]
        assert cases.delete_cases(conn, ids) == (1, 0)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar() == 0


# --- photos -----------------------------------------------------------------------------


def _jpeg_with_gps(size=(40, 30)) -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to stand upright
    gps = {1: "N", 2: (50.0, 55.0, 12.0), 3: "E", 4: (6.0, 57.0, 3.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_loses_its_metadata_and_keeps_standing_upright():
    import io

    from PIL import Image

    from bot.cases.photos import clean

    raw = _jpeg_with_gps()
    assert b"PhoneMaker" in raw and Image.open(io.BytesIO(raw)).getexif()
    photo = clean(raw, SETTINGS)
    stored = Image.open(io.BytesIO(photo.data))
    assert photo.content_type == "image/jpeg"
    assert b"PhoneMaker" not in photo.data and b"Exif" not in photo.data
    assert not stored.getexif() and "exif" not in stored.info
    assert photo.size == (30, 40) == stored.size  # the orientation was applied


@pytest.mark.parametrize(
    ("limits", "data", "why"),
    [
        ({"photo_max_bytes": 100}, "jpeg", "zu groß"),
        ({"photo_max_pixels": 10_000}, "big", "Bildpunkte"),
        ({}, "gif", "JPEG oder PNG"),
        ({}, "text", "kein lesbares Foto"),
        ({}, "empty", "leer"),
    ],
)
def test_a_photo_outside_the_limits_is_refused(limits, data, why):
    import dataclasses
    import io

    from PIL import Image

    from bot.cases.photos import PhotoRejected, clean

    def image(fmt: str, size=(40, 30)) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", size).save(out, format=fmt)
        return out.getvalue()

    body = {
        "jpeg": _jpeg_with_gps(),
        "big": image("PNG", (200, 100)),
        "gif": image("GIF"),
        "text": b"<script>alert(1)</script>",
        "empty": b"",
    }[data]
    with pytest.raises(PhotoRejected, match=why):
        clean(body, dataclasses.replace(SETTINGS, **limits))


def test_a_photo_is_stored_only_with_the_citizens_own_open_report(setup, engine):
    from bot.cases.photos import clean

    result = Chat(setup, sender="web-p1").say(
        "Schlagloch Hauptstraße 9", entities=[entity("schlagloch")]
    )
    reference = result.outcome.replies[0].variables["reference"]
    assert result.outcome.replies[1].variables == {"reference": reference}
    photo = clean(_jpeg_with_gps(), SETTINGS)
    assert not cases.add_report_photo(engine, reference, "someone-else", photo, NOW)
    assert cases.add_report_photo(engine, reference, "web-p1", photo, NOW)
    with engine.connect() as conn:
        case_id = conn.execute(sa.select(tickets.c.id)).scalar()
    (listed,) = cases.report_photo_list(engine, case_id)
    assert cases.report_photo(engine, case_id, listed["id"])["data"] == photo.data


def test_a_report_intent_without_a_place_is_answered_as_what_it_is(setup):
    # what DIET called a report, but names no place: a question who handles it gets the
    # office (with the offer), and so does a message without a reportable kind
    question = Chat(setup).say(
        "Seit drei Wochen steht hier ein Autowrack. Wer kümmert sich um so etwas?",
        entities=[entity("schrottfahrzeug")],
    )
    assert question.followup == "action_responsibility" and not question.outcome.replies
    other = Chat(setup).say("Mein Nachbar parkt immer auf dem Gehweg")
    assert other.followup == "action_responsibility" and not other.outcome.replies
    # a statement without a place is still taken: "Wo genau ist das?"
    statement = Chat(setup).say("Da steht ein Autowrack", entities=[entity("schrottfahrzeug")])
    assert names(statement) == ["utter_report_ask_where"]


def test_erasing_a_duplicate_reporter_removes_only_their_report(setup, engine):
    first = Chat(setup, sender="web-x1").say(
        "Schlagloch Hauptstraße 50", entities=[entity("schlagloch")]
    )
    Chat(setup, sender="web-x2").say("Schlagloch Hauptstraße 51", entities=[entity("schlagloch")])
    with engine.begin() as conn:
        assert cases.delete_reports_of(conn, {"web-x2"}) == 1
    reference = first.outcome.replies[0].variables["reference"]
    row = cases.by_reference(engine, reference)
    assert [r["sender_id"] for r in cases.report_rows(engine, row.id)] == ["web-x1"]


# --- the status page of a website report (/meldung/<token>) -----------------------------


def _token_of(result) -> str:
    link = next(r for r in result.outcome.replies if r.response == "utter_report_status_link")
    url = link.variables["url"]
    assert url.startswith(SETTINGS.status_url.split("{token}")[0])
    return url.rsplit("/", 1)[1]


def test_a_website_report_links_to_its_state_and_a_messenger_report_does_not(setup, engine):
    web = Chat(setup, sender="web-s1").say(
        "Schlagloch in der Hauptstraße 20", entities=[entity("schlagloch")]
    )
    token = _token_of(web)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(reports.c.status_token_hash)).scalar_one()
    assert stored == hash_token(token) and token not in stored  # only the hash is kept
    status = cases.report_status(engine, hash_token(token))
    assert status is not None and status.open and status.street == "Hauptstraße"
    assert status.reference == web.outcome.replies[0].variables["reference"]
    tg = Chat(setup, sender="tg-s2", channel="telegram").say(
        "Schlagloch in der Gartenstraße 3", entities=[entity("schlagloch")]
    )
    assert "utter_report_status_link" not in names(tg)  # the done notice reaches Telegram
    assert cases.report_status(engine, hash_token("not-a-token")) is None
    assert cases.report_status(engine, "") is None


def test_a_duplicate_on_the_website_gets_a_link_to_the_first_case(setup, engine):
    Chat(setup, sender="tg-s3", channel="telegram").say(
        "Schlagloch Hauptstraße 20", entities=[entity("schlagloch")]
    )
    second = Chat(setup, sender="web-s4").say(
        "Schlagloch Hauptstraße 22", entities=[entity("schlagloch")]
    )
    assert names(second) == ["utter_report_duplicate", "utter_report_status_link"]
    status = cases.report_status(engine, hash_token(_token_of(second)))
    assert status is not None
    assert status.reference == second.outcome.replies[0].variables["reference"]


def test_the_status_page_shows_the_state_and_then_the_done_notice(setup, engine, knowledge):
    from bot.web.report_status import page

    result = Chat(setup, sender="web-s5").say(
        "Schlagloch in der Hauptstraße 20", entities=[entity("schlagloch")]
    )
    reference = result.outcome.replies[0].variables["reference"]
    token_hash = hash_token(_token_of(result))
    office = knowledge.offices[knowledge.services["schlagloch"].office]
    before = page(knowledge, cases.report_status(engine, token_hash), NOW)
    assert before["lang"] == "de" and reference in before["title"]
    assert any(office.at() in line and "Wir melden uns" in line for line in before["lines"])
    assert any("Hauptstraße 20" in line for line in before["lines"])
    desk = cases.Desk(engine, User("olga", "staff", office.id), {office.id})
    desk.report_done(
        desk.get(reference),
        lambda lang: report.done_notice(
            lang, reference, "Schlagloch", "Hauptstraße 20", "Geflickt."
        ),
        NOW + timedelta(days=1),
    )
    after = page(knowledge, cases.report_status(engine, token_hash), NOW + timedelta(days=1))
    joined = " ".join(after["lines"])
    assert "Erledigt am 02.12.2026" in joined and "Geflickt." in joined
    assert "Wir melden uns" not in joined
    closed = page(
        knowledge,
        dataclasses.replace(cases.report_status(engine, token_hash), done_notice=None),
        NOW + timedelta(days=1),
    )
    assert "Abgeschlossen am 02.12.2026" in " ".join(closed["lines"])  # not claimed as done
    unknown = page(knowledge, None, NOW)
    assert unknown["title"] == "" and unknown["lines"] == [
        texts.text("de", "report.status_unknown")
    ]


async def test_the_status_page_is_served_by_the_web_app_without_caching(tmp_path, knowledge):
    from tests.webserver import app_settings, running_app

    settings = app_settings(tmp_path / "state", "2026-12-01T10:00:00+01:00")
    engine = make_engine(settings.handoff_db_url)
    setup = report.ReportSetup(
        knowledge=knowledge,
        settings=SETTINGS,
        streets=STREETS,
        config=CONFIG,
        engine_factory=lambda: engine,
        outbox=Outbox(tmp_path / "outbox"),
    )
    result = Chat(setup, sender="web-s6").say(
        "Schlagloch in der Hauptstraße 20", entities=[entity("schlagloch")]
    )
    token = _token_of(result)
    reference = result.outcome.replies[0].variables["reference"]
    async with running_app(settings) as web:
        async with web.http.get(f"{web.url}/meldung/{token}") as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            assert resp.headers["X-Robots-Tag"] == "noindex"
            found = await resp.text()
        async with web.http.get(f"{web.url}/meldung/{'x' * 32}") as resp:
            assert resp.status == 404
            missing = await resp.text()
        async with web.http.get(f"{web.url}/meldung/<script>") as resp:
            assert resp.status == 404
    assert '<html lang="de">' in found and reference in found and "Hauptstraße 20" in found
    assert texts.text("de", "report.status_unknown") in missing and reference not in missing
