"""Builders for the alert tests: staff with alert settings, a worker on a real SMTP server."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from bot.alerts import AlertWorker
from bot.i18n import create_i18n
from bot.mail import Mailer, SmtpMailer
from storage.access import Actor
from storage.core import Core
from storage.enums import STAFF_ALERT_EVENTS, AlertEvent, Language
from storage.models import AlertMessage
from storage.services.alerts import AlertChoices, AlertSettingsService
from storage.services.console import ConsoleSessionService
from tests.smtp import SmtpServer
from tests.storage.helpers import make_staff


async def staff_with_email(
    core: Core,
    username: str,
    role: str,
    email: str | None = None,
    *,
    events: frozenset[AlertEvent] = frozenset(STAFF_ALERT_EVENTS),
    email_on: bool = True,
    language: str | None = "en",
) -> Actor:
    """A staff member with an alert address; ``language``: their console's (None: never
    chosen, so the default, Ukrainian)."""
    actor = await make_staff(core, username, role)
    if language is not None:
        async with core.database.transaction() as session:
            await ConsoleSessionService(session, core).set_language(actor.user_id or 0, language)
    await choose(
        core, actor, email=email or f"{username}@example.org", events=events, email_on=email_on
    )
    return actor


async def choose(core: Core, actor: Actor, **changes: object) -> None:
    values: dict[str, object] = {
        "email": None,
        "email_on": True,
        "telegram_on": True,
        "events": frozenset(STAFF_ALERT_EVENTS),
        "away_from": None,
        "away_until": None,
    }
    async with core.database.transaction() as session:
        service = AlertSettingsService(session, core)
        row = await service.get(actor.user_id or 0)
        if row is not None:
            values.update(
                email=row.email,
                email_on=row.email_on,
                telegram_on=row.telegram_on,
                events=frozenset(AlertEvent(e) for e in row.events),
                away_from=row.away_from,
                away_until=row.away_until,
            )
        values.update(changes)
        await service.save(actor, AlertChoices(**values))  # type: ignore[arg-type]


def mail_worker(
    core: Core, server: SmtpServer | None = None, mailer: Mailer | None = None
) -> AlertWorker:
    if mailer is None and server is not None:
        mailer = SmtpMailer(server.url, core.settings.smtp_from, ca_file=server.cert)
    return AlertWorker(core, None, create_i18n(Language.UK), mailer, backoff_base=30.0)


async def alert_rows(core: Core) -> list[SimpleNamespace]:
    """The alert outbox's rows, as plain copies (readable after the session ends)."""
    columns = [c.key for c in AlertMessage.__table__.columns]
    async with core.database.read_only() as session:
        rows = (await session.scalars(select(AlertMessage).order_by(AlertMessage.id))).all()
        return [SimpleNamespace(**{c: getattr(row, c) for c in columns}) for row in rows]


async def bounced_at(core: Core, actor: Actor) -> object:
    async with core.database.read_only() as session:
        prefs = await AlertSettingsService(session, core).get(actor.user_id or 0)
        assert prefs is not None
        return prefs.email_bounced_at
