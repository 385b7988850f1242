"""The one rule for sensitive cases in figures (storage/disclosure.py): every filter and
every breakdown goes through it, new ones included, and what it answers per role."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from storage import breakdowns, disclosure
from storage.access import Actor
from storage.catalog import Catalog
from storage.disclosure import Visibility, visibility
from storage.errors import PermissionDenied
from storage.periods import Period
from storage.repositories.filters import CaseFilter

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
AUTUMN = Period(date(2026, 10, 1), date(2026, 11, 30), KYIV)
ANALYST = Actor.staff(1, "anna", "analyst")


@pytest.fixture
def catalog() -> Catalog:
    return Catalog()


def test_every_filter_and_breakdown_is_named_by_the_rule() -> None:
    """A filter field or breakdown key added without deciding here fails this test, and
    until it is named the rule treats it as one sensitive cases may not be crossed with."""
    assert {f.name for f in fields(CaseFilter)} == set(disclosure.FILTER_DIMENSIONS)
    for name in breakdowns.BY_NAME:
        assert name in disclosure.BREAKDOWN_DIMENSIONS, name
    for name in ("channel", "outcome", "referral_target", "feedback_point", "a_new_one"):
        assert not disclosure.crosses_sensitive(name)
    assert {"month", "sensitivity"} == disclosure.CROSSES_SENSITIVE


@pytest.mark.parametrize(
    "flt",
    [
        CaseFilter(oblasts=["UA-63"]),
        CaseFilter(programmes=["food"]),
        CaseFilter(languages=["uk"]),  # type: ignore[list-item]  # a code is what arrives
        CaseFilter(statuses=["closed"]),  # type: ignore[list-item]
        CaseFilter(overdue=False),
        CaseFilter(unassigned=True),
        CaseFilter(assignee_id=3),
        CaseFilter(tags=["x"]),
        CaseFilter(search_terms=["гроші"]),
        CaseFilter(categories=["assistance_quality"]),
    ],
)
def test_an_analysts_narrowed_view_leaves_sensitive_cases_out(
    flt: CaseFilter, catalog: Catalog
) -> None:
    assert visibility(ANALYST, flt, AUTUMN, NOW, catalog) is Visibility.LEFT_OUT
    with pytest.raises(PermissionDenied):
        flt.sensitive = True
        visibility(ANALYST, flt, AUTUMN, NOW, catalog)


def test_whole_months_only(catalog: Catalog) -> None:
    def seen(first: date, last: date) -> Visibility:
        return visibility(ANALYST, CaseFilter(), Period(first, last, KYIV), NOW, catalog)

    assert seen(date(2026, 10, 1), date(2026, 11, 30)) is Visibility.GROUPED
    assert seen(date(2026, 12, 1), date(2026, 12, 10)) is Visibility.GROUPED  # so far
    assert seen(date(2026, 12, 1), date(2026, 12, 31)) is Visibility.GROUPED
    assert seen(date(2026, 11, 1), date(2026, 11, 29)) is Visibility.LEFT_OUT
    assert seen(date(2026, 11, 2), date(2026, 11, 30)) is Visibility.LEFT_OUT
    assert seen(date(2026, 12, 1), date(2026, 12, 9)) is Visibility.LEFT_OUT
    assert seen(date(2024, 2, 1), date(2024, 2, 29)) is Visibility.GROUPED  # a leap February


def test_other_roles(catalog: Catalog) -> None:
    narrow = CaseFilter(oblasts=["UA-63"], sensitive=True)
    cut = Period(date(2026, 11, 10), date(2026, 11, 10), KYIV)
    focal = Actor.staff(2, "f", "focal_point")
    assert visibility(focal, narrow, cut, NOW, catalog) is Visibility.ALL
    for role in ("operator", "admin"):
        actor = Actor.staff(3, role, role)
        assert visibility(actor, narrow, cut, NOW, catalog) is Visibility.STANDARD
    with pytest.raises(PermissionDenied):
        visibility(ANALYST, CaseFilter(categories=["trafficking"]), AUTUMN, NOW, catalog)
    assert disclosure.may_export_sensitive_rows(Visibility.ALL)
    assert not disclosure.may_export_sensitive_rows(Visibility.GROUPED)
