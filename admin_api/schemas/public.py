"""The public transparency summary: no sign-in, counts below 5 withheld."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from admin_api.schemas.common import RequestModel
from storage.services.transparency import MAX_MONTHS, MAX_SUMMARY_CHARS

# A published count: the number, "<5" (below five), or "suppressed" (it would reveal one).
Count = int | Literal["<5", "suppressed"]


class PublicParams(RequestModel):
    lang: Literal["uk", "en"] = "uk"
    months: int = Field(default=12, ge=1, le=MAX_MONTHS)


class PublicCounts(BaseModel):
    complaints_feedback: Count
    sensitive: Count = Field(description="Fraud and corruption, abuse, trafficking.")
    cases_total: Count
    satisfaction_responses: Count


class PublicMonthOut(BaseModel):
    month: str = Field(examples=["2026-11"], description="Calendar month in Kyiv time.")
    counts: PublicCounts
    share_resolved_within_sla: float | None = Field(
        description="Of the month's complaints and feedback, the share resolved within their "
        "SLA, to whole percent (0.74). Withheld (null) unless that count is published, at "
        "least 10, and every one of those cases has reached its deadline. Sensitive reports "
        "are in no share."
    )
    mean_satisfaction: float | None = Field(
        description="1–5; withheld (null) unless the count of responses is published."
    )


class PublishedOut(BaseModel):
    month: str
    text: str


class PublicSummaryOut(BaseModel):
    first_month: str
    last_month: str
    months: list[PublicMonthOut]
    totals: PublicCounts
    you_said_we_did: list[PublishedOut]
    suppression: str = Field(
        default="Counts below 5 are shown as '<5'; a total that would reveal one is "
        "'suppressed'. No share or mean is computed over a withheld count."
    )


class PublicTextsIn(RequestModel):
    uk: str | None = Field(default=None, max_length=MAX_SUMMARY_CHARS * 2)
    en: str | None = Field(default=None, max_length=MAX_SUMMARY_CHARS * 2)


class PublicSummaryIn(RequestModel):
    texts: PublicTextsIn


class PublicSummaryState(BaseModel):
    texts: dict[str, str]
    written_by: int | None
    written_at: str
    approved_by: int | None
    approved_at: str | None
    published: bool
