"""The inbox says honestly when a reply did not arrive, and lets the caseworker send it again.

The web app on a real server; Rasa is not running here (nothing listens on its port), the
case the issue names: "Rasa did not take it" must never read as delivered. The channel's
own confirmation is tested in tests/unit/test_delivery.py and e2e test_delivery.py.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from bot.store import audit_log, make_engine, message_deliveries, ticket_messages
from tests.unit.test_web_staff import csrf_of, login, settings  # noqa: F401  (fixture)
from tests.webserver import running_app

PAGE = "/staff/tickets/MS-TEST-0000"


async def test_an_undelivered_reply_is_marked_in_the_case_and_the_inbox_and_can_be_resent(
    settings,  # noqa: F811
):
    async with running_app(settings) as web:
        await login(web)
        csrf = await csrf_of(web, PAGE)
        async with web.http.post(
            f"{web.url}{PAGE}/reply", data={"csrf": csrf, "text": "Guten Tag, wir prüfen das."}
        ) as resp:
            answer = await resp.text()
        assert "nicht zugestellt" in answer and "Antwort gesendet" not in answer
        assert "Erneut senden" in answer
        mid = int(re.search(r"/resend/(\d+)", answer).group(1))
        async with web.http.get(f"{web.url}/staff/") as resp:
            inbox = await resp.text()
        row = re.search(r'<tr[^>]*data-reference="MS-TEST-0000".*?</tr>', inbox, re.S).group(0)
        assert "Antwort nicht zugestellt" in row
        async with web.http.post(f"{web.url}{PAGE}/resend/{mid}", data={"csrf": csrf}) as resp:
            again = await resp.text()
        assert "nicht zugestellt" in again
        # another office's caseworker cannot resend it
        await web.http.post(f"{web.url}/staff/logout", data={"csrf": csrf})
        await login(web, username="sven")
        other = await csrf_of(web, "/staff/")
        async with web.http.post(
            f"{web.url}{PAGE}/resend/{mid}", data={"csrf": other}, allow_redirects=False
        ) as resp:
            assert resp.status == 403
    engine = make_engine(settings.handoff_db_url)
    with engine.connect() as conn:
        msg = conn.execute(sa.select(ticket_messages)).one()
        state = conn.execute(sa.select(message_deliveries)).one()
        actions = [
            (r.actor, r.action)
            for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.id))
            if r.action in ("reply", "resend", "denied")
        ]
        first = conn.execute(sa.text("SELECT first_response_at FROM tickets WHERE id = 1")).scalar()
    assert (msg.kind, msg.delivered) == ("reply", False)
    assert (state.state, state.detail, state.attempts) == (
        "nicht_zugestellt",
        "assistant not reachable",
        2,
    )
    assert actions == [("anna", "reply"), ("anna", "resend"), ("sven", "denied")]
    assert first is None  # an undelivered reply is no first response
