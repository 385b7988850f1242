"""Messages to reporters who opted in: staff replies and the handling survey.

The delivery worker (in ``bot/``) claims due rows, sends them, and marks the outcome.
A claim is committed before sending, so a restart never sends a row that was already
marked sent; a row whose worker died mid-send is claimed again after its lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
    Status,
)
from storage.models import Case, CaseActivity, OutboxMessage, ReporterLink
from storage.repositories.cases import CaseRepository
from storage.repositories.outbox import OutboxRepository
from storage.sealed import Context, Sealer, reply_text
from storage.services.alerts import AlertService
from storage.services.audit import AuditLog

MAX_ERROR = 200
# The bot's messages in one chat that "clear this conversation" can reach: far more than
# a case's replies and notices ever come to.
MAX_REMEMBERED = 200
# Status changes the reporter hears of (with no content) when they chose chat replies.
NOTICE_STATUSES = frozenset({Status.ACKNOWLEDGED, Status.REFERRED, Status.RESOLVED})


@dataclass(frozen=True)
class Delivery:
    """Everything the worker needs to send one message, and nothing more."""

    outbox_id: int
    kind: OutboxKind
    chat_id: int
    language: str
    text: str | None  # the reply in the reporter's language; None for the survey or a notice
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

    async def enqueue_status_notice(self, case: Case, status: Status) -> bool:
        """Tell a reporter who chose chat replies that their report moved, without a word
        of what: acknowledged, referred or resolved, on every case."""
        if status not in NOTICE_STATUSES:
            return False
        return await self.enqueue_notice(case)

    async def enqueue_notice(self, case: Case) -> bool:
        """The neutral "there is an update" notice, for a reporter who chose chat replies."""
        if await self.cases.reporter_link(case.id) is None:
            return False
        waiting = await self.repo.for_case(case.id)
        if any(m.kind == OutboxKind.NOTICE and m.state == OutboxState.PENDING for m in waiting):
            return False  # one notice says it all: the reporter reads the rest by code
        await self.enqueue(case, OutboxKind.NOTICE)
        return True

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
            # A sealed case's reply would show on the lock screen: the chat gets the
            # neutral notice unless a focal point chose full text for this case.
            if not case.sensitive or case.reply_full_text:
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

    def _sent(self, link: ReporterLink) -> dict[str, Any]:
        if link.sent_enc is None:
            return {}
        value = self.sealer.open_json(link.sent_enc, Context.CHAT_SENT)
        return value if isinstance(value, dict) else {}

    async def remember_sent(
        self, outbox_id: int, message_ids: Sequence[int], *, reply_message: int | None = None
    ) -> int | None:
        """Keep (encrypted, on the chat link) what the bot sent, for "clear this
        conversation"; ``reply_message``: the message that now carries "Reply to this".

        Returns the reply that carried it until now, whose button is to go."""
        message = await self.repo.get(outbox_id)
        link = await self.cases.reporter_link(message.case_id) if message else None
        if link is None or not message_ids:
            return None
        sent = self._sent(link)
        previous = sent.get("reply")
        sent["ids"] = [*sent.get("ids", []), *message_ids][-MAX_REMEMBERED:]
        if reply_message is not None:
            sent["reply"] = reply_message
        link.sent_enc = self.sealer.seal_json(sent, Context.CHAT_SENT)
        return int(previous) if reply_message is not None and previous is not None else None

    async def sent_to_chat(self, case_id: int, chat_id: int) -> list[int]:
        """The bot's messages about this case in ``chat_id``; none when the case's replies
        go to another chat (whoever holds the code must not delete there)."""
        link = await self.cases.reporter_link(case_id)
        if link is None or int(self.sealer.open(link.chat_enc, Context.CHAT)) != chat_id:
            return []
        return [int(i) for i in self._sent(link).get("ids", [])]

    async def forget_sent(self, case_id: int) -> None:
        link = await self.cases.reporter_link(case_id)
        if link is not None:
            link.sent_enc = None

    async def reply_case_id(self, outbox_id: int) -> int | None:
        """The case a delivered reply belongs to (for its "Reply to this" button)."""
        message = await self.repo.get(outbox_id)
        if message is None or message.kind != OutboxKind.REPLY:
            return None
        return message.case_id

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
