"""The worklist's query string (``GET /api/v1/cases``).

Repeated parameters mean "any of" (``?status=new&status=acknowledged``); repeated tags
mean "all of". Unknown parameters are refused, so a misspelt filter is an error rather
than a silently unfiltered list.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from pydantic import Field, StringConstraints

from admin_api.schemas.cases import TAG_PATTERN
from admin_api.schemas.common import RequestModel, Storable, UtcDatetime
from storage.catalog import Catalog
from storage.enums import Language, Priority, Sort, Status
from storage.repositories.filters import CaseFilter
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


class CaseFilterFields(RequestModel):
    """The filters the worklist, the indicators and the exports share."""

    status: list[Status] = Field(default_factory=list, max_length=MAX_VALUES)
    category: list[CategoryCode] = Field(default_factory=list, max_length=MAX_VALUES)
    sensitive: bool | None = None
    priority: list[Priority] = Field(default_factory=list, max_length=MAX_VALUES)
    oblast: list[OblastCode] = Field(default_factory=list, max_length=MAX_VALUES)
    programme: list[ProgrammeCode] = Field(default_factory=list, max_length=MAX_VALUES)
    language: list[Language] = Field(default_factory=list, max_length=MAX_VALUES)
    overdue: bool | None = None
    tag: list[TagFilter] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Cases with all these tags."
    )

    def case_filter(self, catalog: Catalog) -> CaseFilter:
        """The query string as a repository filter. Unknown codes are a client error
        (422 naming the value), not an empty list that looks like "no cases"."""
        for code in self.category:
            catalog.category(code)
        for code in self.oblast:
            catalog.oblast(code)
        for code in self.programme:
            catalog.programme(code)
        return CaseFilter(
            statuses=list(self.status),
            categories=list(self.category),
            priorities=list(self.priority),
            oblasts=list(self.oblast),
            programmes=list(self.programme),
            languages=list(self.language),
            # Stored tags are lower case; so is what matches them.
            tags=[t.lower() for t in self.tag],
            sensitive=self.sensitive,
            overdue=self.overdue,
        )


class WorklistParams(CaseFilterFields):
    assignee: Assignee | None = None
    created_from: UtcDatetime | None = Field(default=None, description="Inclusive.")
    created_to: UtcDatetime | None = Field(default=None, description="Exclusive.")
    q: Annotated[str, StringConstraints(max_length=200), Storable] | None = Field(
        default=None,
        description="Words to find in what reporters wrote: each word matches as a prefix "
        "or by its lemma (Ukrainian, Russian) or stem (English), so `Харків` finds "
        "`Харкові`. A case reference in any accepted spelling finds that case (see "
        "`match`). A query with no word in it is refused (422 `no_search_words`).",
    )
    sort: Sort = Sort.CREATED_DESC
    cursor: Cursor | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)

    def worklist_filter(self, catalog: Catalog, user_id: int | None) -> CaseFilter:
        """The shared filters plus what only the worklist has: assignee, created between."""
        assignee_id: int | None = None
        if self.assignee == "mine":
            assignee_id = user_id
        elif self.assignee is not None and self.assignee != "unassigned":
            assignee_id = int(self.assignee)
        return replace(
            self.case_filter(catalog),
            assignee_id=assignee_id,
            unassigned=self.assignee == "unassigned",
            created_from=self.created_from,
            created_to=self.created_to,
        )
