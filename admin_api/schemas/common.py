"""Building blocks shared by every schema: the error bodies, strict request models, and
string and number types that the databases can always store.

PostgreSQL refuses NUL characters in text and the drivers cannot encode lone UTF-16
surrogates (which ``json.loads`` lets through); either would surface as a 500 deep in a
query. Every free-text input therefore goes through :data:`Text`, which answers 422.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

# Ids in the database are 32-bit integers; a larger number can only be a client error.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


# Add to every free-text ``Annotated[str, StringConstraints(...), Storable]``.
Storable = AfterValidator(_storable)
# Timestamps must carry a timezone: a naive one is ambiguous across Ukraine and the server.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class RequestModel(BaseModel):
    """Every request body: unknown fields are refused, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every error answer: a stable machine-readable ``code`` and a sentence for people."""

    code: str = Field(examples=["case_not_found"])
    detail: str = Field(examples=["No case HL-2026-000123."])


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    """A request that is not valid. Never echoes what was sent.

    ``code`` is ``validation_error`` when the request does not match the schema, and then
    ``errors`` lists each problem; a domain rule (an unknown oblast, an empty note) has its
    own ``code`` and no ``errors``.
    """

    code: str = Field(examples=["validation_error"])
    errors: list[ValidationIssue] = Field(default_factory=list)


class ViewModel(BaseModel):
    """An output read attribute by attribute from what storage returns: a model row,
    or a view such as :class:`storage.services.triage.CaseView` (a case with its SLA)."""

    model_config = ConfigDict(from_attributes=True)
