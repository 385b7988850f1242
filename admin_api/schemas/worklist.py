"""The worklist's query string (SPEC §6 ``GET /cases``).

Repeated parameters mean "any of" (``?status=new&status=acknowledged``); repeated tags
mean "all of". Unknown parameters are refused, so a misspelt filter is an error rather
than a silently unfiltered list.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from admin_api.schemas.cases import TAG_PATTERN
from admin_api.schemas.common import RequestModel, Storable, UtcDatetime
from storage.enums import Language, Priority, Sort, Status
from storage.services.worklist import MAX_PAGE

MAX_VALUES = 20
MAX_CURSOR = 2000

CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
OblastCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
ProgrammeCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]
TagFilter = Annotated[str, StringConstraints(pattern=TAG_PATTERN)]
Assignee = Annotated[
    str,
    StringConstraints(pattern=r"^(mine|unassigned|[1-9][0-9]{0,8})$"),
    Field(description="A staff id, `mine` or `unassigned`."),
]
Cursor = Annotated[str, StringConstraints(max_length=MAX_CURSOR), Storable]


class WorklistParams(RequestModel):
    status: list[Status] = Field(default_factory=list, max_length=MAX_VALUES)
    category: list[CategoryCode] = Field(default_factory=list, max_length=MAX_VALUES)
    sensitive: bool | None = None
    priority: list[Priority] = Field(default_factory=list, max_length=MAX_VALUES)
    assignee: Assignee | None = None
    oblast: list[OblastCode] = Field(default_factory=list, max_length=MAX_VALUES)
    programme: list[ProgrammeCode] = Field(default_factory=list, max_length=MAX_VALUES)
    language: list[Language] = Field(default_factory=list, max_length=MAX_VALUES)
    overdue: bool | None = None
    created_from: UtcDatetime | None = Field(default=None, description="Inclusive.")
    created_to: UtcDatetime | None = Field(default=None, description="Exclusive.")
    tag: list[TagFilter] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Cases with all these tags."
    )
    q: Annotated[str, StringConstraints(max_length=200), Storable] | None = Field(
        default=None,
        description="Words to find in what reporters wrote; each word matches as a prefix.",
    )
    sort: Sort = Sort.CREATED_DESC
    cursor: Cursor | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
