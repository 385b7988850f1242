"""The dimensions figures are broken down by: one list, read by ``GET /api/v1/stats``
(``group_by`` and ``received_by``), the console's dashboard, the case export's columns
and the monthly workbook's sheets. A new breakdown (outcome, referral target, feedback
point…) is one entry here plus one decision in :mod:`storage.disclosure`.

Each dimension says how a case is keyed by it in SQL (a column read as text, as the
Kyiv month of an instant, or as the sensitive flag), what staff call it (English
msgids; the edge translates them), where it is offered, and whether the one group of
sensitive cases may be crossed with it. That last answer is not made here:
:mod:`storage.disclosure` holds the one rule, and a dimension it does not name is
refused when this module loads (:class:`UnknownDimension`), so a breakdown can never
reach an analyst before someone has decided how sensitive cases count in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from storage import disclosure
from storage.i18n import _
from storage.models import Case, Rating


class UnknownDimension(ValueError):
    """A dimension that is not in this list, or that storage.disclosure has no rule for."""


class Keyed(Enum):
    VALUE = "value"  # the column's value as text; an empty one is NONE_KEY
    MONTH = "month"  # the Kyiv month of the column's instant
    FLAG = "flag"  # SENSITIVE_KEY or STANDARD_KEY


# The keys the figures give sensitive cases as one group, the rest, and empty values.
SENSITIVE_KEY = "sensitive"
STANDARD_KEY = "standard"
NONE_KEY = "none"


@dataclass(frozen=True)
class Dimension:
    name: str
    column: Any  # the case's column (a mapped attribute of storage.models.Case)
    label: str  # what the dashboard calls it ("Break down by", a breakdown's heading)
    title: str  # the case export's column title
    width: int  # that column's width in characters (XLSX)
    keyed: Keyed = Keyed.VALUE
    rating_column: Any = None  # the same dimension on a rating, if ratings carry it
    group_by: bool = False  # offered as ``group_by`` (API, dashboard)
    received_by: bool = False  # counted in every report's ``received_by``
    workbook: bool = False  # a sheet of the monthly workbook

    def __post_init__(self) -> None:
        if self.name not in disclosure.BREAKDOWN_DIMENSIONS:
            raise UnknownDimension(
                f"{self.name}: storage.disclosure has no rule for this dimension; decide "
                "there whether sensitive cases may be crossed with it first."
            )

    @property
    def crosses_sensitive(self) -> bool:
        """Whether the one sensitive group may be split by it (storage.disclosure's rule)."""
        return disclosure.crosses_sensitive(self.name)


MONTH = Dimension(
    disclosure.MONTH,
    Case.created_at,
    _("Month"),
    _("Month"),
    9,
    keyed=Keyed.MONTH,
    rating_column=Rating.created_at,
    group_by=True,
)
CATEGORY = Dimension(
    "category",
    Case.category,
    _("Category"),
    _("Category"),
    22,
    group_by=True,
    received_by=True,
    workbook=True,
)
SENSITIVITY = Dimension(
    disclosure.SENSITIVITY,
    Case.sensitive,
    _("Sensitive"),
    _("Sensitive"),
    9,
    keyed=Keyed.FLAG,
    received_by=True,
)
OBLAST = Dimension(
    "oblast",
    Case.oblast,
    _("Oblast"),
    _("Oblast"),
    12,
    group_by=True,
    received_by=True,
    workbook=True,
)
PROGRAMME = Dimension(
    "programme",
    Case.programme,
    _("Programme"),
    _("Programme"),
    14,
    rating_column=Rating.programme,
    group_by=True,
    received_by=True,
    workbook=True,
)
LANGUAGE = Dimension(
    "language",
    Case.language,
    _("Reporter's language"),
    _("Language"),
    9,
    rating_column=Rating.language,
    group_by=True,
    received_by=True,
    workbook=True,
)
CHANNEL = Dimension(
    "channel",
    Case.channel,
    _("Channel"),
    _("Channel"),
    10,
    group_by=True,
    received_by=True,
    workbook=True,
)

# In the order every consumer lists them (the API's enum, the dashboard's choices, the
# report's received_by, the workbook's sheets).
DIMENSIONS: tuple[Dimension, ...] = (
    MONTH,
    CATEGORY,
    SENSITIVITY,
    OBLAST,
    PROGRAMME,
    LANGUAGE,
    CHANNEL,
)
BY_NAME = {d.name: d for d in DIMENSIONS}

GROUP_BY = tuple(d.name for d in DIMENSIONS if d.group_by)
RECEIVED_BY = tuple(d.name for d in DIMENSIONS if d.received_by)
WORKBOOK = tuple(d.name for d in DIMENSIONS if d.workbook)
RATED = tuple(d.name for d in DIMENSIONS if d.rating_column is not None)


def get(name: str) -> Dimension:
    """The dimension called ``name``; anything else is refused."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownDimension(f"{name}: not a breakdown dimension") from None


def named(names: Iterable[str]) -> list[Dimension]:
    return [get(name) for name in names]
