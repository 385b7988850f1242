"""A case waiting for the reporter in the console's worklist (issue 22): past its
deadline it is neither overdue nor counted as such, and it says what it waits for."""

from __future__ import annotations

from datetime import timedelta

from storage.enums import Status
from tests.console.http_client import ServedConsole
from tests.storage.helpers import make_staff, submit, walk_case


async def test_a_waiting_case_is_not_overdue_in_the_worklist(served: ServedConsole) -> None:
    core = served.core
    operator = await make_staff(core, "olena", "operator")
    waiting = (await submit(core)).ref
    working = (await submit(core)).ref
    await walk_case(core, waiting, operator, Status.ACKNOWLEDGED, Status.WAITING)
    await walk_case(core, working, operator, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
    core.clock.advance(timedelta(days=90))  # type: ignore[attr-defined]
    browser = await served.browser()
    assert (await browser.password("olena")).status_code == 303
    overdue = await browser.get("/console/cases?overdue=1")
    assert working in overdue.text and waiting not in overdue.text
    tab = await browser.get("/console/cases?tab=waiting")
    assert waiting in tab.text and working not in tab.text
    assert "Waiting for the reporter" in tab.text
