"""What a role may learn about sensitive cases from figures (docs/staff-and-cases.md; issue 18 §4).

One rule, in one place, that every figure, breakdown, filter and export goes through:

- A focal point sees sensitive cases like any case (``ALL``).
- Operators and administrators never see them, not even counted (``STANDARD``).
- An analyst sees them only as **one aggregate group** (``GROUPED``): counted with the
  rest, or as one ``sensitive`` row, over whole Kyiv months (the month so far counts
  as one), and never crossed with another dimension: not by category, oblast,
  programme, language, channel, outcome (status), priority, tags, assignee, overdue,
  feedback point or referral target, and never as rows of an export. A view that
  narrows by any of those, or cuts a month, counts them not at all (``LEFT_OUT``); a
  request that asks for sensitive cases *and* narrows so is refused.

Only :data:`MONTH` and :data:`SENSITIVITY` may cross the sensitive group. Every other
dimension, including any added later, is refused by default: a new breakdown or filter
is safe until someone decides otherwise here, and ``tests/storage/test_disclosure.py``
fails when a filter field or breakdown key is not named below.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import date, datetime, timedelta
from enum import StrEnum

from storage.access import Actor
from storage.catalog import Catalog
from storage.enums import Role
from storage.errors import PermissionDenied
from storage.periods import Period, local_date, next_month
from storage.repositories.filters import CaseFilter

MONTH = "month"
SENSITIVITY = "sensitivity"
# The dimensions the one sensitive group may be broken down or filtered by.
CROSSES_SENSITIVE = frozenset({MONTH, SENSITIVITY})

# Each field of the worklist's filter, by the dimension it narrows (None: not a
# dimension but the period, which is checked on its own). A field missing here is a
# test failure, not a silent leak.
FILTER_DIMENSIONS: dict[str, str | None] = {
    "statuses": "status",
    "categories": "category",
    "priorities": "priority",
    "oblasts": "oblast",
    "programmes": "programme",
    "languages": "language",
    "tags": "tags",
    "sensitive": SENSITIVITY,
    "assignee_id": "assignee",
    "unassigned": "assignee",
    "overdue": "overdue",
    "created_from": None,
    "created_to": None,
    "refs": "reference",
    "search_terms": "text",
    "blind_tokens": "text",
}
# The dimensions figures are broken down by today, and those planned: every one of
# them keeps sensitive cases as one group for an analyst.
BREAKDOWN_DIMENSIONS = frozenset(
    {
        MONTH,
        SENSITIVITY,
        "category",
        "oblast",
        "programme",
        "language",
        "channel",
        "status",
        "outcome",
        "referral_target",
        "feedback_point",
    }
)


class Visibility(StrEnum):
    ALL = "all"  # every case, by category
    GROUPED = "grouped"  # sensitive cases counted as one group
    LEFT_OUT = "left_out"  # sensitive cases exist for the role but not in this view
    STANDARD = "standard"  # sensitive cases do not exist for the role


def role_visibility(actor: Actor) -> Visibility:
    if actor.can_see_sensitive:
        return Visibility.ALL
    if actor.role is Role.ANALYST:
        return Visibility.GROUPED
    return Visibility.STANDARD


def crosses_sensitive(dimension: str) -> bool:
    """Whether the one sensitive group may be split or narrowed by ``dimension``."""
    return dimension in CROSSES_SENSITIVE


def narrowing(flt: CaseFilter) -> list[str]:
    """The dimensions ``flt`` narrows by that the sensitive group may not cross."""
    found = []
    for item in fields(flt):
        value = getattr(flt, item.name)
        unset = item.default if item.default_factory is MISSING else item.default_factory()
        if value == unset or (unset == () and not value):
            continue
        dimension = FILTER_DIMENSIONS.get(item.name, item.name)
        if dimension is not None and not crosses_sensitive(dimension):
            found.append(dimension)
    return sorted(set(found))


def whole_months(period: Period, now: datetime) -> bool:
    """Whether ``period`` is whole Kyiv months, the last one possibly still running (a
    period that reaches today counts its month so far as a whole one)."""
    if period.first.day != 1:
        return False
    today = local_date(now, period.zone)
    month_last: date = next_month(period.last.replace(day=1)) - timedelta(days=1)
    return period.last == month_last or period.last >= today


def visibility(
    actor: Actor, flt: CaseFilter, period: Period | None, now: datetime, catalog: Catalog
) -> Visibility:
    """How sensitive cases count in a view of ``flt`` over ``period`` for ``actor``.

    Refuses (403) an analyst's request that names a sensitive category or asks for
    sensitive cases in a view they may not be counted in: the answer would otherwise
    look like "none".
    """
    seen = role_visibility(actor)
    if seen is not Visibility.GROUPED:
        return seen
    if set(flt.categories) & catalog.sensitive_codes:
        raise PermissionDenied(
            "category: analysts see sensitive reports only as one group; "
            "filter them with sensitive=true instead."
        )
    crossed = narrowing(flt)
    cut = period is not None and not whole_months(period, now)
    if not crossed and not cut:
        return Visibility.GROUPED
    if flt.sensitive:
        reason = (
            f"{crossed[0]}: analysts see sensitive reports only as one group, never by "
            f"{', '.join(crossed)}; drop that filter to count them."
            if crossed
            else "from: analysts count sensitive reports only over whole months; "
            "start on the 1st and end on a month's last day (or today)."
        )
        raise PermissionDenied(reason)
    return Visibility.LEFT_OUT


def may_count_sensitive(seen: Visibility) -> bool:
    """Whether the view's queries include sensitive cases at all."""
    return seen in (Visibility.ALL, Visibility.GROUPED)


def sensitive_grouped(seen: Visibility) -> bool:
    """Whether sensitive cases are keyed as the one group in every breakdown."""
    return seen is Visibility.GROUPED


def may_export_sensitive_rows(seen: Visibility) -> bool:
    """Rows of sensitive cases leave only for roles that may read the cases."""
    return seen is Visibility.ALL
