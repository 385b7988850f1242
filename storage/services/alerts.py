"""Alerts to staff, without content: what happened goes out, never what a report says.

Events raise rows in the alert outbox (``alert_outbox``) in the transaction of the event
itself, so an alert is never lost and never sent for something that rolled back; the
alert worker (``bot/alerts.py``) claims due rows, writes each alert in its reader's
console language, sends it by e-mail or Telegram and marks the outcome, retrying with
backoff. A mail server that is down delays alerts; it never holds up a report.

Who gets what:

- a new sealed case: every focal point, at once, whatever they chose (only dates away
  stop it);
- a case past its acknowledgement due time: its assignee, else every operator (a
  standard case) or every focal point (a sealed one);
- the reporter added information, or a reply could not be delivered: the assignee;
- once a day, from ``HOLOS_DIGEST_HOUR``: how many cases are due today, to each person
  who chose it;
- a sealed case nobody acknowledged within ``HOLOS_ESCALATION_AFTER_HOURS``: the
  escalation addresses (``HOLOS_ESCALATION_EMAILS``).

Whether a person may still receive an alert is checked again when it is sent: a staff
member removed or demoted meanwhile gets nothing more.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import CASE_ROLES, Actor, role_may_see
from storage.clock import MINUTE, floor_to
from storage.core import Core
from storage.enums import (
    STAFF_ALERT_EVENTS,
    AlertChannel,
    AlertEvent,
    AuditAction,
    OutboxState,
    Role,
)
from storage.errors import InvalidInput
from storage.models import (
    AlertMessage,
    Case,
    StaffAlertSettings,
    StaffLinkCode,
    StaffUser,
)
from storage.repositories.alerts import AlertRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.exclusions import ExclusionRepository
from storage.sealed import Context, Sealer
from storage.services.audit import AuditLog
from storage.settings import EMAIL_ADDRESS

MAX_ERROR = 200
# Scans look back this far past a due time: an older miss (the worker was down for days,
# or alerts were just turned on) is not raised, so a deployment does not flood mailboxes.
SCAN_WINDOW = timedelta(days=2)
SCAN_LIMIT = 500
LINK_CODE_TTL = timedelta(minutes=10)
LINK_PREFIX = "staff_"
# Where a sealed-case alert points: the worklist, never the case.
SEALED_WORKLIST_PATH = "/console/cases?sealed=1"
CASE_PATH = "/console/cases/{ref}"
ACCOUNT_PATH = "/console/password"
# Alerts about a sealed case a focal point cannot turn off (only dates away stop them).
FORCED_FOR_FOCAL_POINTS = frozenset({AlertEvent.SEALED_CASE, AlertEvent.OVERDUE})


@dataclass(frozen=True)
class AlertDelivery:
    """Everything the worker needs to write and send one alert, and nothing of a report."""

    alert_id: int
    channel: AlertChannel
    event: AlertEvent
    destination: str  # an e-mail address, or a Telegram chat id
    language: str
    user_id: int | None  # None: an escalation address
    sealed: bool
    case_ref: str | None  # a standard case's reference; never a sealed one's
    count: int | None  # the digest's number of cases due today
    attempts: int


class LinkOutcome(StrEnum):
    LINKED = "linked"
    WRONG = "wrong"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime

    @property
    def start_parameter(self) -> str:
        return LINK_PREFIX + self.code


def is_away(prefs: StaffAlertSettings, today: date) -> bool:
    if prefs.away_from is None and prefs.away_until is None:
        return False
    start = prefs.away_from or date.min
    end = prefs.away_until or date.max
    return start <= today <= end


def may_receive(user: StaffUser | None, event: AlertEvent, *, sensitive: bool) -> bool:
    """Whether this account may get this alert now: active, and in a role that sees it."""
    if user is None or not user.is_active:
        return False
    if event is AlertEvent.DIGEST:
        return Role(user.role) in CASE_ROLES
    return role_may_see(user.role, sensitive=sensitive)


class AlertService:
    """Raising alerts (in the event's transaction) and the worker's side of the outbox."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.sealer = Sealer(core.crypto)

    @property
    def email_available(self) -> bool:
        settings = self.core.settings
        return settings.smtp_url is not None or settings.mail_sink

    def today(self) -> date:
        return self.core.clock.now().astimezone(ZoneInfo(self.core.settings.timezone)).date()

    # Raising -------------------------------------------------------------------------

    async def sealed_case_arrived(self, session: AsyncSession, case_id: int) -> int:
        """A case is new in the sealed channel (filed so, or moved there): every focal
        point, at once. How many alerts were queued."""
        repo = AlertRepository(session)
        case = await CaseRepository(session).get(case_id)
        if case is None or not case.sensitive:
            return 0
        users = await repo.active_staff([Role.FOCAL_POINT])
        return await self._raise(session, users, AlertEvent.SEALED_CASE, case)

    async def case_activity(self, session: AsyncSession, case: Case, event: AlertEvent) -> int:
        """The reporter added information, or a reply failed to reach them: the assignee."""
        if case.assignee_id is None:
            return 0
        user = await AlertRepository(session).staff(case.assignee_id)
        return await self._raise(session, [user] if user else [], event, case)

    async def _raise(
        self,
        session: AsyncSession,
        users: Sequence[StaffUser],
        event: AlertEvent,
        case: Case | None,
        *,
        count: int | None = None,
    ) -> int:
        repo = AlertRepository(session)
        sensitive = bool(case.sensitive) if case is not None else False
        # A focal point who stepped back from a case, or was excluded, hears nothing of it.
        excluded = await ExclusionRepository(session).excluded_staff(case.id) if case else set()
        eligible = [
            u for u in users if u.id not in excluded and may_receive(u, event, sensitive=sensitive)
        ]
        prefs = await repo.settings_of([u.id for u in eligible])
        # To the minute, as a case's own times: an alert raised by a report must not
        # keep the second a person was writing to the bot.
        now = floor_to(self.core.clock.now(), MINUTE)
        today = self.today()
        queued = 0
        for user in eligible:
            for channel in self.channels(user, prefs.get(user.id), event, sensitive, today):
                repo.add(
                    AlertMessage(
                        channel=channel,
                        event=event,
                        user_id=user.id,
                        case_id=case.id if case is not None else None,
                        count=count,
                        state=OutboxState.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                queued += 1
        if queued:
            await session.flush()
        return queued

    def channels(
        self,
        user: StaffUser,
        prefs: StaffAlertSettings | None,
        event: AlertEvent,
        sensitive: bool,
        today: date,
    ) -> list[AlertChannel]:
        """Where this person gets this alert, by their choices (none without settings)."""
        if prefs is None or is_away(prefs, today):
            return []
        forced = (
            sensitive and Role(user.role) is Role.FOCAL_POINT and event in FORCED_FOR_FOCAL_POINTS
        )
        if not forced and event.value not in (prefs.events or []):
            return []
        found = []
        if (
            prefs.email
            and prefs.email_bounced_at is None
            and (prefs.email_on or forced)
            and self.email_available
        ):
            found.append(AlertChannel.EMAIL)
        if prefs.telegram_chat_enc is not None and (prefs.telegram_on or forced):
            found.append(AlertChannel.TELEGRAM)
        return found

    # Scans (the worker, every round) ----------------------------------------------------

    async def scan(self, session: AsyncSession) -> int:
        """Raise what time alone brings: overdue acknowledgements, escalations, the
        digest. Each at most once (a mark), also across instances: of two scans racing,
        the second finds the first's marks and raises nothing."""
        queued = await self._scan_overdue(session)
        queued += await self._scan_escalations(session)
        queued += await self._scan_digest(session)
        return queued

    async def _new_marks(self, repo: AlertRepository, keys: Iterable[str]) -> set[str]:
        return await repo.claim_marks(list(keys), floor_to(self.core.clock.now(), MINUTE))

    async def _scan_overdue(self, session: AsyncSession) -> int:
        repo = AlertRepository(session)
        now = self.core.clock.now()
        cases = await repo.unacknowledged_past(
            due_before=now, due_after=now - SCAN_WINDOW, sensitive_only=False, limit=SCAN_LIMIT
        )
        by_key = {f"overdue:{case.id}": case for case in cases}
        queued = 0
        for key in sorted(await self._new_marks(repo, by_key)):
            case = by_key[key]
            if case.assignee_id is not None:
                assignee = await repo.staff(case.assignee_id)
                users = [assignee] if assignee else []
            else:
                role = Role.FOCAL_POINT if case.sensitive else Role.OPERATOR
                users = await repo.active_staff([role])
            queued += await self._raise(session, users, AlertEvent.OVERDUE, case)
        return queued

    async def _scan_escalations(self, session: AsyncSession) -> int:
        addresses = self.core.settings.escalation_emails
        if not addresses or not self.email_available:
            return 0
        repo = AlertRepository(session)
        now = floor_to(self.core.clock.now(), MINUTE)
        limit = now - timedelta(hours=self.core.settings.escalation_after_hours)
        cases = await repo.created_unacknowledged(
            created_before=limit, created_after=limit - SCAN_WINDOW, limit=SCAN_LIMIT
        )
        by_key = {f"escalation:{case.id}": case for case in cases}
        queued = 0
        for key in sorted(await self._new_marks(repo, by_key)):
            for address in addresses:
                repo.add(
                    AlertMessage(
                        channel=AlertChannel.EMAIL,
                        event=AlertEvent.ESCALATION,
                        address=address,
                        case_id=by_key[key].id,
                        state=OutboxState.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                queued += 1
        return queued

    async def _scan_digest(self, session: AsyncSession) -> int:
        zone = ZoneInfo(self.core.settings.timezone)
        local = self.core.clock.now().astimezone(zone)
        if local.hour < self.core.settings.digest_hour:
            return 0
        repo = AlertRepository(session)
        if not await self._new_marks(repo, [f"digest:{local.date().isoformat()}"]):
            return 0
        start = datetime.combine(local.date(), datetime.min.time(), zone)
        due = await repo.due_between(start, start + timedelta(days=1))
        queued = 0
        for user in await repo.active_staff(CASE_ROLES):
            count = sum(
                1
                for sensitive, assignee in due
                if role_may_see(user.role, sensitive=sensitive) and assignee in (None, user.id)
            )
            if count:
                queued += await self._raise(session, [user], AlertEvent.DIGEST, None, count=count)
        return queued

    # The worker's side ---------------------------------------------------------------

    async def claim(
        self, session: AsyncSession, *, limit: int = 20, lease: timedelta = timedelta(minutes=2)
    ) -> list[AlertDelivery]:
        """Take due alerts for sending; the caller commits the claim before sending."""
        repo = AlertRepository(session)
        now = self.core.clock.now()
        deliveries: list[AlertDelivery] = []
        for message in await repo.due(now, limit):
            delivery = await self._prepare(session, message)
            if delivery is None:
                continue
            message.state = OutboxState.SENDING
            message.claimed_until = now + lease
            message.attempts += 1
            deliveries.append(delivery)
        await session.flush()
        return deliveries

    async def _prepare(self, session: AsyncSession, message: AlertMessage) -> AlertDelivery | None:
        repo = AlertRepository(session)
        case = await CaseRepository(session).get(message.case_id) if message.case_id else None
        if message.case_id is not None and case is None:
            self._finish(message, "the case is gone")
            return None
        sensitive = bool(case.sensitive) if case is not None else False
        language = self.core.settings.default_language.value
        if message.user_id is None:
            destination = message.address
            if not destination:
                self._finish(message, "no address")
                return None
        else:
            user = await repo.staff(message.user_id)
            if not may_receive(user, message.event, sensitive=sensitive):
                # Removed or demoted since: nothing more goes to them.
                self._finish(message, "the recipient may no longer receive it")
                return None
            if case is not None and message.user_id in await ExclusionRepository(
                session
            ).excluded_staff(case.id):
                # Excluded from the case after the alert was queued.
                self._finish(message, "the recipient is excluded from the case")
                return None
            prefs = await repo.settings(message.user_id)
            found = self._destination(message.channel, prefs)
            if found is None:
                self._finish(message, "the recipient has no such channel now")
                return None
            destination = found
            language = await repo.language(message.user_id) or language
        return AlertDelivery(
            alert_id=message.id,
            channel=message.channel,
            event=message.event,
            destination=destination,
            language=language,
            user_id=message.user_id,
            sealed=sensitive,
            case_ref=case.ref if case is not None and not sensitive else None,
            count=message.count,
            attempts=message.attempts + 1,
        )

    def _destination(self, channel: AlertChannel, prefs: StaffAlertSettings | None) -> str | None:
        if prefs is None:
            return None
        if channel is AlertChannel.EMAIL:
            return prefs.email if prefs.email and prefs.email_bounced_at is None else None
        if prefs.telegram_chat_enc is None:
            return None
        return self.sealer.open(prefs.telegram_chat_enc, Context.STAFF_CHAT)

    @staticmethod
    def _finish(message: AlertMessage, error: str) -> None:
        message.state = OutboxState.UNDELIVERABLE
        message.claimed_until = None
        message.last_error = error[:MAX_ERROR]

    async def mark_sent(self, session: AsyncSession, alert_id: int) -> None:
        message = await AlertRepository(session).get(alert_id)
        if message is None or message.state == OutboxState.SENT:
            return
        message.state = OutboxState.SENT
        message.sent_at = floor_to(self.core.clock.now(), MINUTE)
        message.claimed_until = None

    async def mark_retry(
        self, session: AsyncSession, alert_id: int, *, delay: timedelta, error: str
    ) -> None:
        message = await AlertRepository(session).get(alert_id)
        if message is None or message.state != OutboxState.SENDING:
            return
        message.state = OutboxState.PENDING
        message.next_attempt_at = self.core.clock.now() + delay
        message.claimed_until = None
        message.last_error = error[:MAX_ERROR]

    async def mark_undeliverable(self, session: AsyncSession, alert_id: int, *, error: str) -> None:
        message = await AlertRepository(session).get(alert_id)
        if message is not None:
            self._finish(message, error)

    async def mark_bounced(self, session: AsyncSession, alert_id: int, *, error: str) -> None:
        """The mail server refused the address for good: the alert is undeliverable, and
        the person's address is marked so their account page says so."""
        repo = AlertRepository(session)
        message = await repo.get(alert_id)
        if message is None:
            return
        self._finish(message, error)
        if message.user_id is None:
            return
        prefs = await repo.settings(message.user_id)
        if prefs is None or prefs.email_bounced_at is not None:
            return
        prefs.email_bounced_at = self.core.clock.now()
        AuditLog(session, self.core.clock).record(
            Actor.system(),
            AuditAction.USER_ALERT_ADDRESS_BOUNCED,
            target=f"user:{message.user_id}",
            after={"email_bounced": True},
        )

    async def backlog(self, session: AsyncSession) -> int:
        return await AlertRepository(session).backlog()


# A staff member's own choices (the account page) ------------------------------------------


@dataclass(frozen=True)
class AlertChoices:
    email: str | None
    email_on: bool
    telegram_on: bool
    events: frozenset[AlertEvent]
    away_from: date | None
    away_until: date | None


class AlertSettingsService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.repo = AlertRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.sealer = Sealer(core.crypto)

    async def get(self, user_id: int) -> StaffAlertSettings | None:
        return await self.repo.settings(user_id)

    async def _row(self, user_id: int) -> StaffAlertSettings:
        row = await self.repo.settings(user_id)
        if row is None:
            row = StaffAlertSettings(
                user_id=user_id,
                email_on=True,
                telegram_on=True,
                events=[e.value for e in STAFF_ALERT_EVENTS],
                updated_at=self.core.clock.now(),
            )
            self.repo.add(row)
        return row

    async def save(self, actor: Actor, choices: AlertChoices) -> StaffAlertSettings:
        assert actor.user_id is not None
        email = (choices.email or "").strip() or None
        if email is not None and (len(email) > 254 or not EMAIL_ADDRESS.fullmatch(email)):
            raise InvalidInput("This is not an e-mail address.")
        if choices.away_from and choices.away_until and choices.away_until < choices.away_from:
            raise InvalidInput("The last day away is before the first.")
        row = await self._row(actor.user_id)
        before = self._summary(row)
        if email != row.email:
            row.email_bounced_at = None  # a new (or corrected) address is tried afresh
        elif email is not None and row.email_bounced_at is not None:
            row.email_bounced_at = None  # saved again on purpose: try it once more
        row.email = email
        row.email_on = choices.email_on
        row.telegram_on = choices.telegram_on
        events = set(choices.events) & set(STAFF_ALERT_EVENTS)
        row.events = [e.value for e in STAFF_ALERT_EVENTS if e in events]
        row.away_from = choices.away_from
        row.away_until = choices.away_until
        row.updated_at = self.core.clock.now()
        self.audit.record(
            actor,
            AuditAction.USER_ALERTS_UPDATED,
            target=f"user:{actor.user_id}",
            before=before,
            after=self._summary(row),
        )
        await self.session.flush()
        return row

    @staticmethod
    def _summary(row: StaffAlertSettings) -> dict[str, object]:
        # Whether an address is set, not the address: the trail is read by others.
        return {
            "email": bool(row.email),
            "email_on": row.email_on,
            "telegram_on": row.telegram_on,
            "events": list(row.events or []),
            "away_from": row.away_from.isoformat() if row.away_from else None,
            "away_until": row.away_until.isoformat() if row.away_until else None,
        }

    async def new_link_code(self, actor: Actor) -> LinkCode:
        """A one-time code for linking the person's own Telegram chat; earlier unspent
        ones stop working."""
        assert actor.user_id is not None
        await self.repo.drop_link_codes(actor.user_id)
        code = secrets.token_urlsafe(18)
        now = self.core.clock.now()
        expires = now + LINK_CODE_TTL
        self.repo.add(
            StaffLinkCode(
                code_hash=self.core.crypto.token_hash(LINK_PREFIX + code),
                user_id=actor.user_id,
                created_at=now,
                expires_at=expires,
            )
        )
        await self.session.flush()
        return LinkCode(code, expires)

    async def redeem_link_code(self, start_parameter: str, chat_id: int) -> LinkOutcome:
        """The bot got ``/start staff_<code>`` from a chat: link it to the code's account."""
        now = self.core.clock.now()
        code_hash = self.core.crypto.token_hash(start_parameter)
        row = await self.repo.link_code(code_hash)
        if row is None:
            return LinkOutcome.WRONG
        if row.used_at is not None:
            return LinkOutcome.USED
        if row.expires_at <= now:
            return LinkOutcome.EXPIRED
        user_id = await self.repo.spend_link_code(code_hash, now)
        if user_id is None:
            return LinkOutcome.USED  # another chat spent it a moment ago
        user = await self.repo.staff(user_id)
        if user is None or not user.is_active:
            return LinkOutcome.WRONG
        prefs = await self._row(user_id)
        prefs.telegram_chat_enc = self.sealer.seal(str(chat_id), Context.STAFF_CHAT)
        prefs.telegram_linked_at = now
        prefs.updated_at = now
        self.audit.record(
            Actor.staff(user.id, user.username, user.role),
            AuditAction.USER_TELEGRAM_LINKED,
            target=f"user:{user.id}",
        )
        await self.session.flush()
        return LinkOutcome.LINKED

    async def unlink_telegram(self, actor: Actor) -> None:
        assert actor.user_id is not None
        prefs = await self.repo.settings(actor.user_id)
        if prefs is None or prefs.telegram_chat_enc is None:
            return
        prefs.telegram_chat_enc = None
        prefs.telegram_linked_at = None
        prefs.updated_at = self.core.clock.now()
        self.audit.record(actor, AuditAction.USER_TELEGRAM_UNLINKED, target=f"user:{actor.user_id}")
        await self.session.flush()
