"""The database schema (rules: docs/privacy-rules.md, docs/staff-and-cases.md).

No table has a column for a Telegram user id, chat id, username or name. The one
link back to a reporter's chat, for those who opted in, is encrypted in
``reporter_links`` and read only by the delivery worker.

Long on purpose: the whole schema in one module, so a reviewer can check in one
place that no column can hold an identity.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, attributes, mapped_column, relationship

from storage.enums import (
    ActorKind,
    AlertChannel,
    AlertEvent,
    AttachmentKind,
    Channel,
    Consent,
    ContactMode,
    Language,
    OutboxKind,
    OutboxState,
    Outcome,
    Priority,
    RatingKind,
    ReplyDelivery,
    Role,
    Status,
)
from storage.lemmas import index_text
from storage.refs import new_public_id
from storage.surveys import Survey


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A closed vocabulary (:mod:`storage.enums`) in a plain VARCHAR column.

    The stored string is the member's value, exactly as before the columns were typed
    (no native enum, no CHECK constraint, so the schema is unchanged); reading gives
    the member back, and writing something outside the vocabulary fails.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


# Staff ---------------------------------------------------------------------------------


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[datetime | None]
    # Two-factor sign-in (storage.totp): the secret sealed under Context.TOTP, set once
    # a code from it confirmed the enrolment (a pending one lives on its console session).
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled_at: Mapped[datetime | None]
    # The last time step accepted: a code of that step or earlier is refused (replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A one-time code that replaces the authenticator once (storage.totp), stored as a
    keyed hash; ``used_at`` is set when it is spent."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


# Cases ---------------------------------------------------------------------------------


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_sensitive", "status", "sensitive"),
        Index("ix_cases_created_id", "created_at", "id"),
        # The visibility rule (``sensitive IS false`` for most roles) leads, so an
        # operator's newest-first page, with or without a status filter, is read from
        # the index in order instead of sorted from the whole table.
        Index("ix_cases_sensitive_created", "sensitive", "created_at", "id"),
        Index("ix_cases_sensitive_status_created", "sensitive", "status", "created_at", "id"),
        # The worklist's usual filters (a region, a category, open statuses) with the
        # visibility rule and the sort key behind them (migration 0011): a filtered count
        # reads only the matching entries, index-only, and a page picks its newest ids
        # there before reading any row, instead of ANDing three bitmaps of ~5–15% of
        # the table each. Each also serves its leading column alone.
        Index(
            "ix_cases_oblast_status_category",
            "oblast",
            "status",
            "category",
            "sensitive",
            "created_at",
            "id",
        ),
        Index("ix_cases_category_status", "category", "status", "sensitive", "created_at", "id"),
        # Today's deadlines: the daily figures count the flags they turn on from the cases
        # (storage.day_counts, migration 0023).
        Index("ix_cases_acknowledge_due_at", "acknowledge_due_at"),
        Index("ix_cases_resolve_due_at", "resolve_due_at"),
        # The cases closed as duplicates of another (few): partial, so the index holds
        # only them. A full index is almost all NULLs, and SQLite's statistics then say a
        # lookup returns the whole table: it scanned every case to learn whether one has
        # duplicates (the case page's EXISTS, 70 ms at 100,000 cases; migration 0026).
        Index(
            "ix_cases_duplicate_of_id",
            "duplicate_of_id",
            sqlite_where=text("duplicate_of_id IS NOT NULL"),
            postgresql_where=text("duplicate_of_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A case staff logged into the sealed channel: the keyed hash of the one-time claim
    # code read out to the person (the same hash as a receipt code's), exchanged once for
    # a receipt code of their own, so whoever logged it never holds a code that reads
    # the replies. Kept after the claim, so a second one is recognised and refused.
    claim_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    claimed_at: Mapped[datetime | None]
    # The "New case" form's idempotency key, hashed: the same form posted twice finds
    # the case the first post made instead of making another.
    intake_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    category: Mapped[str] = mapped_column(String(40))
    # The category the reporter chose, kept when staff move the case to another: what
    # the reporter reads about their case never changes with a move (None: never moved).
    reporter_category: Mapped[str | None] = mapped_column(String(40))
    sensitive: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[Priority] = mapped_column(StrEnumType(Priority, 10))
    status: Mapped[Status] = mapped_column(StrEnumType(Status, 20))
    oblast: Mapped[str] = mapped_column(String(16))
    programme: Mapped[str | None] = mapped_column(String(32), index=True)
    language: Mapped[Language] = mapped_column(StrEnumType(Language, 2))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    contact_mode: Mapped[ContactMode] = mapped_column(StrEnumType(ContactMode, 16))
    # Exactly one of these holds the description: plain (searchable) for standard
    # cases, encrypted for sensitive ones. Both are emptied by retention.
    narrative: Mapped[str | None] = mapped_column(Text)
    narrative_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The plain narrative's lemmas, indexed with it (storage.lemmas; kept by the events
    # at the end of this module). Never set for a sensitive case. Deferred: only the
    # indexes read it.
    lemmas: Mapped[str | None] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledge_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    referred_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # What the reporter sees as "last update": a status change or a public reply.
    public_updated_at: Mapped[datetime]
    reporter_updated_at: Mapped[datetime | None]
    content_purged_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    handling_score: Mapped[int | None] = mapped_column(Integer)
    # What became of it (storage.enums.Outcome): set when it is closed, cleared when it is
    # reopened. Kept by content retention, as the category and dates are.
    outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome, 24))
    # The partner (partners.id) it was last referred to; every referral is in
    # case_referrals. No foreign key (SQLite adds none to an existing table): partners
    # are retired, never deleted.
    referral_target_id: Mapped[int | None] = mapped_column(Integer)
    # A child is involved: the case is not closed before a referral to child protection
    # is recorded or a focal point has written why not (the note named here).
    child_involved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    child_waiver_note: Mapped[str | None] = mapped_column(String(16))
    # A sealed case's replies go to the reporter's chat word for word only when a focal
    # point chose so (the reporter asked); otherwise the chat gets a neutral notice.
    reply_full_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Since when it waits for the reporter: its SLA clock stands still meanwhile.
    waiting_since: Mapped[datetime | None]
    # When it was moved into the sealed channel (None: filed there, or never sealed); the
    # escalation counts from it (storage.services.alerts).
    sealed_at: Mapped[datetime | None]
    # Closed as a duplicate of this case (cases.id), the one kept (counted once in the
    # figures). No foreign key, as above: cases are emptied, never deleted.
    duplicate_of_id: Mapped[int | None] = mapped_column(Integer)
    # The feedback point (feedback_points.id) the report was started at, from its
    # poster. No foreign key, as above: SQLite cannot name one on an added column, and
    # points are never deleted.
    feedback_point_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    tags: Mapped[list[CaseTag]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin", order_by="CaseTag.tag"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Partner(Base):
    """An organisation or service cases are referred to, kept by administrators.

    Not the reporter-facing helplines of ``HOLOS_REFERRAL_CONTACTS``: this list is what
    staff choose from when they record a referral. A partner is retired, never deleted,
    so the figures keep its name."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # A child-protection service: a referral to it lets a case involving a child close.
    child_protection: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseReferral(Base):
    """One referral of a case to a partner, with the person's consent and a staff note
    (sealed for a sensitive case, like an internal note)."""

    __tablename__ = "case_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    consent: Mapped[Consent] = mapped_column(StrEnumType(Consent, 16))
    note: Mapped[str | None] = mapped_column(Text)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class CaseExclusion(Base):
    """A focal point kept away from one case: they stepped back themselves (``recused``)
    or another focal point excluded them (``excluded``). For them the case does not
    exist (the visibility rule: :func:`storage.repositories.filters.visible`), and they
    get no alerts about it."""

    __tablename__ = "case_exclusions"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    at: Mapped[datetime]


class CaseActivity(Base):
    """Something that happened to a case which its readers should notice (the worklist's
    "new" marker): the reporter added information or replied, a reply could not be
    delivered, or the case was assigned to someone (``user_id``: only for them; None:
    for everyone who sees the case)."""

    __tablename__ = "case_activity"
    __table_args__ = (
        Index("ix_case_activity_case_at", "case_id", "at"),
        # The worklist reads only recent activity (storage.services.activity.NEWS_WINDOW).
        Index("ix_case_activity_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))


class CaseSeen(Base):
    """When a staff member last opened a case, and the newest activity it showed them:
    activity with a greater id is new to them. Compared by id, not time: a reporter's
    moments are kept to the minute only, and a minute is too coarse to tell what came
    before an opening from what came after it."""

    __tablename__ = "case_views"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seen_at: Mapped[datetime]
    activity_id: Mapped[int] = mapped_column(Integer, default=0)


class CaseTag(Base):
    __tablename__ = "case_tags"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    case: Mapped[Case] = relationship(back_populates="tags")


class CaseAddition(Base):
    """Information a reporter added to their case later, through the receipt code."""

    __tablename__ = "case_additions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What leaves the API and the console; the numeric key stays inside (storage.refs).
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    body: Mapped[str | None] = mapped_column(Text)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The plain body's lemmas, like ``Case.lemmas``.
    lemmas: Mapped[str | None] = mapped_column(Text, deferred=True)


class CaseSearchToken(Base):
    """Blind index of a sensitive case's text (see :mod:`storage.search`).

    One row per distinct word prefix of the narrative and the additions, as a keyed hash:
    a focal point's search finds sensitive cases without decrypting them, and the table
    alone tells nothing of the words. Deleted with the content by retention.
    """

    __tablename__ = "case_search_tokens"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Attachment(Base):
    """Metadata only; the encrypted bytes live in the blob store under ``blob_key``."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What leaves the API and the console; the numeric key stays inside (storage.refs).
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    addition_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_additions.id", ondelete="CASCADE")
    )
    kind: Mapped[AttachmentKind] = mapped_column(StrEnumType(AttachmentKind, 16))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    # What a document says (a PDF's pages, an office file's text), by the case's rule:
    # plain and full-text indexed when standard, sealed when sensitive. The reporter's
    # file name is never kept (issue 18): it can name them.
    # Deferred: listing a case's files never loads their words.
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The plain text's lemmas, like ``Case.lemmas``.
    lemmas: Mapped[str | None] = mapped_column(Text, deferred=True)
    blob_key: Mapped[str] = mapped_column(String(64), unique=True)
    metadata_stripped: Mapped[bool] = mapped_column(Boolean, default=False)
    # Made anew from what the original shows (issue 18): every file stored since. A
    # document stored before is served as ``.bin`` until ``holos files rebuild`` runs.
    rebuilt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class Note(Base):
    """Internal note: staff only, never shown to the reporter."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What leaves the API and the console; the numeric key stays inside (storage.refs).
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    body: Mapped[str | None] = mapped_column(Text)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class Reply(Base):
    """Public reply, shown to the reporter; one text per language staff wrote it in."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What leaves the API and the console; the numeric key stays inside (storage.refs).
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    bodies: Mapped[dict[str, str] | None] = mapped_column(JSON)
    bodies_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    delivery: Mapped[ReplyDelivery] = mapped_column(StrEnumType(ReplyDelivery, 20))


class ReporterLink(Base):
    """The reporter's chat, for "you may reply to me in this chat" (contact option b).

    Encrypted; read only by the delivery worker, never by the API; deleted some days
    after the case closes.
    """

    __tablename__ = "reporter_links"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    chat_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    # The messages the delivery worker sent to that chat (encrypted JSON), which "clear
    # this conversation" deletes; gone with the link itself.
    sent_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class ContactDetail(Base):
    """A phone or e-mail the reporter chose to type (contact option c); encrypted."""

    __tablename__ = "contact_details"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    contact_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


# Satisfaction --------------------------------------------------------------------------


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RatingKind] = mapped_column(StrEnumType(RatingKind, 16), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    programme: Mapped[str | None] = mapped_column(String(32), index=True)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[Language] = mapped_column(StrEnumType(Language, 2))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), unique=True
    )
    # Given at a feedback point (its poster's link): the point it is about.
    feedback_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_points.id"), index=True
    )


class FeedbackPoint(Base):
    """A place where assistance is given and people are asked about it (issue 24): a
    distribution, a site, a programme's office. Its short ``code`` is in the poster's
    links (the bot's ``start=fp_<code>``, the web form's ``/r/<code>``); typed codes
    are read case-insensitively. It carries an optional survey (storage.surveys, as
    ``Survey.to_json``). Kept by analysts and focal points; never deleted, so the
    figures keep its name."""

    __tablename__ = "feedback_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    programme: Mapped[str] = mapped_column(String(32), index=True)
    oblast: Mapped[str] = mapped_column(String(16), index=True)
    site: Mapped[str | None] = mapped_column(String(120))
    active_from: Mapped[date] = mapped_column(Date)
    active_until: Mapped[date | None] = mapped_column(Date)
    # How many people it serves, for a response rate (None: not known).
    served: Mapped[int | None] = mapped_column(Integer)
    survey: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def survey_definition(self) -> Survey | None:
        """The stored survey, read (None: the point asks only for a rating)."""
        return Survey.from_json(self.survey) if self.survey else None


class SurveyResponse(Base):
    """One person's answers to a point's survey. Nothing links it to who gave it: the
    point, the hour (as a rating's), the language and the channel."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_point_created", "point_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("feedback_points.id"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    language: Mapped[Language] = mapped_column(StrEnumType(Language, 2))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))

    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="SurveyAnswer.id",
    )


class SurveyAnswer(Base):
    """The answer to one question (by its name): ``value`` is a choice's code, "yes" or
    "no", or a scale's number as text (``number`` holds it as a number too); ``text``
    is a short free answer, kept as a rating's comment is."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


# Daily figures (storage.day_counts) ----------------------------------------------------
# What the M&E figures count, per Kyiv day, kept by the writer as it changes cases and
# ratings (append-only delta rows: +1 for a case's new key, -1 for its old one, so two
# writers never wait on one row), folded by the scheduler. A figure is the sum of ``n``
# over its rows. Each row is of one *grain*: "all" carries every dimension; the others
# only the one they are named after (the rest NULL), so an unfiltered year reads a few
# thousand rows, not a million.


class CaseDayCount(Base):
    __tablename__ = "case_day_counts"
    __table_args__ = (Index("ix_case_day_counts_grain_day", "grain", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(24))
    day: Mapped[date] = mapped_column(Date)
    sensitive: Mapped[bool] = mapped_column(Boolean)
    duplicate: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(64))
    oblast: Mapped[str | None] = mapped_column(String(16))
    programme: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(2))
    channel: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    referral_target_id: Mapped[int | None] = mapped_column(Integer)
    handling_score: Mapped[int | None] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean)
    acked: Mapped[bool] = mapped_column(Boolean)
    ack_met: Mapped[bool] = mapped_column(Boolean)
    resolved: Mapped[bool] = mapped_column(Boolean)
    res_met: Mapped[bool] = mapped_column(Boolean)
    # The Kyiv day on which a flag that depends on the clock turns on by itself: the
    # acknowledgement deadline of a case not acknowledged, the resolution deadline of one
    # not resolved and on the clock, the instant an open case becomes overdue.
    ack_flip: Mapped[date | None] = mapped_column(Date)
    res_flip: Mapped[date | None] = mapped_column(Date)
    over_flip: Mapped[date | None] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer)


class CaseDayTime(Base):
    """Times to acknowledge and resolve, per day, as the figures show them: hours
    rounded to two places (``cell``), counted. Medians are exact: see storage.day_counts."""

    __tablename__ = "case_day_times"
    __table_args__ = (Index("ix_case_day_times_grain_day", "grain", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(24))
    day: Mapped[date] = mapped_column(Date)
    sensitive: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(64))
    oblast: Mapped[str | None] = mapped_column(String(16))
    programme: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(2))
    channel: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    referral_target_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(3))  # "ack" or "res"
    cell: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)


class RatingDayCount(Base):
    """Ratings per day, kind, programme, language and score (``reason`` NULL), and the
    same with each reason given (one row per reason); grain "point": the ratings given
    at a feedback point (``point_id``), per day, kind and score."""

    __tablename__ = "rating_day_counts"
    __table_args__ = (
        Index("ix_rating_day_counts_grain_day", "grain", "day"),
        Index("ix_rating_day_counts_point_day", "point_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(24))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    programme: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(2))
    score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(32))
    point_id: Mapped[int | None] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)


class SurveyDayCount(Base):
    """Survey responses per day, feedback point, language and channel (``question``
    NULL), and the answers given to each question per value (a choice's code, yes or
    no, a scale's number): what a point's results count, without reading every answer.
    A free-text answer counts as given (``value`` NULL), never by its words."""

    __tablename__ = "survey_day_counts"
    __table_args__ = (Index("ix_survey_day_counts_point_day", "point_id", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    point_id: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))
    question: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)


class SurveyDayCrossing(Base):
    """A scored answer (``question``, ``score``) crossed with a choice answered in the
    same response (``by_question``, ``by_value``), per day and feedback point: a
    point's results cross its scales with sex, age group or disability from these rows
    instead of joining every answer with the others of its response. Every choice
    answered is kept (the survey says which are demographic, when read)."""

    __tablename__ = "survey_day_crossings"
    __table_args__ = (Index("ix_survey_day_crossings_point_day", "point_id", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    point_id: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    by_question: Mapped[str] = mapped_column(String(64))
    by_value: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)


class DayCountState(Base):
    """That the daily figures were built (``holos stats rebuild``, or the migration over
    an empty database), in which time zone: until then, and for another zone, the
    figures are counted from the cases."""

    __tablename__ = "day_count_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: built over an empty database (by the migration), so in no zone yet.
    zone: Mapped[str | None] = mapped_column(String(64))
    built_at: Mapped[datetime]
    # Each table's last row folded (table name -> id): a fold reads the days written
    # since, not the whole year.
    folded: Mapped[dict[str, int] | None] = mapped_column(JSON)


# Audit and delivery --------------------------------------------------------------------


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What leaves the API and the console; the numeric key stays inside (storage.refs).
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(StrEnumType(ActorKind, 16))
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    # No foreign key: the trail outlives what it describes.
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_ref: Mapped[str | None] = mapped_column(String(20))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    target: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxMessage(Base):
    """A message waiting for the delivery worker: a staff reply or the handling survey."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OutboxKind] = mapped_column(StrEnumType(OutboxKind, 20))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    state: Mapped[OutboxState] = mapped_column(StrEnumType(OutboxState, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


# Conversation --------------------------------------------------------------------------


class ConversationState(Base):
    """A chat's conversation state and draft, under the person's draft key of the day,
    encrypted, expiring. SQLite only: on PostgreSQL drafts live in Redis (bot.fsm)."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(128))
    data_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LanguagePreference(Base):
    """The language a person chose, kept longer than any draft (90 days idle), under the
    person's language key (never their draft key)."""

    __tablename__ = "language_preferences"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ThrottleCounter(Base):
    """Fixed-window counters for rate limits: global ones and staff sign-in ones. Per-person
    counters (quotas, receipt-code misses) never come here (storage.counters)."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# Transparency ---------------------------------------------------------------------------


class PublicSummary(Base):
    """ "You said, we did": what a closed case changed, written for the public.

    Staff write it in uk and/or en; it appears on the transparency page only once a focal
    point other than its author has approved it. Editing it withdraws the approval. It is
    not what the reporter wrote, so content retention leaves it in place.
    """

    __tablename__ = "public_summaries"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    written_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    written_at: Mapped[datetime]
    approved_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(index=True)


# Staff console -------------------------------------------------------------------------


class ConsoleSession(Base):
    """A sign-in to the staff console: the cookie holds a random id, this row its keyed
    hash. ``stage`` is ``active`` once every sign-in step is done; before that the session
    only lets its holder finish signing in (a second factor, an enrolment)."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[str] = mapped_column(String(16))
    # The role it was opened with: a role change ends the session.
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    # While a sign-in is half done: the keyed hash of the address (IPv6: its /64) that
    # passed the password, the only one its code step answers; and the codes tried.
    client_hash: Mapped[str | None] = mapped_column(String(64))
    codes_tried: Mapped[int] = mapped_column(Integer, default=0)
    # An enrolment's secret waiting for its first code: this session's own, sealed under
    # Context.TOTP_PENDING, good until ``pending_totp_expires_at``.
    pending_totp_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    pending_totp_expires_at: Mapped[datetime | None]


class StaffPreference(Base):
    """What a staff member chose for themselves: the console's language."""

    __tablename__ = "staff_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2))


class ReplyTemplate(Base):
    """A ready answer staff insert into a reply and edit before sending: one text per
    name and language (uk, ru, en). ``{date}`` and ``{topic}`` in it become the report's
    date and its category in the reporter's language when it is inserted. Written by
    staff, so it holds nothing of a reporter's; the reply made from it is sealed like
    any other."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(16), unique=True, index=True, default=new_public_id
    )
    name: Mapped[str] = mapped_column(String(80))
    language: Mapped[Language] = mapped_column(StrEnumType(Language, 2))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )


class SavedFilter(Base):
    """A worklist filter a staff member saved for themselves under a name ("my overdue"):
    the console's query string, read as leniently as a bookmark."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """A Telegram update whose effects are stored: a redelivery of it is not handled again.

    Written in the same transaction as the update's first effects; kept a day (Telegram
    redelivers within hours). ``update_id`` holds a keyed hash of the id
    (storage.crypto.Crypto.update_tag): ids count up across all chats, and stored plain
    they would line up one person's updates with the one that stored their case."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(index=True)


# Staff alerts --------------------------------------------------------------------------


class StaffAlertSettings(Base):
    """How a staff member wants to be alerted (their account page): an e-mail address,
    their own Telegram chat, the channels and events they chose, and dates away.

    The Telegram chat is a staff member's own, linked by them with a one-time code; it is
    sealed like a reporter's chat would be, and only the alert worker opens it. Reporters
    have no row here, ever.
    """

    __tablename__ = "staff_alert_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    # Set when the mail server refused the address for good (a 5xx): nothing more is sent
    # to it until the person saves an address again.
    email_bounced_at: Mapped[datetime | None]
    email_on: Mapped[bool] = mapped_column(Boolean, default=True)
    telegram_on: Mapped[bool] = mapped_column(Boolean, default=True)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    away_from: Mapped[date | None] = mapped_column(Date)
    away_until: Mapped[date | None] = mapped_column(Date)
    telegram_chat_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    telegram_linked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class StaffLinkCode(Base):
    """A one-time code that links a staff member's Telegram chat (a keyed hash of it):
    good for ten minutes, spent on first use."""

    __tablename__ = "staff_link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class AlertMessage(Base):
    """An alert waiting for the alert worker: to one staff member on one channel, or to
    an escalation address. It holds no text: what it says is written when it is sent,
    from the event and the case as it is then (a case sealed meanwhile says nothing)."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[AlertChannel] = mapped_column(StrEnumType(AlertChannel, 16))
    event: Mapped[AlertEvent] = mapped_column(StrEnumType(AlertEvent, 20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    # Escalation only: an address of the organisation from HOLOS_ESCALATION_EMAILS.
    address: Mapped[str | None] = mapped_column(String(254))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # The daily digest: how many cases are due today.
    count: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[OutboxState] = mapped_column(StrEnumType(OutboxState, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]


class AlertMark(Base):
    """That a scan has already raised an alert ("overdue:<case id>", "escalation:<case
    id>", "digest:<date>"): the primary key makes two instances' scans raise it once."""

    __tablename__ = "alert_marks"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)


# Search lemmas -------------------------------------------------------------------------
# Every write of plain text, wherever it comes from (intake, a file rebuilt, a test),
# keeps its lemmas beside it, so the indexes (triggers over both columns) stay whole.
# Retention's bulk UPDATE, which bypasses these events, clears both itself.


def _keep_lemmas(model: type[Base], column: str) -> None:
    def fill(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
        state = attributes.instance_state(target)
        if column in state.dict and (
            state.key is None or attributes.get_history(target, column).has_changes()
        ):
            target.lemmas = index_text(getattr(target, column))

    event.listen(model, "before_insert", fill)
    event.listen(model, "before_update", fill)


_keep_lemmas(Case, "narrative")
_keep_lemmas(CaseAddition, "body")
_keep_lemmas(Attachment, "text")
