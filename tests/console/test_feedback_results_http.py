"""A feedback point's results page over plain HTTP on both engines: every staff role
opens it, text answers are on the page for operators and focal points only, an unknown
code is a 404 page, and the responses download keeps to each role's columns."""

from __future__ import annotations

import csv
import io

from storage.clock import FrozenClock
from tests.console.http_client import ServedConsole
from tests.console.test_feedback_points import signed_in
from tests.storage.feedback_seed import seed
from tests.storage.helpers import make_staff

PERIOD = "from=2026-02-01&to=2026-02-28"


async def test_every_role_reads_the_results_and_only_case_workers_the_words(
    served: ServedConsole, clock: FrozenClock
) -> None:
    core = served.core
    maker = await make_staff(core, "maker", "analyst")
    points = await seed(core, clock, maker)
    for role in ("operator", "focal_point", "analyst", "admin"):
        await make_staff(core, role, role)
        browser = await signed_in(served, role)
        page = await browser.get(f"/console/feedback-points/{points.food}/results?{PERIOD}")
        assert page.status_code == 200, (role, page.status_code)
        reads = role in ("operator", "focal_point")
        assert ("Дякую" in page.text) is reads, role
        assert "Food kits, Saltivka" in page.text
        download = await browser.get(
            f"/console/feedback-points/{points.food}/results/export?{PERIOD}&format=csv"
        )
        assert download.status_code == 200
        rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert len(rows) == 13
        assert ("Дякую" in download.text) is reads, role
        missing = await browser.get(f"/console/feedback-points/ZZZZZZ/results?{PERIOD}")
        assert missing.status_code == 404
