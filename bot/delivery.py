"""The delivery worker: staff replies and the handling survey, to reporters who opted in.

Its calls go through the bot's request middleware (bot.requests: pacing, metrics) with
no patience: retrying is this worker's job, on a durable schedule that does not hold up
the rest of the queue. On 429 it waits ``retry_after``; on 5xx or network errors it
retries with backoff; on 403 (blocked) or another refusal it marks the message undeliverable and stops. Claims
are committed before sending, so a restart never resends what was marked sent. Each
outcome is counted in ``holos_bot_deliveries_total`` (bot/metrics.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.utils.i18n import I18n

from bot import metrics
from bot.metrics import DeliveryOutcome
from bot.requests import patience
from handlers import keyboards, texts
from storage.core import Core
from storage.enums import OutboxKind
from storage.repositories.outbox_backlog import outbox_backlog
from storage.services.outbox import Delivery, OutboxService

log = logging.getLogger("holos.delivery")

MAX_BACKOFF = timedelta(minutes=30)


def backoff(attempts: int, base: float) -> timedelta:
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


class DeliveryWorker:
    def __init__(
        self,
        core: Core,
        bot: Bot,
        i18n: I18n,
        *,
        interval: float = 2.0,
        backoff_base: float = 5.0,
    ) -> None:
        self.core = core
        self.bot = bot
        self.i18n = i18n
        self.interval = interval
        self.backoff_base = backoff_base
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._rounds_started = 0
        self._rounds_done = 0
        self._round_done = asyncio.Condition()
        # Parts of a long reply already sent, by outbox id, while it waits for a retry.
        # In memory only: after a restart a partly sent reply is sent whole again.
        self._parts_sent: dict[int, int] = {}
        # The message ids each delivery put in the chat, kept (encrypted, on the chat
        # link) when it is marked sent, for "clear this conversation".
        self._ids_sent: dict[int, list[int]] = {}

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def flush(self) -> None:
        """Wake the running worker and wait until it has been through a whole round that
        began after this call: everything due now has been tried and its outcome stored.
        Returns at once when the worker stops."""
        wanted = self._rounds_started + 1
        self.wake()
        async with self._round_done:
            await self._round_done.wait_for(
                lambda: self._rounds_done >= wanted or self._stop.is_set()
            )

    async def run(self) -> None:
        """Deliver until stopped; a stop waits for the message being sent, never cuts it."""
        with patience(0):
            await self._run()

    async def _run(self) -> None:
        log.info("delivery_worker_started")
        while not self._stop.is_set():
            # Cleared before the round, not after it: a wake() during the round (a reply
            # committed meanwhile) must start the next round at once, not be forgotten.
            self._wake.clear()
            self._rounds_started += 1
            try:
                sent = await self.run_once()
                await self.observe_backlog()
            except Exception as exc:
                # The type only: a driver's message can carry SQL parameters.
                log.warning("delivery_round_failed error=%s", type(exc).__name__)
                sent = 0
            async with self._round_done:
                self._rounds_done += 1
                self._round_done.notify_all()
            if sent:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
        async with self._round_done:
            self._round_done.notify_all()  # nobody waits in flush() for a stopped worker
        log.info("delivery_worker_stopped")

    async def observe_backlog(self) -> None:
        """Refresh the outbox gauges of /metrics (a cheap count, without a write lock)."""
        async with self.core.database.read_only() as session:
            depth, oldest = await outbox_backlog(session, self.core.clock.now())
        metrics.OUTBOX_DEPTH.set(depth)
        metrics.OUTBOX_OLDEST_AGE.set(oldest)

    async def run_once(self) -> int:
        async with self.core.database.transaction() as session:
            deliveries = await OutboxService(session, self.core).claim()
        for delivery in deliveries:
            if self._stop.is_set():
                # Claimed but not sent: hand it back at once rather than after the lease.
                await self._retry(delivery, timedelta(0), "worker stopping")
                continue
            await self._deliver(delivery)
        return len(deliveries)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._send(delivery)
        except TelegramRetryAfter as exc:
            await self._failed(delivery, timedelta(seconds=exc.retry_after), "429")
        except (TelegramServerError, TelegramNetworkError) as exc:
            await self._failed(
                delivery, backoff(delivery.attempts, self.backoff_base), type(exc).__name__
            )
        except (TelegramForbiddenError, TelegramNotFound, TelegramBadRequest) as exc:
            self._parts_sent.pop(delivery.outbox_id, None)
            self._ids_sent.pop(delivery.outbox_id, None)
            await self._undeliverable(delivery, type(exc).__name__)
            metrics.delivery(delivery.kind, DeliveryOutcome.UNDELIVERABLE)
        except TelegramUnauthorizedError:
            # Our token is wrong: the reporter is not at fault; keep the message.
            await self._failed(delivery, MAX_BACKOFF, "unauthorized")
        else:
            self._parts_sent.pop(delivery.outbox_id, None)
            sent = self._ids_sent.pop(delivery.outbox_id, [])
            replying = delivery.kind is OutboxKind.REPLY and bool(sent)
            async with self.core.database.transaction() as session:
                outbox = OutboxService(session, self.core)
                await outbox.mark_sent(delivery.outbox_id)
                previous = await outbox.remember_sent(
                    delivery.outbox_id, sent, reply_message=sent[-1] if replying else None
                )
            if previous is not None:
                # "Reply to this" stays on the latest reply only.
                with contextlib.suppress(TelegramAPIError):
                    await self.bot.edit_message_reply_markup(
                        chat_id=delivery.chat_id, message_id=previous, reply_markup=None
                    )
            metrics.delivery(delivery.kind, DeliveryOutcome.SENT)
            log.info("delivered kind=%s outbox_id=%s", delivery.kind.value, delivery.outbox_id)

    async def _send(self, delivery: Delivery) -> None:
        with self.i18n.context(), self.i18n.use_locale(delivery.language):
            sent = self._ids_sent.setdefault(delivery.outbox_id, [])
            # Which report this is about: a person may have filed several.
            date = texts.day(delivery.case_created_at, self.core.settings, delivery.language)
            topic = texts.category_name(delivery.case_category) if delivery.case_category else None
            if delivery.kind is OutboxKind.HANDLING_SURVEY:
                message = await self.bot.send_message(
                    delivery.chat_id,
                    texts.handling_question(date, topic),
                    reply_markup=keyboards.handling_scores(
                        delivery.outbox_id, delivery.chat_id, self.core.crypto
                    ),
                )
                sent.append(message.message_id)
                return
            if delivery.kind is OutboxKind.NOTICE:
                # No content at all: the reporter reads what changed with their code.
                message = await self.bot.send_message(delivery.chat_id, texts.update_notice())
                sent.append(message.message_id)
                return
            answer = keyboards.reply_to_this(delivery.outbox_id, delivery.chat_id, self.core.crypto)
            if delivery.text is None:
                # A sealed case's reply: the lock screen shows only the neutral notice.
                message = await self.bot.send_message(
                    delivery.chat_id, texts.update_notice(), reply_markup=answer
                )
                sent.append(message.message_id)
                return
            # A long reply goes out as several messages. When one part-way fails, the
            # retry resumes after the last one that arrived, so none arrives twice.
            parts = texts.reply_delivered(delivery.text, date, topic)
            for index in range(self._parts_sent.get(delivery.outbox_id, 0), len(parts)):
                last = index == len(parts) - 1
                message = await self.bot.send_message(
                    delivery.chat_id, parts[index], reply_markup=answer if last else None
                )
                sent.append(message.message_id)
                self._parts_sent[delivery.outbox_id] = index + 1

    async def _failed(self, delivery: Delivery, delay: timedelta, reason: str) -> None:
        await self._retry(delivery, delay, reason)
        metrics.delivery(delivery.kind, DeliveryOutcome.RETRY)

    async def _retry(self, delivery: Delivery, delay: timedelta, reason: str) -> None:
        async with self.core.database.transaction() as session:
            await OutboxService(session, self.core).mark_retry(
                delivery.outbox_id, delay=delay, error=reason
            )
        log.info(
            "delivery_retry outbox_id=%s reason=%s delay=%ss",
            delivery.outbox_id,
            reason,
            int(delay.total_seconds()),
        )

    async def _undeliverable(self, delivery: Delivery, reason: str) -> None:
        async with self.core.database.transaction() as session:
            await OutboxService(session, self.core).mark_undeliverable(
                delivery.outbox_id, error=reason
            )
        log.warning("delivery_undeliverable outbox_id=%s reason=%s", delivery.outbox_id, reason)
