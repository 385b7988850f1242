"""The alert worker: staff alerts by e-mail and Telegram (storage/services/alerts.py).

Every round (``HOLOS_ALERT_INTERVAL_SECONDS``, 10 s by default) it first scans for what
time alone raises (overdue acknowledgements, escalations, the daily digest), then claims
due alerts, writes each in its reader's console language and sends it. Claims are
committed before sending, so a restart never resends what was marked sent, and several
instances never send one alert twice (a lease, and ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL). A mail server that is down, a 4xx or a timeout: tried again with backoff.
A recipient the server refuses for good (5xx): the alert stops there and the address is
marked on its owner's account page. Telegram goes through the bot's own client and
pacer, like the delivery worker's messages. Each outcome is counted in
``holos_alerts_total`` by channel and outcome; no alert text, address or chat is logged.

An alert says what happened and where to look, never what a report says: for a sealed
case not even its reference, category or oblast.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot import metrics
from bot.delivery import backoff
from bot.mail import AddressRefused, Mail, MailDelayed, Mailer
from bot.metrics import AlertOutcome
from bot.requests import patience
from storage.core import Core
from storage.enums import AlertChannel, AlertEvent
from storage.services.alerts import (
    ACCOUNT_PATH,
    CASE_PATH,
    SEALED_WORKLIST_PATH,
    AlertDelivery,
    AlertService,
)

log = logging.getLogger("holos.alerts")

MAX_BACKOFF = timedelta(hours=1)
DIGEST_PATH = "/console/cases?sort=due"


def console_url(core: Core) -> str:
    settings = core.settings
    if settings.public_url:
        return settings.public_url
    return f"http://{settings.api_host}:{settings.api_port}"


def compose(core: Core, delivery: AlertDelivery) -> tuple[str, str]:
    """(subject, body) of an alert, in the current gettext locale. A sealed case's alert
    names nothing of it; a standard one may carry its reference."""
    base = console_url(core)
    event = delivery.event
    sealed = delivery.sealed or delivery.case_ref is None
    ref = delivery.case_ref or ""
    link = base + (SEALED_WORKLIST_PATH if sealed else CASE_PATH.format(ref=ref))
    if event is AlertEvent.SEALED_CASE:
        subject = _("Holos: a new report needs you")
        lines = [_("A new report needs you in Holos."), _("Open the sealed worklist:"), link]
    elif event is AlertEvent.OVERDUE:
        subject = _("Holos: a report is waiting to be acknowledged")
        if sealed:
            first = _("A report is past its acknowledgement time in Holos.")
        else:
            first = _("Case %(ref)s is past its acknowledgement time in Holos.") % {"ref": ref}
        lines = [first, link]
    elif event is AlertEvent.REPORTER_ADDED:
        subject = _("Holos: new information from a reporter")
        if sealed:
            first = _("The reporter added information to a report assigned to you.")
        else:
            first = _("The reporter added information to case %(ref)s.") % {"ref": ref}
        lines = [first, link]
    elif event is AlertEvent.DELIVERY_FAILED:
        subject = _("Holos: a reply was not delivered")
        if sealed:
            first = _(
                "A reply on a report assigned to you could not be delivered to the reporter's chat."
            )
        else:
            first = _("A reply on case %(ref)s could not be delivered to the reporter's chat.") % {
                "ref": ref
            }
        lines = [first, link]
    elif event is AlertEvent.DIGEST:
        count = delivery.count or 0
        subject = _("Holos: what is due today")
        lines = [
            ngettext(
                "%(count)d case is due today in Holos.",
                "%(count)d cases are due today in Holos.",
                count,
            )
            % {"count": count},
            base + DIGEST_PATH,
        ]
    else:  # escalation: an address outside the mission's line
        hours = core.settings.escalation_after_hours
        subject = _("Holos: a sealed report was not acknowledged in time")
        lines = [
            _(
                "A report in the sealed channel of Holos has not been acknowledged within "
                "%(hours)s hours of its arrival."
            )
            % {"hours": f"{hours:g}"},
            _(
                "You get this as the escalation contact. It says nothing about the report on purpose."
            ),
        ]
    if delivery.user_id is not None:
        lines += ["", _("Choose which alerts you get on your account page:"), base + ACCOUNT_PATH]
    return subject, "\n".join(lines)


class AlertWorker:
    def __init__(
        self,
        core: Core,
        bot: Bot | None,
        i18n: I18n,
        mailer: Mailer | None,
        *,
        interval: float | None = None,
        backoff_base: float = 30.0,
    ) -> None:
        self.core = core
        self.bot = bot
        self.i18n = i18n
        self.mailer = mailer
        self.interval = interval if interval is not None else core.settings.alert_interval_seconds
        self.backoff_base = backoff_base
        self.service = AlertService(core)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        log.info("alert_worker_started")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self.run_once()
            except Exception as exc:
                # The type only: a driver's message can carry SQL parameters. Two
                # instances' scans clashing on a mark end here too, and retry.
                log.warning("alert_round_failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
        log.info("alert_worker_stopped")

    async def run_once(self) -> int:
        """One round: scan, then send what is due. How many alerts were tried."""
        async with self.core.database.transaction() as session:
            await self.service.scan(session)
        async with self.core.database.transaction() as session:
            deliveries = await self.service.claim(session)
        # No patience in the Bot API middleware: retrying is this worker's job, on a
        # durable schedule that does not hold up the other alerts.
        with patience(0):
            for delivery in deliveries:
                if self._stop.is_set():
                    await self._retry(delivery, timedelta(0), "worker stopping")
                    continue
                await self._deliver(delivery)
        async with self.core.database.read_only() as session:
            metrics.ALERT_BACKLOG.set(await self.service.backlog(session))
        return len(deliveries)

    async def _deliver(self, delivery: AlertDelivery) -> None:
        with self.i18n.context(), self.i18n.use_locale(delivery.language):
            subject, body = compose(self.core, delivery)
        if delivery.channel is AlertChannel.EMAIL:
            await self._email(delivery, subject, body)
        else:
            await self._telegram(delivery, body)

    async def _email(self, delivery: AlertDelivery, subject: str, body: str) -> None:
        if self.mailer is None:
            await self._undeliverable(delivery, "no mail server is configured")
            return
        try:
            await self.mailer.send(Mail(delivery.destination, subject, body))
        except AddressRefused as exc:
            async with self.core.database.transaction() as session:
                await self.service.mark_bounced(session, delivery.alert_id, error=str(exc))
            metrics.alert(delivery.channel, AlertOutcome.BOUNCED)
            log.warning("alert_address_bounced alert_id=%s", delivery.alert_id)
        except MailDelayed as exc:
            await self._failed(delivery, self._backoff(delivery), str(exc))
        else:
            await self._sent(delivery)

    async def _telegram(self, delivery: AlertDelivery, body: str) -> None:
        if self.bot is None:
            await self._failed(delivery, MAX_BACKOFF, "no bot in this process")
            return
        try:
            await self.bot.send_message(int(delivery.destination), html.escape(body))
        except TelegramRetryAfter as exc:
            await self._failed(delivery, timedelta(seconds=exc.retry_after), "429")
        except (TelegramServerError, TelegramNetworkError) as exc:
            await self._failed(delivery, self._backoff(delivery), type(exc).__name__)
        except (TelegramForbiddenError, TelegramNotFound, TelegramBadRequest) as exc:
            await self._undeliverable(delivery, type(exc).__name__)
        except TelegramUnauthorizedError:
            await self._failed(delivery, MAX_BACKOFF, "unauthorized")
        else:
            await self._sent(delivery)

    def _backoff(self, delivery: AlertDelivery) -> timedelta:
        return min(backoff(delivery.attempts, self.backoff_base), MAX_BACKOFF)

    async def _sent(self, delivery: AlertDelivery) -> None:
        async with self.core.database.transaction() as session:
            await self.service.mark_sent(session, delivery.alert_id)
        metrics.alert(delivery.channel, AlertOutcome.SENT)
        # No event in the line: "a sealed-case alert went out" would date a sensitive report.
        log.info("alert_sent channel=%s alert_id=%s", delivery.channel.value, delivery.alert_id)

    async def _failed(self, delivery: AlertDelivery, delay: timedelta, reason: str) -> None:
        await self._retry(delivery, delay, reason)
        metrics.alert(delivery.channel, AlertOutcome.RETRY)

    async def _retry(self, delivery: AlertDelivery, delay: timedelta, reason: str) -> None:
        async with self.core.database.transaction() as session:
            await self.service.mark_retry(session, delivery.alert_id, delay=delay, error=reason)
        log.info(
            "alert_retry alert_id=%s reason=%s delay=%ss",
            delivery.alert_id,
            reason,
            int(delay.total_seconds()),
        )

    async def _undeliverable(self, delivery: AlertDelivery, reason: str) -> None:
        async with self.core.database.transaction() as session:
            await self.service.mark_undeliverable(session, delivery.alert_id, error=reason)
        metrics.alert(delivery.channel, AlertOutcome.UNDELIVERABLE)
        log.warning("alert_undeliverable alert_id=%s reason=%s", delivery.alert_id, reason)
