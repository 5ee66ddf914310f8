"""Background jobs of the web app: staff e-mails, the citizen's interim message, retention.

Every ``JOB_INTERVAL_SECONDS`` (30): new tickets are announced by e-mail to the office's
mailbox, overdue tickets once more; a citizen who has waited longer than
``interim_after_hours`` without a staff reply gets one friendly interim message.
E-mails carry the reference, reason and due time only, never the citizen's text.

Once a day (first round after start, then daily from ``RETENTION_HOUR``, 03:00 local
time) expired conversations and closed tickets are deleted (:mod:`bot.privacy`).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

from sanic import Sanic

from bot import privacy, texts
from bot.cases import store as cases
from bot.cases.model import is_overdue
from bot.config import Settings
from bot.handoff.tickets import REASON_LABELS
from bot.timeutil import as_utc

logger = logging.getLogger(__name__)
INTERIM_TEXT = texts.text(texts.DEFAULT_LANGUAGE, "staff.interim")  # data/texts/


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP of the settings; notifications are off when SMTP_HOST is empty."""

    host: str
    port: int
    sender: str
    user: str
    password: str
    starttls: bool

    @classmethod
    def of(cls, settings: Settings) -> SmtpSettings | None:
        """None when SMTP_HOST is not set."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from or _default_sender(),
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )


def _default_sender() -> str:
    """buergerservice@ the city's first public e-mail domain (city.yml)."""
    from bot import runtime

    try:
        domains = runtime.city().public_email_domains
    except Exception:
        domains = ()
    return f"buergerservice@{domains[0]}" if domains else "buergerservice@localhost"


def send_mail(smtp: SmtpSettings, to: list[str], subject: str, body: str) -> None:
    """Sends one plain-text e-mail (blocking; call in a thread)."""
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(msg)


def _mail_body(row: Any, web_url: str, kind: str) -> tuple[str, str]:
    from bot.config import TIMEZONE

    reason = REASON_LABELS.get(row.reason, row.reason)
    if row.reason == "emergency":
        reason = reason.upper()
    due = as_utc(row.due_at)
    due_text = f"{due.astimezone(TIMEZONE):%d.%m.%Y %H:%M} Uhr" if due else "–"
    if kind == "overdue":
        subject = f"Überfälliger Vorgang ({reason})"  # no reference: subjects travel in clear
        intro = "dieser Vorgang ist überfällig und noch unbeantwortet."
    else:
        subject = f"Neuer Vorgang ({reason})"
        intro = "es gibt einen neuen Vorgang im Posteingang des Bürgerservice."
    body = (
        f"Guten Tag,\n\n{intro}\n\n"
        f"Vorgang: {row.reference}\nGrund: {reason}\nKanal: {row.channel}\nFällig: {due_text}\n\n"
        f"Bearbeiten: {web_url}/staff/tickets/{row.reference}\n\n"
        "Diese Nachricht enthält keine Inhalte des Gesprächs (Datenschutz).\n"
    )
    return subject, body


async def run_once(app: Sanic, now: datetime | None = None) -> dict[str, int]:
    """One round of all jobs; returns counts (for tests and logs)."""
    now = now or app.ctx.settings.now().astimezone(timezone.utc)
    engine = app.ctx.engine
    counts = {"notified": 0, "overdue": 0, "interim": 0}
    smtp = SmtpSettings.of(app.ctx.settings)
    knowledge = app.ctx.knowledge()
    config = app.ctx.handoff_config()

    rows = await asyncio.to_thread(cases.open_cases, engine)
    for row in rows:
        office = knowledge.offices.get(row.office or "")
        to = [office.email] if office and office.email else []
        web_url = app.ctx.settings.web_url
        if (
            smtp
            and to
            and row.notified_at is None
            and await _mail(smtp, to, *_mail_body(row, web_url, "new"))
        ):
            await asyncio.to_thread(cases.mark_notified, engine, row.id, now)
            counts["notified"] += 1
        unanswered = row.first_response_at is None
        overdue = is_overdue(row.status, row.due_at, row.first_response_at, now)
        if (
            smtp
            and to
            and overdue
            and row.overdue_notified_at is None
            and await _mail(smtp, to, *_mail_body(row, web_url, "overdue"))
        ):
            await asyncio.to_thread(cases.mark_overdue_notified, engine, row.id, now)
            counts["overdue"] += 1
        created = as_utc(row.created_at)
        wait = timedelta(hours=config.interim_after_hours)
        # a report hears back when it is done (bot.dialogue.report), not "wir sind dran"
        report = row.reason == cases.REPORT
        if (
            not report
            and unanswered
            and row.interim_sent_at is None
            and created
            and created + wait <= now
        ):
            try:
                interim = texts.text(texts.language_of_summary(row.summary), "staff.interim")
                await app.ctx.rasa.send_staff_message(row.sender_id, interim, "system")
            except Exception:
                logger.warning("interim message for %s not delivered", row.reference)
                continue
            await asyncio.to_thread(cases.record_interim, engine, row.id, interim, now)
            counts["interim"] += 1
    return counts


async def _mail(smtp: SmtpSettings, to: list[str], subject: str, body: str) -> bool:
    try:
        await asyncio.to_thread(send_mail, smtp, to, subject, body)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("notification e-mail failed: %s", type(exc).__name__)
        return False


def retention_due(last_run: datetime | None, now: datetime, hour: int) -> bool:
    """True for the first round after start, then once a day from ``hour`` (local time)."""
    if last_run is None:
        return True
    from bot.config import TIMEZONE

    local, last = now.astimezone(TIMEZONE), last_run.astimezone(TIMEZONE)
    return local.date() > last.date() and local.hour >= hour


def retention_policy(settings: Any) -> privacy.RetentionPolicy:
    """The policy of ``RETENTION_*`` (see .env.example)."""
    return privacy.RetentionPolicy(
        conversation_days=settings.retention_conversation_days,
        ticket_days=settings.retention_ticket_days,
        dry_run=settings.retention_dry_run,
    )


async def run_retention_if_due(
    app: Sanic, now: datetime | None = None
) -> privacy.RetentionResult | None:
    """Runs :func:`bot.privacy.run_retention` when it is due; None when it was not.

    With a fixed clock (``BOT_FIXED_NOW``: tests, demos) the scheduled run is skipped:
    Rasa stamps events with the real time, tickets with the fixed one, and comparing
    either with the other could delete live conversations. Pass ``now`` to run it anyway.
    """
    settings = app.ctx.settings
    if now is None and settings.fixed_now:
        return None
    now = now or settings.now().astimezone(timezone.utc)
    if not retention_due(
        getattr(app.ctx, "retention_last_run", None), now, settings.retention_hour
    ):
        return None
    app.ctx.retention_last_run = now
    return await asyncio.to_thread(
        privacy.run_retention,
        app.ctx.tracker_engine,
        app.ctx.engine,
        now,
        retention_policy(settings),
        settings.state_dir / "logs",
    )


async def run_periodically(app: Sanic) -> None:
    """Runs :func:`run_once` and the daily retention forever (cancelled at server stop)."""
    interval = app.ctx.settings.job_interval_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            counts = await run_once(app)
            if any(counts.values()):
                logger.info("jobs: %s", counts)
        except Exception:
            logger.exception("background jobs failed")
        try:
            await run_retention_if_due(app)
        except Exception:
            logger.exception("retention failed")
