"""The one list of breakdown dimensions (storage/breakdowns.py): every dimension has a
rule in storage/disclosure.py, one without is refused, the figures key sensitive cases
by that rule, and the report, the workbook and the export read the list."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from storage import breakdowns, disclosure
from storage.breakdowns import SENSITIVE_KEY, Dimension, UnknownDimension
from storage.core import Core
from storage.models import Case
from storage.repositories.aggregates import AggregateRepository, Keys, Scope, case_key, rating_key
from storage.repositories.filters import CaseFilter
from storage.services import exports, monthly_report
from storage.services import stats as stats_service
from storage.services.stats import StatsService, month_starts
from tests.storage.helpers import submit


def test_every_dimension_has_a_rule_in_disclosure() -> None:
    """Adding a dimension here without deciding in storage.disclosure fails (at import,
    and here by name), so no breakdown reaches an analyst undecided."""
    for dimension in breakdowns.DIMENSIONS:
        assert dimension.name in disclosure.BREAKDOWN_DIMENSIONS, dimension.name
        assert dimension.crosses_sensitive == disclosure.crosses_sensitive(dimension.name)
    assert {d.name for d in breakdowns.DIMENSIONS if d.crosses_sensitive} == {
        "month",
        "sensitivity",
    }


def test_a_dimension_without_a_rule_is_refused() -> None:
    with pytest.raises(UnknownDimension, match=r"storage\.disclosure"):
        Dimension("a_new_one", Case.category, "A new one", "A new one", 10, group_by=True)
    keys = Keys(months=(), sensitive_grouped=True)
    with pytest.raises(UnknownDimension):
        case_key("a_new_one", keys)
    with pytest.raises(UnknownDimension):
        breakdowns.get("a_new_one")
    with pytest.raises(UnknownDimension):
        rating_key("oblast", keys)  # ratings carry no oblast


def test_the_report_the_workbook_and_the_export_read_the_list() -> None:
    assert stats_service.GROUP_BY == breakdowns.GROUP_BY
    assert stats_service.BREAKDOWNS == breakdowns.RECEIVED_BY
    assert monthly_report.DIMENSIONS == breakdowns.WORKBOOK
    # Every dimension is a column of the case export, titled and sized by the list.
    columns = {c.key: c for c in exports.CASE_COLUMNS}
    for dimension in breakdowns.DIMENSIONS:
        assert dimension.name in columns, f"{dimension.name} is not a column of the export"
        column = columns[dimension.name]
        assert (column.title, column.width) == (dimension.title, dimension.width)
        assert not column.staff_only


async def test_sensitive_cases_are_one_group_in_every_dimension_they_may_not_cross(
    core: Core,
) -> None:
    """With the analyst's keys, a sensitive case counts under ``sensitive`` in every
    dimension disclosure does not let it cross, and under its own key in the others."""
    await submit(core)
    await submit(core, category="fraud_corruption", narrative="Вимагали гроші за талон")
    async with core.database.read_only() as session:
        period = StatsService(session, core).period(None, None)
        base = CaseFilter(created_from=period.start, created_to=period.end)

        async def counts(name: str, flt: CaseFilter, grouped: bool) -> Counter[str]:
            keys = Keys(month_starts(period), sensitive_grouped=grouped)
            scope = Scope(flt, may_see_sensitive=True, now=core.clock.now(), keys=keys)
            rows = await AggregateRepository(session).received_counts(scope, [name])
            return Counter({str(key): int(count) for key, count in rows})

        for dimension in breakdowns.DIMENSIONS:
            name = dimension.name
            standard = await counts(name, replace(base, sensitive=False), False)
            sensitive = await counts(name, replace(base, sensitive=True), False)
            grouped = await counts(name, base, True)
            if dimension.crosses_sensitive:
                assert grouped == standard + sensitive, name
            else:
                assert grouped == standard + Counter({SENSITIVE_KEY: 1}), name
