"""``GET /api/v1/stats?group_by=`` and the dashboard's "Break down by" offer the one list
of breakdowns (storage/breakdowns.py), named as it names them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from admin_api.console.routes import indicators
from admin_api.schemas.stats import StatsParams
from storage import breakdowns


def test_the_api_offers_and_documents_the_list() -> None:
    schema = StatsParams.model_json_schema()["properties"]["group_by"]
    assert schema["anyOf"][0]["enum"] == list(breakdowns.GROUP_BY)
    for name in breakdowns.GROUP_BY:
        assert StatsParams.model_validate({"group_by": name}).group_by == name
    for name in ("sensitivity", "colour"):  # not offered, and not a dimension
        with pytest.raises(ValidationError):
            StatsParams.model_validate({"group_by": name})


def test_the_dashboard_names_each_breakdown_as_the_list_does() -> None:
    assert {
        name: breakdowns.get(name).label for name in breakdowns.GROUP_BY
    } == indicators.GROUP_NAMES
