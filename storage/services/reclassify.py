"""Moving a case to another category: into the sealed channel, within it, or out of it.

A report filed under the wrong category may be one nobody but a focal point should
read (a child's sexual-exploitation report filed as "behaviour of staff"). Any case
worker may move a case into the sealed channel; from then on it is sealed exactly as if
it had been filed that way:

- its description, the reporter's additions, notes, replies and the words of its files
  are encrypted as a sensitive case's are, the plain copies removed from the rows and
  the full-text index, and its words go to the blind index instead;
- its priority and SLA become the new category's, counted from when it was received;
- an assignee whose role cannot see it is unassigned, and a public summary is withdrawn;
- the move is audited with who and when; an operator who moved it no longer sees it.

Only a focal point changes a category within a channel or moves a case out of the
sealed channel, and the way out needs a written reason, kept in the audit trail.

Services do not commit; once the caller's transaction has, :func:`forget_plain_copies`
makes the old plain text leave the database files (SQLite) or marks it for reuse
(PostgreSQL). The reporter's receipt code keeps working and nothing is sent to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from storage.access import Actor, role_may_see
from storage.catalog import Category
from storage.core import Core
from storage.enums import AuditAction, Role
from storage.errors import (
    PermissionDenied,
    ReasonRequired,
    SameCategory,
    StaleVersion,
    TextTooLong,
)
from storage.models import Case, Note
from storage.repositories.maintenance import drop_old_text
from storage.repositories.public_summaries import PublicSummaryRepository
from storage.repositories.sealing import SealingRepository
from storage.repositories.search import SearchRepository
from storage.repositories.staff import StaffRepository
from storage.sealed import Context, Sealer
from storage.search import blind_tokens
from storage.services.alerts import AlertService
from storage.services.audit import AuditLog
from storage.services.triage import MAX_NOTE_CHARS, TriageService
from storage.text import clean

MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class Reclassified:
    case: Case
    sealed: bool  # moved into the sealed channel by this change
    unsealed: bool  # moved out of it
    # Whether the person who moved it still sees it (an operator who sealed it does not).
    still_visible: bool


class Reclassification:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.triage = TriageService(session, core)
        self.parts = SealingRepository(session)
        self.sealer = Sealer(core.crypto)
        self.audit = AuditLog(session, core.clock)

    async def move(
        self,
        ref: str,
        actor: Actor,
        *,
        expected_version: int | None,
        category: str,
        note: str | None = None,
        reason: str | None = None,
    ) -> Reclassified:
        """Move the case to ``category``; ``expected_version=None`` accepts any version.

        Everything is checked before anything changes: a refused move changes nothing."""
        case = await self.triage.get_visible(ref, actor, audit_read=False)
        read_version = case.version
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(expected_version, case.version)
        target = self.core.catalog.category(category)
        if target.code == case.category:
            raise SameCategory()
        if actor.role is not Role.FOCAL_POINT and not target.sensitive:
            # An operator's one move is "this belongs to the sealed channel".
            raise PermissionDenied("Only a focal point changes a category within a channel.")
        sealing = target.sensitive and not case.sensitive
        unsealing = case.sensitive and not target.sensitive
        why = _text(reason, limit=MAX_REASON_CHARS, what="reason")
        if unsealing and not why:
            raise ReasonRequired()
        remark = _text(note, limit=MAX_NOTE_CHARS, what="note")

        before, after = self._recategorise(case, target)
        if case.assignee_id is not None:
            assignee = await StaffRepository(self.session).get(case.assignee_id)
            if assignee is None or not role_may_see(assignee.role, sensitive=target.sensitive):
                before["assignee_id"], after["assignee_id"] = case.assignee_id, None
                case.assignee_id = None
        if sealing:
            await self._seal(case)
        elif unsealing:
            await self._unseal(case)
        case.sensitive = target.sensitive
        now = self.core.clock.now()
        case.updated_at = now
        if sealing or unsealing:
            case.sealed_at = now if sealing else None
        flag_modified(case, "updated_at")
        if sealing:
            await self._withdraw_public_summary(case, actor)
        if why and unsealing:
            after["reason"] = why
        # Recorded as sensitive whichever way it goes: the trail of a sealed case stays
        # with those who may read one.
        event = self.audit.record(
            actor, AuditAction.CASE_RECLASSIFIED, case=case, before=before, after=after
        )
        event.sensitive = sealing or unsealing or case.sensitive
        try:
            await self.session.flush()
        except StaleDataError:
            # Someone else committed between our read and our write.
            raise StaleVersion(
                read_version if expected_version is None else expected_version
            ) from None
        if remark:
            plain, sealed = self.sealer.split(remark, Context.NOTE, sensitive=case.sensitive)
            note_row = Note(
                case_id=case.id,
                author_id=actor.user_id,
                created_at=now,
                body=plain,
                body_enc=sealed,
            )
            self.session.add(note_row)
            await self.session.flush()
            self.audit.record(
                actor, AuditAction.NOTE_ADDED, case=case, target=f"note:{note_row.public_id}"
            )
        if sealing:
            # Every focal point, as for a report filed into the sealed channel.
            await AlertService(self.core).sealed_case_arrived(self.session, case.id)
        return Reclassified(
            case=case,
            sealed=sealing,
            unsealed=unsealing,
            still_visible=actor.may_see(sensitive=case.sensitive),
        )

    def _recategorise(self, case: Case, target: Category) -> tuple[dict[str, Any], dict[str, Any]]:
        """Category, priority and SLA as if the case had been filed under ``target``."""
        acknowledge_due = case.created_at + target.acknowledge_within
        resolve_due = case.created_at + target.resolve_within
        before: dict[str, Any] = {"category": case.category, "sensitive": case.sensitive}
        after: dict[str, Any] = {"category": target.code, "sensitive": target.sensitive}
        if case.priority != target.priority:
            before["priority"], after["priority"] = case.priority, target.priority
        if case.acknowledge_due_at != acknowledge_due:
            before["acknowledge_due_at"] = case.acknowledge_due_at.isoformat()
            after["acknowledge_due_at"] = acknowledge_due.isoformat()
        if case.resolve_due_at != resolve_due:
            before["resolve_due_at"] = case.resolve_due_at.isoformat()
            after["resolve_due_at"] = resolve_due.isoformat()
        if case.reporter_category is None:
            # The reporter keeps reading what they chose (they are told nothing new).
            case.reporter_category = case.category
        case.category = target.code
        case.priority = target.priority
        case.acknowledge_due_at = acknowledge_due
        case.resolve_due_at = resolve_due
        return before, after

    async def _seal(self, case: Case) -> None:
        """Encrypt every written part of the case and index its words blindly."""
        seal = self.sealer.seal
        words: list[str | None] = [case.narrative]
        if case.narrative:
            case.narrative_enc, case.narrative = seal(case.narrative, Context.NARRATIVE), None
        for addition in await self.parts.additions(case.id):
            words.append(addition.body)
            if addition.body:
                addition.body_enc, addition.body = seal(addition.body, Context.ADDITION), None
        for note in await self.parts.notes(case.id):
            if note.body:
                note.body_enc, note.body = seal(note.body, Context.NOTE), None
        for reply in await self.parts.replies(case.id):
            if reply.bodies:
                _, reply.bodies_enc = self.sealer.seal_reply_bodies(reply.bodies, sensitive=True)
                reply.bodies = None
        for file in await self.parts.files_with_text(case.id):
            words.append(file.text)
            if file.text:
                file.text_enc, file.text = seal(file.text, Context.ATTACHMENT_TEXT), None
        tokens = blind_tokens(self.core.crypto, *words)
        if tokens:
            await SearchRepository(self.session).add_search_tokens(case.id, tokens)

    async def _unseal(self, case: Case) -> None:
        """The way back: plain, searchable text, and no blind tokens."""
        read = self.sealer.open
        if case.narrative_enc is not None:
            case.narrative, case.narrative_enc = read(case.narrative_enc, Context.NARRATIVE), None
        for addition in await self.parts.additions(case.id):
            if addition.body_enc is not None:
                addition.body = read(addition.body_enc, Context.ADDITION)
                addition.body_enc = None
        for note in await self.parts.notes(case.id):
            if note.body_enc is not None:
                note.body, note.body_enc = read(note.body_enc, Context.NOTE), None
        for reply in await self.parts.replies(case.id):
            if reply.bodies_enc is not None:
                reply.bodies, reply.bodies_enc = self.sealer.reply_bodies(reply), None
        for file in await self.parts.files_with_text(case.id):
            if file.text_enc is not None:
                file.text = read(file.text_enc, Context.ATTACHMENT_TEXT)
                file.text_enc = None
        await self.parts.drop_search_tokens(case.id)

    async def _withdraw_public_summary(self, case: Case, actor: Actor) -> None:
        """A sealed case is never published, not even what it changed."""
        summaries = PublicSummaryRepository(self.session)
        summary = await summaries.get(case.id)
        if summary is None:
            return
        was_published = summary.approved_at is not None
        await summaries.delete(summary)
        event = self.audit.record(
            actor,
            AuditAction.CASE_PUBLIC_SUMMARY_WITHDRAWN,
            case=case,
            before={"published": was_published},
        )
        event.sensitive = True


def _text(value: str | None, *, limit: int, what: str) -> str:
    text = clean(value or "").strip()
    if len(text) > limit:
        raise TextTooLong(what, len(text), limit)
    return text


async def forget_plain_copies(core: Core) -> bool:
    """After a sealing move has committed: the old plain text leaves the full-text index
    and, on SQLite, the write-ahead log (its old pages). False when the log could not be
    emptied yet (a long reader held it; the bot's timer tries again)."""
    await drop_old_text(core.database.engine)
    return await core.database.truncate_log()
