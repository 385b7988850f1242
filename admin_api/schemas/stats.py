"""Query strings and answers of the M&E endpoints: stats, ratings, export.

Periods are calendar days in Kyiv time: ``from`` and ``to`` are dates, both included.
Unknown parameters, groups, formats and filter values are refused with 422, naming the
parameter, so a typo never silently widens a figure.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from admin_api.schemas.common import RequestModel, Storable
from admin_api.schemas.worklist import MAX_VALUES, CaseFilterFields, ProgrammeCode
from storage.breakdowns import GROUP_BY
from storage.enums import Language, RatingKind

if TYPE_CHECKING:
    GroupBy = str
else:
    # The one list of breakdowns (storage.breakdowns): checked and documented as an enum.
    GroupBy = Literal[GROUP_BY]
Score = Annotated[int, Field(ge=1, le=5)]
MAX_RATINGS_PAGE = 200


class PeriodParams(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(
        default=None,
        alias="from",
        description="First day, Kyiv time (default: the first day of `to`'s month).",
    )
    to: date | None = Field(default=None, description="Last day, Kyiv time, included (today).")


class CaseFilterParams(PeriodParams, CaseFilterFields):
    """The worklist's filters (``GET /cases``), less paging, sorting, assignee and text search."""


class StatsParams(CaseFilterParams):
    group_by: GroupBy | None = Field(
        default=None,
        description="Also give every indicator per month, category, … `outcome` keys "
        "closed cases by what became of them (`none`: not closed); `referral_target` by "
        "the partner's name (`none`: never referred). Analysts see sensitive cases as one "
        "`sensitive` group in every breakdown but `month`.",
    )


class RatingParams(PeriodParams):
    kind: list[RatingKind] = Field(default_factory=list, max_length=2)
    programme: list[ProgrammeCode] = Field(default_factory=list, max_length=MAX_VALUES)
    language: list[Language] = Field(default_factory=list, max_length=MAX_VALUES)
    score: list[Score] = Field(default_factory=list, max_length=5)
    cursor: Annotated[str, StringConstraints(max_length=2000), Storable] | None = None
    limit: int = Field(default=50, ge=1, le=MAX_RATINGS_PAGE)


class ExportParams(CaseFilterParams):
    kind: Literal["cases", "ratings", "feedback_responses"] = Field(
        default="cases",
        description="`feedback_responses`: one feedback point's survey responses (name it "
        "with `point`), a column per question headed by its label in `lang`, and a coded "
        "question's code beside it.",
    )
    point: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{6}$")] | None = Field(
        default=None, description="The feedback point's code (`kind=feedback_responses`)."
    )
    format: Literal["csv", "xlsx"] = "csv"
    lang: Literal["en", "uk"] = Field(default="en", description="Language of the headers.")
    # Ratings only (cases have no score or rating kind).
    score: list[Score] = Field(default_factory=list, max_length=5)
    rating_kind: list[RatingKind] = Field(default_factory=list, max_length=2)


# Answers -----------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReasonOut(_Out):
    reason: str
    count: int


class SatisfactionOut(_Out):
    count: int
    mean: float | None
    share_satisfied: float | None = Field(description="Share of scores 4–5.")
    distribution: dict[str, int] = Field(description="Count of each score, 1–5.")
    top_reasons: list[ReasonOut] = Field(description="What went wrong, for scores 1–2.")


class CaseIndicatorsOut(_Out):
    received: int
    acknowledged_within_sla: int
    acknowledge_decided: int = Field(
        description="Acknowledged, or past the deadline unacknowledged: the share's base."
    )
    share_acknowledged_within_sla: float | None
    resolved_within_sla: int
    resolve_decided: int
    share_resolved_within_sla: float | None
    median_hours_to_acknowledge: float | None
    p90_hours_to_acknowledge: float | None
    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None
    open: int
    overdue: int
    handling_satisfaction: SatisfactionOut


class GroupOut(_Out):
    key: str
    cases: CaseIndicatorsOut
    satisfaction: SatisfactionOut | None


class PeriodOut(_Out):
    """Read from :class:`storage.periods.Period` (``first``, ``last``, ``zone``)."""

    model_config = ConfigDict(from_attributes=True, serialize_by_alias=True)

    from_: date = Field(validation_alias="first", serialization_alias="from")
    to: date = Field(validation_alias="last")
    timezone: Annotated[str, BeforeValidator(str)] = Field(validation_alias="zone")


class StatsOut(_Out):
    """Read from :class:`storage.services.stats.StatsReport` as it is."""

    period: PeriodOut
    sensitive_cases: Annotated[
        Literal["all", "grouped", "left_out", "standard"], BeforeValidator(str)
    ] = Field(
        validation_alias="visibility",
        description="`all`: counted by category; `grouped`: one `sensitive` group; "
        "`left_out`: not counted in this view (analysts count them only as one group "
        "over whole months, never narrowed by oblast, programme, language, status or "
        "any other filter); `standard`: not counted (they do not exist for your role).",
    )
    cases: CaseIndicatorsOut
    received_by: dict[str, dict[str, int]]
    satisfaction: SatisfactionOut
    satisfaction_by_programme: dict[str, SatisfactionOut]
    satisfaction_by_month: dict[str, SatisfactionOut]
    group_by: GroupBy | None
    groups: list[GroupOut]
    duplicates: int = Field(
        description="Cases received in the period and closed as duplicates of another: "
        "counted here only, never in the figures above, where the case kept counts once."
    )


class RatingOut(_Out):
    id: int
    kind: RatingKind
    created_at: datetime
    programme: str | None
    score: int
    reasons: list[str]
    language: str
    channel: str
    comment: str | None = Field(description="Only for operators and focal points.")


class RatingPage(BaseModel):
    items: list[RatingOut]
    next_cursor: str | None
    total: int
