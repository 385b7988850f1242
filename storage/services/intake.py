"""Intake: what the bot does with a case (privacy: docs/privacy-rules.md).

A reporter submits a report and gets a receipt code; with the code they look the case
up (rate-limited), see its status and the public replies, and add information. Staff
work on cases is in :mod:`storage.services.triage`.

The receipt code's Argon2 hash is slow on purpose (≈10 ms): it runs in a worker thread,
and :meth:`IntakeService.draw_receipt` lets a caller draw it before opening the write
transaction, so the database lock is not held while it is computed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.clock import MINUTE, floor_to
from storage.contacts import normalize_contact
from storage.core import Core
from storage.crypto import (
    Crypto,
    format_receipt_code,
    generate_receipt_code,
    normalize_receipt_code,
)
from storage.draft import Draft
from storage.enums import (
    STAFF_CHANNELS,
    ActivityKind,
    AlertEvent,
    AuditAction,
    Channel,
    ContactMode,
    FollowUpMode,
    Language,
    Status,
)
from storage.errors import (
    CaseClosedForAdditions,
    CaseNotFound,
    ClaimAlreadyUsed,
    EmptyNarrative,
    EmptyText,
    InvalidInput,
    NarrativeTooLong,
    PermissionDenied,
    ReceiptTaken,
    TextTooLong,
    TooManyAttachments,
)
from storage.models import Case, CaseActivity, CaseAddition, ContactDetail, ReporterLink
from storage.refs import new_case_ref
from storage.repositories.cases import CaseRepository
from storage.repositories.search import SearchRepository
from storage.sealed import Context, Sealer, reply_text
from storage.search import blind_tokens
from storage.services.alerts import AlertService
from storage.services.attachments import AttachmentService, StagedAttachment
from storage.services.audit import AuditLog
from storage.services.throttle import RECEIPT_WINDOW, ReceiptMisses, Throttle
from storage.text import clean

MAX_ADDITION_CHARS = 4000


def check_narrative(text: str, *, limit: int, has_files: bool) -> str:
    """The description, stripped; refuse it when empty (and no files) or over the limit."""
    stripped = clean(text).strip()
    if not stripped and not has_files:
        raise EmptyNarrative()
    if len(stripped) > limit:
        raise NarrativeTooLong(len(stripped), limit)
    return stripped


# Inputs and views ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContactChoice:
    mode: ContactMode = ContactMode.ANONYMOUS
    chat_id: int | None = None  # ContactMode.CHAT: where replies go; stored encrypted
    typed: str | None = None  # ContactMode.TYPED: a phone or e-mail; stored encrypted


@dataclass(frozen=True)
class ReportSubmission:
    category: str
    language: Language
    oblast: str
    narrative: str
    programme: str | None = None
    attachments: Sequence[StagedAttachment] = ()
    contact: ContactChoice = field(default_factory=ContactChoice)
    channel: Channel = Channel.TELEGRAM
    # The feedback point (its id) whose link the report was started from.
    feedback_point_id: int | None = None

    @classmethod
    def from_draft(
        cls, draft: Draft, *, language: Language, reply_chat: int | None
    ) -> ReportSubmission:
        """The report a finished draft describes. ``reply_chat``: where replies go if
        the draft chose replies in the chat (used for that alone)."""
        if draft.category is None or draft.oblast is None:
            raise InvalidInput("The draft has no category or no oblast yet.")
        mode = draft.contact_mode
        return cls(
            category=draft.category,
            language=language,
            oblast=draft.oblast,
            programme=draft.programme,
            narrative=draft.narrative,
            attachments=tuple(draft.files),
            contact=ContactChoice(
                mode,
                chat_id=reply_chat if mode is ContactMode.CHAT else None,
                typed=draft.contact if mode is ContactMode.TYPED else None,
            ),
        )


@dataclass(frozen=True)
class SubmittedCase:
    ref: str
    receipt_code: str  # shown to the reporter once; never stored
    sensitive: bool

    @property
    def receipt_code_display(self) -> str:
        return format_receipt_code(self.receipt_code)


class _FormSentTwice(Exception):
    """The case's form key was taken while this one was being stored."""


# A form's idempotency key: random, from the page that drew the form.
INTAKE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class StaffLoggedReport:
    """A report staff heard and log on the person's behalf ("New case")."""

    report: ReportSubmission  # its channel: one of STAFF_CHANNELS
    follow_up: FollowUpMode
    intake_key: str  # the form's idempotency key
    contact: str | None = None  # FollowUpMode.CONTACT: a phone or e-mail


@dataclass(frozen=True)
class LoggedCase:
    ref: str
    sensitive: bool
    follow_up: FollowUpMode
    # FollowUpMode.CODE: the receipt code, or for a sealed case the one-time claim code,
    # to read out once; never stored. None when the form was posted before (repeated).
    code: str | None
    claim: bool
    repeated: bool = False

    @property
    def code_display(self) -> str | None:
        return format_receipt_code(self.code) if self.code else None


def _repeated(earlier: Case, mode: FollowUpMode) -> LoggedCase:
    """The answer to a form sent again: its case, never its code (shown once)."""
    return LoggedCase(
        ref=earlier.ref,
        sensitive=earlier.sensitive,
        follow_up=mode,
        code=None,
        claim=earlier.claim_hash is not None,
        repeated=True,
    )


@dataclass(frozen=True)
class CodeMatch:
    """A case found by a code; ``receipt_code`` set when a claim code was just exchanged
    for it (shown to the person once, never stored)."""

    case: Case
    receipt_code: str | None = None

    @property
    def receipt_code_display(self) -> str | None:
        return format_receipt_code(self.receipt_code) if self.receipt_code else None


@dataclass(frozen=True)
class ReporterReply:
    created_at: datetime
    text: str


@dataclass(frozen=True)
class ReporterView:
    """What a reporter sees through the receipt code: nothing staff-internal."""

    case_id: int
    category: str
    status: Status
    created_at: datetime
    last_update_at: datetime
    replies: list[ReporterReply]
    accepts_additions: bool
    handling_rated: bool


@dataclass(frozen=True)
class Receipt:
    """A fresh receipt code and its stored hash, drawn before the case is written."""

    code: str
    hash: str


# The service -------------------------------------------------------------------------


class IntakeService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.cases = CaseRepository(session)
        self.search = SearchRepository(session)
        self.audit = AuditLog(session, core.clock)
        self.attachments = AttachmentService(core)
        self.throttle = Throttle(session, core.clock)
        self.sealer = Sealer(core.crypto)

    @staticmethod
    async def draw_receipt(crypto: Crypto) -> Receipt:
        """A new receipt code and its hash, computed off the event loop."""
        code = generate_receipt_code()
        return Receipt(code, await asyncio.to_thread(crypto.receipt_hash, code))

    @staticmethod
    async def receipt_for(crypto: Crypto, code: str) -> Receipt:
        """The receipt of a code drawn earlier (shown to the reporter before sending)."""
        return Receipt(code, await asyncio.to_thread(crypto.receipt_hash, code))

    async def receipt_taken(self, receipt: Receipt) -> bool:
        """Whether a case has this receipt already."""
        return await self.cases.receipt_hash_exists(receipt.hash)

    async def draw_unused_receipt(self) -> Receipt:
        """A new receipt code no case has: drawn while the draft is open, shown on the
        confirmation screen, and used by :meth:`submit` with ``exact=True``."""
        return await self._unused_receipt(None)

    async def submit(
        self, report: ReportSubmission, *, receipt: Receipt | None = None, exact: bool = False
    ) -> SubmittedCase:
        """Store a finished draft as a case; return its staff reference and receipt code.

        ``receipt``, drawn with :meth:`draw_receipt` before the transaction, saves
        hashing while the write lock is held; without it one is drawn here. ``exact``:
        the case takes exactly this code (the reporter has seen it), or raises
        :class:`ReceiptTaken` if a case has it already.
        """
        if exact and receipt is not None:
            if await self.cases.receipt_hash_exists(receipt.hash):
                raise ReceiptTaken("A case has this receipt code already.")
        else:
            receipt = await self._unused_receipt(receipt)
        case = await self._store(report, receipt_hash=receipt.hash, actor=Actor.reporter())
        return SubmittedCase(ref=case.ref, receipt_code=receipt.code, sensitive=case.sensitive)

    async def log_case(
        self,
        actor: Actor,
        logged: StaffLoggedReport,
        *,
        receipt: Receipt | None = None,
        claim: Receipt | None = None,
    ) -> LoggedCase:
        """Store a report staff heard (a call, a visit, a letter…) as a case.

        The person who reported is not the staff member: they stay anonymous unless they
        chose a contact, and who logged the case is in the audit trail only. A form
        posted twice (same ``intake_key``) returns the first post's case, without its
        code: a code is shown once. In a sealed category the code is a one-time claim
        code (see :meth:`lookup_code`), so the logging staff member never holds a code
        that reads the focal point's replies.
        """
        if not actor.can_see_cases or actor.user_id is None:
            raise PermissionDenied("Only operators and focal points log cases.")
        report = logged.report
        if not clean(report.narrative).strip():
            # Files alone will do from a reporter typing in the bot; staff write down
            # what they heard.
            raise EmptyNarrative()
        if report.channel not in STAFF_CHANNELS:
            raise InvalidInput(f"channel: one of {', '.join(STAFF_CHANNELS)}.")
        key_hash = self._intake_key_hash(logged.intake_key)
        earlier = await self.cases.get_by_intake_key(key_hash)
        if earlier is not None:
            return _repeated(earlier, logged.follow_up)
        category = self.core.catalog.category(report.category)
        mode = logged.follow_up
        if mode is FollowUpMode.CONTACT:
            contact = ContactChoice(ContactMode.TYPED, typed=logged.contact or "")
        else:
            contact = ContactChoice()
        report = replace(report, contact=contact)
        # Every case has a receipt hash; when no code is handed over, it is the hash of
        # a code nobody was shown (drawn the same way, so such a case looks like any).
        receipt = await self._unused_receipt(receipt)
        # A claim code is drawn like a receipt code (``claim``: drawn before the
        # transaction, as ``receipt``), and shares its space.
        if mode is FollowUpMode.CODE and category.sensitive:
            claim = await self._unused_receipt(claim)
        else:
            claim = None
        try:
            case = await self._store(
                report,
                receipt_hash=receipt.hash,
                actor=actor,
                claim_hash=claim.hash if claim else None,
                intake_key=key_hash,
                follow_up=mode,
            )
        except _FormSentTwice:
            earlier = await self.cases.get_by_intake_key(key_hash)
            if earlier is None:  # another unique value clashed: not a form sent twice
                raise RuntimeError("could not store the case") from None
            return _repeated(earlier, mode)
        shown = None
        if mode is FollowUpMode.CODE:
            shown = claim.code if claim else receipt.code
        return LoggedCase(
            ref=case.ref,
            sensitive=case.sensitive,
            follow_up=mode,
            code=shown,
            claim=claim is not None,
        )

    async def submit_web(
        self, report: ReportSubmission, *, form_key: str, receipt: Receipt | None = None
    ) -> LoggedCase:
        """A report from the anonymous web form: like the bot's, with channel ``web`` and
        the form's key, so a form sent twice makes one case (the second answer has no
        code: a code is shown once). Nothing about the browser is stored."""
        if report.contact.mode is ContactMode.CHAT:
            raise InvalidInput("contact: the web form has no chat to reply in.")
        report = replace(report, channel=Channel.WEB)
        key_hash = self._intake_key_hash(form_key)
        earlier = await self.cases.get_by_intake_key(key_hash)
        if earlier is not None:
            return _repeated(earlier, FollowUpMode.CODE)
        receipt = await self._unused_receipt(receipt)
        try:
            case = await self._store(
                report, receipt_hash=receipt.hash, actor=Actor.reporter(), intake_key=key_hash
            )
        except _FormSentTwice:
            earlier = await self.cases.get_by_intake_key(key_hash)
            if earlier is None:
                raise RuntimeError("could not store the case") from None
            return _repeated(earlier, FollowUpMode.CODE)
        return LoggedCase(
            ref=case.ref,
            sensitive=case.sensitive,
            follow_up=FollowUpMode.CODE,
            code=receipt.code,
            claim=False,
        )

    def _intake_key_hash(self, key: str) -> str:
        key = key.strip()
        if not INTAKE_KEY.fullmatch(key):
            raise InvalidInput("intake_key: the form's key is missing; open the form again.")
        return self.core.crypto.token_hash(f"intake:{key}")

    async def _store(
        self,
        report: ReportSubmission,
        *,
        receipt_hash: str,
        actor: Actor,
        claim_hash: str | None = None,
        intake_key: str | None = None,
        follow_up: FollowUpMode | None = None,
    ) -> Case:
        settings = self.core.settings
        category = self.core.catalog.category(report.category)
        oblast = self.core.catalog.oblast(report.oblast).code
        programme = self.core.catalog.programme(report.programme).code if report.programme else None
        language = Language(report.language)
        narrative = check_narrative(
            report.narrative,
            limit=settings.narrative_max_chars,
            has_files=bool(report.attachments),
        )
        if len(report.attachments) > settings.attachments_max_count:
            raise TooManyAttachments(settings.attachments_max_count)
        contact = report.contact
        typed_contact = (
            normalize_contact(contact.typed or "") if contact.mode is ContactMode.TYPED else None
        )
        if contact.mode is ContactMode.CHAT and contact.chat_id is None:
            raise InvalidInput("Replying in the chat needs the chat to reply to.")

        # To the minute (issue 10): SLAs need no more, and a stored second could be set
        # beside the moment a person was seen writing to the bot.
        now = floor_to(self.core.clock.now(), MINUTE)
        ref = await self._unused_ref()
        narrative_plain, narrative_sealed = self.sealer.split(
            narrative, Context.NARRATIVE, sensitive=category.sensitive
        )
        case = Case(
            ref=ref,
            receipt_hash=receipt_hash,
            claim_hash=claim_hash,
            intake_key=intake_key,
            category=category.code,
            sensitive=category.sensitive,
            priority=category.priority,
            status=Status.NEW,
            oblast=oblast,
            programme=programme,
            language=language,
            channel=report.channel,
            contact_mode=contact.mode,
            narrative=narrative_plain,
            narrative_enc=narrative_sealed,
            created_at=now,
            updated_at=now,
            public_updated_at=now,
            acknowledge_due_at=now + category.acknowledge_within,
            resolve_due_at=now + category.resolve_within,
            feedback_point_id=report.feedback_point_id,
        )
        if intake_key is None:
            self.cases.add(case)
            await self.cases.flush()
        elif not await self.cases.add_unless_taken(case):
            # The same form, posted twice at once: the other post made the case.
            raise _FormSentTwice()
        texts = [staged.text for staged in report.attachments]
        if case.sensitive and (narrative_sealed is not None or any(texts)):
            tokens = blind_tokens(self.core.crypto, narrative if narrative_sealed else None, *texts)
            await self.search.add_search_tokens(case.id, tokens)
        for staged in report.attachments:
            self.cases.add(
                self.attachments.to_row(
                    staged, case_id=case.id, addition_id=None, sensitive=case.sensitive
                )
            )
        if contact.mode is ContactMode.CHAT and contact.chat_id is not None:
            self.cases.add(
                ReporterLink(
                    case_id=case.id,
                    chat_enc=self.sealer.seal(str(contact.chat_id), Context.CHAT),
                    created_at=now,
                )
            )
        if typed_contact:
            self.cases.add(
                ContactDetail(
                    case_id=case.id,
                    contact_enc=self.sealer.seal(typed_contact, Context.CONTACT),
                    created_at=now,
                )
            )
        after: dict[str, object] = {
            "category": case.category,
            "sensitive": case.sensitive,
            "priority": case.priority,
            "status": case.status,
            "oblast": case.oblast,
            "programme": case.programme,
            "language": case.language,
            "contact_mode": case.contact_mode,
            "attachments": len(report.attachments),
        }
        if follow_up is not None:
            # Logged by staff: the actor is who logged it; how the person came to us.
            after |= {"channel": case.channel, "follow_up": follow_up}
        self.audit.record(actor, AuditAction.CASE_CREATED, case=case, after=after)
        await self.cases.flush()
        if case.sensitive:
            # In this transaction, whatever the channel: the alert is queued exactly when
            # the case is stored, and sending it (the alert worker) never holds up anyone.
            await AlertService(self.core).sealed_case_arrived(self.session, case.id)
        return case

    async def _unused_receipt(self, drawn: Receipt | None) -> Receipt:
        # 53 bits make a collision very unlikely, but two reporters sharing a code would
        # see each other's case: check, and draw again (the unique index backs this up).
        for _ in range(5):
            receipt = drawn or await self.draw_receipt(self.core.crypto)
            drawn = None
            if not await self.cases.receipt_hash_exists(receipt.hash):
                return receipt
        raise RuntimeError("could not draw an unused receipt code")

    async def _unused_ref(self) -> str:
        # 40 random bits: a clash is rare, and the unique index backs this check up.
        for _ in range(5):
            ref = new_case_ref()
            if not await self.cases.ref_exists(ref):
                return ref
        raise RuntimeError("could not draw an unused case reference")

    # The reporter's follow-up -------------------------------------------------------

    async def lookup_receipt(self, raw_code: str, *, misses: ReceiptMisses) -> Case | None:
        """Find a case by receipt code, rate-limited per person (``misses``).

        Raises :class:`InvalidReceiptCode` for something that cannot be a code and
        :class:`RateLimited` after too many misses. A miss returns ``None`` and is
        counted: the person's count at once (outside the database), the global count
        in the caller's transaction, which must commit for it to hold.
        """
        case, _ = await self._find(raw_code, misses=misses, claims=False)
        return case

    async def _find(
        self, raw_code: str, *, misses: ReceiptMisses, claims: bool
    ) -> tuple[Case | None, list[str]]:
        """The case the code opens, and the code's hashes under every key (current first)."""
        code = normalize_receipt_code(raw_code)
        settings = self.core.settings
        window = RECEIPT_WINDOW
        await misses.check(settings.receipt_failures_per_hour)
        # The global count never refuses a lookup (a code that matches must open its
        # case); under pressure the caller makes new people wait instead (ReceiptGuard).
        candidates = await asyncio.to_thread(self.core.crypto.receipt_hash_candidates, code)
        if claims:
            case = await self.cases.get_by_code_hashes(candidates)
        else:
            case = await self.cases.get_by_receipt_hashes(candidates)
        if case is None:
            await misses.hit()
            await self.throttle.hit("receipt:global", window=window)
            return None, candidates
        if case.receipt_hash in candidates and case.receipt_hash != candidates[0]:
            # Found under an earlier key: re-hash under the current one while we hold the code.
            case.receipt_hash = candidates[0]
        return case, candidates

    async def lookup_code(self, raw_code: str, *, misses: ReceiptMisses) -> CodeMatch | None:
        """Find a case by receipt code or one-time claim code, limited as
        :meth:`lookup_receipt` (a wrong claim code is a wrong code like any).

        A claim code not used yet is exchanged here: the case gets a new receipt code,
        returned once in :attr:`CodeMatch.receipt_code`, and the old receipt hash (of a
        code nobody was shown) is gone. A claim code used before raises
        :class:`ClaimAlreadyUsed`: it never opens the case again.
        """
        case, candidates = await self._find(raw_code, misses=misses, claims=True)
        if case is None:
            return None
        if case.claim_hash is None or case.claim_hash not in candidates:
            return CodeMatch(case)
        if case.claimed_at is not None:
            raise ClaimAlreadyUsed()
        receipt = await self._unused_receipt(None)
        case.receipt_hash = receipt.hash
        if case.claim_hash != candidates[0]:
            case.claim_hash = candidates[0]
        now = floor_to(self.core.clock.now(), MINUTE)
        case.claimed_at = now
        case.updated_at = now
        self.audit.record(Actor.reporter(), AuditAction.CASE_CLAIMED, case=case)
        await self.cases.flush()
        return CodeMatch(case, receipt_code=receipt.code)

    async def reporter_view(self, case: Case, *, language: Language) -> ReporterView:
        replies = []
        for reply in await self.cases.replies(case.id):
            text = reply_text(self.sealer.reply_bodies(reply), language, case.language)
            replies.append(ReporterReply(created_at=reply.created_at, text=text))
        return ReporterView(
            case_id=case.id,
            # What they chose, whatever category staff moved the case to since.
            category=case.reporter_category or case.category,
            status=case.status,
            created_at=case.created_at,
            last_update_at=case.public_updated_at,
            replies=replies,
            accepts_additions=case.content_purged_at is None,
            handling_rated=case.handling_score is not None,
        )

    async def add_reporter_info(
        self,
        case_id: int,
        *,
        text: str,
        attachments: Sequence[StagedAttachment] = (),
        kind: ActivityKind = ActivityKind.REPORTER_ADDED,
    ) -> CaseAddition:
        """``kind``: how the worklist marks it (REPORTER_REPLIED for an answer to a reply)."""
        case = await self._get(case_id)
        # A duplicate's later additions go to the case kept, where staff work on them
        # (marking a duplicate leaves no chains: storage.services.outcomes).
        duplicate = None
        if case.duplicate_of_id is not None:
            duplicate, case = case, await self._get(case.duplicate_of_id)
        if case.content_purged_at is not None:
            raise CaseClosedForAdditions()
        body = clean(text).strip()
        if not body and not attachments:
            raise EmptyText("addition")
        if len(body) > MAX_ADDITION_CHARS:
            raise TextTooLong("addition", len(body), MAX_ADDITION_CHARS)
        existing = len(await self.cases.attachments(case.id))
        if existing + len(attachments) > self.core.settings.attachments_max_count * 2:
            raise TooManyAttachments(self.core.settings.attachments_max_count * 2)
        now = floor_to(self.core.clock.now(), MINUTE)  # as a case's created_at
        plain, sealed = self.sealer.split(body, Context.ADDITION, sensitive=case.sensitive)
        addition = CaseAddition(case_id=case.id, created_at=now, body=plain, body_enc=sealed)
        self.cases.add(addition)
        await self.cases.flush()
        texts = [staged.text for staged in attachments]
        if case.sensitive and (sealed is not None or any(texts)):
            tokens = blind_tokens(self.core.crypto, body if sealed else None, *texts)
            await self.search.add_search_tokens(case.id, tokens)
        for staged in attachments:
            self.cases.add(
                self.attachments.to_row(
                    staged, case_id=case.id, addition_id=addition.id, sensitive=case.sensitive
                )
            )
        case.reporter_updated_at = now
        case.updated_at = now
        self.cases.add(CaseActivity(case_id=case.id, at=now, kind=kind.value))
        self.audit.record(
            Actor.reporter(),
            AuditAction.CASE_REPORTER_ADDED,
            case=case,
            after={"addition_id": addition.public_id, "attachments": len(attachments)}
            | ({"via_duplicate": duplicate.ref} if duplicate is not None else {}),
        )
        if duplicate is not None:
            self.audit.record(
                Actor.reporter(),
                AuditAction.CASE_ADDITION_REDIRECTED,
                case=duplicate,
                target=f"case:{case.ref}",
                after={"addition_id": addition.public_id},
            )
        await self.cases.flush()
        await AlertService(self.core).case_activity(self.session, case, AlertEvent.REPORTER_ADDED)
        return addition

    async def _get(self, case_id: int) -> Case:
        case = await self.cases.get(case_id)
        if case is None:
            raise CaseNotFound(str(case_id))
        return case
