"""Running the bot: long polling or webhook, with the delivery and alert workers beside it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.types import Update
from aiogram.utils.i18n import I18n
from fastapi import APIRouter, Request, Response
from redis.asyncio import Redis

from bot.alerts import AlertWorker
from bot.commands import register_commands
from bot.delivery import DeliveryWorker
from bot.factory import (
    HolosDispatcher,
    create_bot,
    create_dispatcher,
    create_pacer,
    require_conversation_storage,
)
from bot.mail import Mailer, SmtpMailer
from bot.requests import ResilientRequests
from bot.scheduler import FIRST_RUN_AFTER, DayCountSchedule, LogTruncation, RetentionSchedule
from handlers import gather
from storage.core import Core
from storage.settings import SettingsError

log = logging.getLogger("holos.bot")

WEBHOOK_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# How long a stop waits for an update being handled, or a message being delivered.
STOP_TIMEOUT = 30.0
# What Telegram accepts as a secret_token. An empty secret would make the path public
# (it is derived from the secret) and let a request without the header through.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook_secret(secret: str) -> None:
    if not WEBHOOK_SECRET.fullmatch(secret):
        raise SettingsError(
            "HOLOS_WEBHOOK_SECRET must be 1 to 256 characters: letters, digits, _ or -"
        )


def webhook_path(secret: str) -> str:
    """A path nobody can guess without the secret; the header is checked too."""
    return "/telegram/" + hashlib.sha256(b"holos-webhook:" + secret.encode()).hexdigest()[:32]


class RecentUpdates:
    """Ids of the updates handled, or being handled, by this process: the newest few.

    Telegram sends an update again when the answer to the first delivery comes late (the
    handling outlasted its timeout) or is lost; handling it twice would, say, file a
    report twice. Per process only: several instances behind one webhook URL would need
    a shared store for this.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def claim(self, update_id: int) -> bool:
        """True the first time an id is seen."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def release(self, update_id: int) -> None:
        self._ids.pop(update_id, None)


@dataclass
class BotRuntime:
    """One bot: its dispatcher, and the tasks of polling and delivery."""

    core: Core
    bot: Bot
    dp: HolosDispatcher
    worker: DeliveryWorker
    retention: RetentionSchedule
    log_truncation: LogTruncation
    alerts: AlertWorker
    day_counts: DayCountSchedule
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _webhook_updates: RecentUpdates = field(default_factory=RecentUpdates)
    # Once a stop has begun, webhook updates are turned away (Telegram sends them again).
    _stopping: bool = False

    @classmethod
    def create(
        cls,
        core: Core,
        *,
        token: str | None = None,
        api_url: str | None = None,
        redis: Redis | None = None,
        delivery_interval: float = 2.0,
        delivery_backoff: float = 5.0,
        requests: ResilientRequests | None = None,
        dedupe: bool = True,
        retention_first_after: float = FIRST_RUN_AFTER,
        mailer: Mailer | None = None,
        alert_interval: float | None = None,
        gather_window: float | None = None,
    ) -> BotRuntime:
        requests = requests or ResilientRequests(create_pacer(core, redis))
        bot = create_bot(core.settings, token=token, api_url=api_url, requests=requests)
        dp = create_dispatcher(
            core,
            redis=redis,
            dedupe=dedupe,
            gather_window=gather.WINDOW if gather_window is None else gather_window,
        )
        i18n: I18n = dp["i18n_instance"]
        worker = DeliveryWorker(
            core, bot, i18n, interval=delivery_interval, backoff_base=delivery_backoff
        )
        retention = RetentionSchedule(core, first_after=retention_first_after)
        settings = core.settings
        if mailer is None and settings.smtp_url is not None:
            mailer = SmtpMailer(
                settings.smtp_url.get_secret_value(),
                settings.smtp_from,
                ca_file=settings.smtp_ca_file,
            )
        alerts = AlertWorker(core, bot, i18n, mailer, interval=alert_interval)
        return cls(
            core=core,
            bot=bot,
            dp=dp,
            worker=worker,
            retention=retention,
            log_truncation=LogTruncation(core),
            alerts=alerts,
            day_counts=DayCountSchedule(core),
        )

    @property
    def i18n(self) -> I18n:
        i18n: I18n = self.dp["i18n_instance"]
        return i18n

    async def prepare(self) -> None:
        await register_commands(self.bot, self.i18n, self.core.settings.default_language)
        if self.core.telegram_username is None:
            # For the link a staff member opens to get alerts in Telegram.
            self.core.bot_username = (await self.bot.get_me()).username

    def require_update_handling(self) -> None:
        """Refuse to handle updates where drafts have nowhere to go (PostgreSQL without
        Redis): a start-up error naming the setting."""
        require_conversation_storage(self.dp)

    async def start_polling(self) -> None:
        """Polling and delivery as background tasks; returns once they are running."""
        self.require_update_handling()
        await self.prepare()
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._tasks.append(
            asyncio.create_task(
                self.dp.start_polling(
                    self.bot,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=self.dp.resolve_used_update_types(),
                    # A flood of updates must not become a flood of tasks; per-chat
                    # order is kept by the event isolation either way.
                    tasks_concurrency_limit=100,
                ),
                name="holos-polling",
            )
        )
        self.start_log_truncation()
        self.start_delivery()

    def start_delivery(self) -> None:
        """The delivery worker and the daily purge: every process that runs the bot
        (polling, or webhook with `holos bot` delivering) runs both."""
        self._tasks.append(asyncio.create_task(self.worker.run(), name="holos-delivery"))
        self._tasks.append(asyncio.create_task(self.retention.run(), name="holos-retention"))
        self._tasks.append(asyncio.create_task(self.alerts.run(), name="holos-alerts"))
        self._tasks.append(asyncio.create_task(self.day_counts.run(), name="holos-day-counts"))

    def start_log_truncation(self) -> None:
        """Every process that handles updates empties SQLite's log on a timer."""
        self._tasks.append(
            asyncio.create_task(self.log_truncation.run(), name="holos-log-truncation")
        )

    async def start_webhook(self, public_base_url: str, secret: str) -> None:
        check_webhook_secret(secret)
        self.require_update_handling()
        self.start_log_truncation()
        await self.prepare()
        await self.bot.set_webhook(
            public_base_url.rstrip("/") + webhook_path(secret),
            secret_token=secret,
            allowed_updates=self.dp.resolve_used_update_types(),
        )

    def webhook_router(self, secret: str) -> APIRouter:
        """The route Telegram posts updates to. It answers once the update is handled,
        so Telegram keeps a chat's updates in order; one it sends again is not handled
        again."""
        check_webhook_secret(secret)
        router = APIRouter()

        @router.post(webhook_path(secret), include_in_schema=False)
        async def receive(request: Request) -> Response:
            given = request.headers.get(WEBHOOK_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=401)
            if self._stopping:
                # Telegram sends it again later, to whichever instance runs then.
                return Response(status_code=503)
            try:
                update = Update.model_validate(await request.json(), context={"bot": self.bot})
            except ValueError:  # not JSON, or not an Update (pydantic's error is one too)
                log.warning("webhook_body_malformed")
                return Response(status_code=400)
            if not self._webhook_updates.claim(update.update_id):
                log.info("webhook_update_repeated")
                return Response(status_code=200)
            try:
                await self.dp.feed_update(self.bot, update)
            except BaseException:
                # Not handled after all (failed, or cancelled at shutdown): Telegram
                # retries on the error answer, and the retry must be handled.
                self._webhook_updates.release(update.update_id)
                raise
            return Response(status_code=200)

        return router

    async def stop(self) -> None:
        """Stop gracefully: the update being handled and the message being delivered
        finish first."""
        self._stopping = True
        self.worker.stop()
        self.alerts.stop()
        self.retention.stop()
        self.log_truncation.stop()
        self.day_counts.stop()
        with contextlib.suppress(RuntimeError):  # "polling is not started": webhook mode
            await self.dp.stop_polling()
        await self._finish_updates()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=STOP_TIMEOUT)
        self._tasks.clear()
        await self.dp.storage.close()
        await self.bot.session.close()

    async def _finish_updates(self) -> None:
        """Let the updates being handled finish before the storage and the HTTP session
        close under them, or their answers and drafts are lost. aiogram's stop_polling
        stops fetching but leaves the ones it fetched running; webhook updates run in
        their requests. The dispatcher counts both."""
        try:
            await asyncio.wait_for(self.dp.wait_idle(), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("stop_timed_out_with_updates_in_flight")
