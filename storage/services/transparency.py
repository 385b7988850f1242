"""The public transparency summary and its "you said, we did" list.

Figures per Kyiv month for the public: cases received in two groups (complaints and
feedback; sensitive reports), satisfaction responses, the share of complaints and
feedback resolved within their SLA and the mean satisfaction score. Every count below 5
is withheld, and so is every total that would give one away (:mod:`storage.suppression`).
No share or mean is computed over a withheld cell (issue 18): the share is over the
month's complaints and feedback, published only when that count is itself published,
at least 10 and every one of those cases has reached its deadline (so its base is the
published count), to whole percent; the mean over the satisfaction responses, when that
count is published. Sensitive reports are in no share: a share over both groups gave a
withheld count back.

"You said, we did": staff who handled a closed, standard case write what changed, for
the public; a focal point other than the writer approves it before it appears. Sensitive
cases are never published: even an outcome can point at the person who reported.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.breakdowns import SENSITIVE_KEY
from storage.core import Core
from storage.enums import AuditAction, Language, RatingKind, Role, Status
from storage.errors import (
    Conflict,
    EmptyText,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TextTooLong,
)
from storage.models import Case, PublicSummary
from storage.periods import Period, local_date, month_key, month_period, previous_month
from storage.repositories.aggregates import AggregateRepository, Keys, Scope
from storage.repositories.filters import CaseFilter, RatingFilter
from storage.repositories.public_summaries import PublicSummaryRepository
from storage.services.audit import AuditLog
from storage.services.stats import month_starts
from storage.services.triage import TriageService
from storage.suppression import Constraint, Mark, mean, share, suppress
from storage.text import clean

PUBLIC_LANGUAGES = (Language.UK, Language.EN)
MAX_SUMMARY_CHARS = 600
MAX_MONTHS = 24
PUBLISHED_LIMIT = 10
GROUPS = ("complaints_feedback", "sensitive", "cases_total", "satisfaction_responses")


class NoPublicSummary(NotFound):
    code = "public_summary_not_found"

    def __init__(self) -> None:
        super().__init__("This case has no public summary yet.")


class NotPublishable(Conflict):
    code = "not_publishable"


# Figures -------------------------------------------------------------------------------


@dataclass
class MonthTally:
    """What the public figures of one month are computed from (nothing else is)."""

    complaints_feedback: int = 0
    sensitive: int = 0
    # Of the complaints and feedback: resolved in time, and past or done (decided).
    resolved_on_time: int = 0
    resolution_decided: int = 0
    ratings: int = 0
    score_total: int = 0


@dataclass(frozen=True)
class PublicMonth:
    month: str
    counts: dict[str, int | Mark]  # by GROUPS
    share_resolved_within_sla: float | None
    mean_satisfaction: float | None


@dataclass(frozen=True)
class PublishedItem:
    month: str
    text: str


@dataclass(frozen=True)
class PublicSummaryFigures:
    first_month: str
    last_month: str
    months: list[PublicMonth]
    totals: dict[str, int | Mark]
    you_said_we_did: list[PublishedItem]


class TransparencyService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.counts = AggregateRepository(session)
        self.summaries = PublicSummaryRepository(session)
        self.audit = AuditLog(session, core.clock)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.core.settings.timezone)

    def window(self, months: int) -> list[date]:
        """The last ``months`` complete Kyiv months, oldest first."""
        months = max(1, min(months, MAX_MONTHS))
        first = local_date(self.core.clock.now(), self.zone).replace(day=1)
        chosen = []
        for _ in range(months):
            first = previous_month(first)
            chosen.append(first)
        return list(reversed(chosen))

    async def tallies(self, window: Sequence[date]) -> dict[str, MonthTally]:
        """Each month's tally, counted in SQL per Kyiv month (as storage.services.stats)."""
        zone = self.zone
        start = month_period(window[0], zone).start
        end = month_period(window[-1], zone).end
        keys = [f"{m.year:04d}-{m.month:02d}" for m in window]
        tallies = {k: MonthTally() for k in keys}
        period = Period(window[0], month_period(window[-1], zone).last, zone)
        scope = Scope(
            CaseFilter(created_from=start, created_to=end),
            may_see_sensitive=True,
            now=self.core.clock.now(),
            keys=Keys(month_starts(period), sensitive_grouped=False),
        )
        for key, sensitivity, _score, *counts in await self.counts.case_counts(
            scope, ["month", "sensitivity"]
        ):
            tally = tallies[key]
            received, _ack_met, _ack_decided, res_met, res_decided = (
                int(n or 0) for n in counts[:5]
            )
            if sensitivity == SENSITIVE_KEY:
                tally.sensitive += received
            else:
                tally.complaints_feedback += received
                tally.resolved_on_time += res_met
                tally.resolution_decided += res_decided
        rating_filter = RatingFilter(
            kinds=(RatingKind.ASSISTANCE.value,), created_from=start, created_to=end
        )
        for row in await self.counts.rating_counts(rating_filter, scope.keys, ["month"]):
            tallies[row.month].ratings += int(row[-1])
            tallies[row.month].score_total += int(row.score) * int(row[-1])
        return tallies

    async def figures(
        self, *, months: int = 12, language: Language = Language.UK, from_first: bool = False
    ) -> PublicSummaryFigures:
        """The last ``months`` months; ``from_first``: none before the month of the first
        case or rating (a new deployment's page shows no empty year), but always the
        last month. The months left out hold nothing, so the totals are the same."""
        window = self.window(months)
        if from_first:
            first = await self.counts.first_activity()
            if first is not None:
                start = local_date(first, self.zone).replace(day=1)
                window = [m for m in window if m >= start] or window[-1:]
            else:
                window = window[-1:]
        tallies = await self.tallies(window)
        rows, totals = publish(tallies)
        published = await self.summaries.published(limit=PUBLISHED_LIMIT)
        now = self.core.clock.now()
        return PublicSummaryFigures(
            first_month=rows[0].month,
            last_month=rows[-1].month,
            months=rows,
            totals=totals,
            you_said_we_did=[
                PublishedItem(
                    month=month_key(item.approved_at or now, self.zone),
                    text=_in_language(item.texts, language),
                )
                for item in published
            ],
        )

    # "You said, we did" ----------------------------------------------------------------

    async def _case(self, ref: str, actor: Actor) -> Case:
        # The one visibility rule: a case hidden from this role does not exist (404).
        return await TriageService(self.session, self.core).get_visible(ref, actor)

    async def get(self, ref: str, actor: Actor) -> PublicSummary:
        case = await self._case(ref, actor)
        summary = await self.summaries.get(case.id)
        if summary is None:
            raise NoPublicSummary()
        return summary

    async def write(self, ref: str, actor: Actor, texts: dict[Language, str]) -> PublicSummary:
        """Write or rewrite the summary; a rewrite needs approving again."""
        case = await self._case(ref, actor)
        _check_publishable(case)
        clean_texts = _clean_texts(texts)
        now = self.core.clock.now()
        summary = await self.summaries.get(case.id)
        if summary is None:
            summary = PublicSummary(case_id=case.id, texts=clean_texts, written_at=now)
            self.summaries.add(summary)
        was_published = summary.approved_at is not None
        summary.texts = clean_texts
        summary.written_by = actor.user_id
        summary.written_at = now
        summary.approved_by = None
        summary.approved_at = None
        self.audit.record(
            actor,
            AuditAction.CASE_PUBLIC_SUMMARY_WRITTEN,
            case=case,
            after={"languages": sorted(clean_texts), "withdrawn": was_published},
        )
        await self.session.flush()
        return summary

    async def approve(self, ref: str, actor: Actor) -> PublicSummary:
        if actor.role is not Role.FOCAL_POINT:
            raise PermissionDenied("Only a focal point approves what the public will read.")
        case = await self._case(ref, actor)
        _check_publishable(case)
        summary = await self.summaries.get(case.id)
        if summary is None:
            raise NoPublicSummary()
        if summary.approved_at is not None:
            return summary
        if summary.written_by == actor.user_id:
            raise NotPublishable("A second person approves: ask another focal point to review it.")
        summary.approved_by = actor.user_id
        summary.approved_at = self.core.clock.now()
        self.audit.record(actor, AuditAction.CASE_PUBLIC_SUMMARY_APPROVED, case=case)
        await self.session.flush()
        return summary

    async def withdraw(self, ref: str, actor: Actor) -> None:
        case = await self._case(ref, actor)
        summary = await self.summaries.get(case.id)
        if summary is None:
            raise NoPublicSummary()
        was_published = summary.approved_at is not None
        await self.summaries.delete(summary)
        self.audit.record(
            actor,
            AuditAction.CASE_PUBLIC_SUMMARY_WITHDRAWN,
            case=case,
            before={"published": was_published},
        )
        await self.session.flush()


def publish(tallies: dict[str, MonthTally]) -> tuple[list[PublicMonth], dict[str, int | Mark]]:
    """The published rows of the months in ``tallies`` (in order) and their totals.

    Only what this computes from the tallies leaves: the brute-force solver in
    tests/storage/test_transparency_solver.py checks it against every window.
    """
    keys = list(tallies)
    # Keyed by (month or "total", group); typed as suppress() takes any cell key.
    counts: dict[Hashable, int] = {}
    for key in [*keys, "total"]:
        month_keys = keys if key == "total" else [key]
        parts = [tallies[k] for k in month_keys]
        counts[(key, "complaints_feedback")] = sum(t.complaints_feedback for t in parts)
        counts[(key, "sensitive")] = sum(t.sensitive for t in parts)
        counts[(key, "cases_total")] = sum(t.complaints_feedback + t.sensitive for t in parts)
        counts[(key, "satisfaction_responses")] = sum(t.ratings for t in parts)
    constraints = [
        Constraint((k, "cases_total"), [(k, "complaints_feedback"), (k, "sensitive")])
        for k in [*keys, "total"]
    ] + [Constraint(("total", g), [(k, g) for k in keys]) for g in GROUPS]
    published = suppress(counts, constraints)

    rows = []
    for key in keys:
        tally = tallies[key]
        complaints = published[(key, "complaints_feedback")]
        # The base is the published count only once every case in it is decided.
        settled = tally.resolution_decided == tally.complaints_feedback
        rows.append(
            PublicMonth(
                month=key,
                counts={g: published[(key, g)] for g in GROUPS},
                share_resolved_within_sla=share(
                    tally.resolved_on_time, complaints if settled else None
                ),
                mean_satisfaction=mean(
                    tally.score_total, published[(key, "satisfaction_responses")]
                ),
            )
        )
    return rows, {g: published[("total", g)] for g in GROUPS}


def _check_publishable(case: Case) -> None:
    if case.sensitive:
        raise NotPublishable("Sensitive cases are never published, not even their outcome.")
    if case.status != Status.CLOSED:
        raise NotPublishable("Only a closed case can have a public summary; close it first.")


def _clean_texts(texts: dict[Language, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for lang, text in texts.items():
        language = Language(lang)
        if language not in PUBLIC_LANGUAGES:
            raise InvalidInput("The transparency page is in Ukrainian and English: write uk or en.")
        body = clean(text).strip()
        if not body:
            raise EmptyText("public summary")
        if len(body) > MAX_SUMMARY_CHARS:
            raise TextTooLong("public summary", len(body), MAX_SUMMARY_CHARS)
        result[language.value] = body
    if not result:
        raise EmptyText("public summary")
    return result


def _in_language(texts: dict[str, str], language: Language) -> str:
    return texts.get(language.value) or next(iter(texts.values()))
