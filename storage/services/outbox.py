"""Messages to reporters who opted in: staff replies and the handling survey.

The delivery worker (in ``bot/``) claims due rows, sends them, and marks the outcome.
A claim is committed before sending, so a restart never sends a row that was already
marked sent; a row whose worker died mid-send is claimed again after its lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.enums import (
    ActivityKind,
    AlertEvent,
    AuditAction,
    OutboxKind,
    OutboxState,
    ReplyDelivery,
)
from storage.models import Case, CaseActivity, OutboxMessage
from storage.repositories.cases import CaseRepository
from storage.repositories.outbox import OutboxRepository
from storage.sealed import Context, Sealer, reply_text
from storage.services.alerts import AlertService
from storage.services.audit import AuditLog

MAX_ERROR = 200


@dataclass(frozen=True)
class Delivery:
    """Everything the worker needs to send one message, and nothing more."""

    outbox_id: int
    kind: OutboxKind
    chat_id: int
    language: str
    text: str | None  # the reply in the reporter's language; None for the survey
    attempts: int
    # Which report it is about, named to the reporter: its date, and its category unless
    # it is sensitive (then the date only).
    case_created_at: datetime
    case_category: str | None


class OutboxService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.repo = OutboxRepository(session)
        self.cases = CaseRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.sealer = Sealer(core.crypto)

    async def enqueue(self, case: Case, kind: OutboxKind, reply_id: int | None = None) -> None:
        now = self.core.clock.now()
        self.repo.add(
            OutboxMessage(
                case_id=case.id,
                kind=kind,
                reply_id=reply_id,
                state=OutboxState.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    async def enqueue_handling_survey(self, case: Case) -> bool:
        """Ask once, and only a reporter who opted in to messages, how handling went."""
        if case.handling_score is not None or await self.cases.reporter_link(case.id) is None:
            return False
        if any(m.kind == OutboxKind.HANDLING_SURVEY for m in await self.repo.for_case(case.id)):
            return False
        await self.enqueue(case, OutboxKind.HANDLING_SURVEY)
        return True

    async def claim(
        self, *, limit: int = 20, lease: timedelta = timedelta(minutes=2)
    ) -> list[Delivery]:
        """Take due messages for sending; the caller commits the claim before sending."""
        now = self.core.clock.now()
        deliveries: list[Delivery] = []
        for message in await self.repo.due(now, limit):
            delivery = await self._prepare(message)
            if delivery is None:
                continue
            message.state = OutboxState.SENDING
            message.claimed_until = now + lease
            message.attempts += 1
            deliveries.append(delivery)
        await self.session.flush()
        return deliveries

    async def _prepare(self, message: OutboxMessage) -> Delivery | None:
        case = await self.cases.get(message.case_id)
        link = await self.cases.reporter_link(message.case_id) if case else None
        if case is None or link is None:
            await self._finish_undeliverable(message, "the reporter's chat link is gone")
            return None
        text = None
        if message.kind == OutboxKind.REPLY:
            reply = await self.cases.reply(message.reply_id) if message.reply_id else None
            if reply is None:
                await self._finish_undeliverable(message, "the reply is gone")
                return None
            text = reply_text(self.sealer.reply_bodies(reply), case.language)
        chat_id = int(self.sealer.open(link.chat_enc, Context.CHAT))
        return Delivery(
            outbox_id=message.id,
            kind=message.kind,
            chat_id=chat_id,
            language=case.language,
            text=text,
            attempts=message.attempts + 1,
            case_created_at=case.created_at,
            case_category=None if case.sensitive else case.category,
        )

    async def mark_sent(self, outbox_id: int) -> None:
        message = await self.repo.get(outbox_id)
        if message is None or message.state == OutboxState.SENT:
            return
        now = self.core.clock.now()
        message.state = OutboxState.SENT
        message.sent_at = now
        message.claimed_until = None
        await self._set_reply_delivery(
            message, ReplyDelivery.DELIVERED, AuditAction.REPLY_DELIVERED
        )

    async def mark_retry(self, outbox_id: int, *, delay: timedelta, error: str) -> None:
        message = await self.repo.get(outbox_id)
        if message is None or message.state != OutboxState.SENDING:
            return
        message.state = OutboxState.PENDING
        message.next_attempt_at = self.core.clock.now() + delay
        message.claimed_until = None
        message.last_error = error[:MAX_ERROR]

    async def mark_undeliverable(self, outbox_id: int, *, error: str) -> None:
        message = await self.repo.get(outbox_id)
        if message is None:
            return
        await self._finish_undeliverable(message, error)

    async def _finish_undeliverable(self, message: OutboxMessage, error: str) -> None:
        message.state = OutboxState.UNDELIVERABLE
        message.claimed_until = None
        message.last_error = error[:MAX_ERROR]
        if await self._set_reply_delivery(
            message, ReplyDelivery.UNDELIVERABLE, AuditAction.REPLY_UNDELIVERABLE
        ):
            case = await self.cases.get(message.case_id)
            if case is not None:
                await AlertService(self.core).case_activity(
                    self.session, case, AlertEvent.DELIVERY_FAILED
                )

    async def _set_reply_delivery(
        self, message: OutboxMessage, delivery: ReplyDelivery, action: AuditAction
    ) -> bool:
        """Record what became of a reply; True when it changed."""
        if message.kind != OutboxKind.REPLY or message.reply_id is None:
            return False
        reply = await self.cases.reply(message.reply_id)
        case = await self.cases.get(message.case_id)
        if reply is None or case is None:
            return False
        before = reply.delivery
        reply.delivery = delivery
        if delivery is ReplyDelivery.UNDELIVERABLE:
            self.cases.add(
                CaseActivity(
                    case_id=case.id,
                    at=self.core.clock.now(),
                    kind=ActivityKind.DELIVERY_FAILED.value,
                )
            )
        self.audit.record(
            Actor.system(),
            action,
            case=case,
            target=f"reply:{reply.public_id}",
            before={"delivery": before},
            after={"delivery": delivery.value},
        )
        return True

    async def survey_case_id(self, outbox_id: int) -> int | None:
        """The case a handling-survey message asked about, if it is one."""
        message = await self.repo.get(outbox_id)
        if message is None or message.kind != OutboxKind.HANDLING_SURVEY:
            return None
        return message.case_id
