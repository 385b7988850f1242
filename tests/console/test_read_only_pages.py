"""A console page that only reads takes no write lock (issue 19), over HTTP on both
engines: its reads run in a read-only transaction (no lock a writer waits for on SQLite,
READ ONLY on PostgreSQL), and what it records (the session's last use, the audit event
of a sensitive case opened, the secret an enrolment page shows) goes in one short write
after them, before the page is sent. The API's GETs: tests/admin_api/test_read_only_gets.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from storage.clock import FrozenClock
from storage.core import Core
from storage.services.console import TOUCH_EVERY
from tests.admin_api.helpers import attachment_id, audit_events, submit_with_file
from tests.admin_api.test_read_only_gets import StatementProbe
from tests.console.http_client import Browser, ServedConsole, secret_of
from tests.storage.helpers import make_staff, otp, submit


@contextmanager
def probing(core: Core) -> Iterator[StatementProbe]:
    url = core.settings.database_url
    probe = StatementProbe(url.split("///", 1)[1] if url.startswith("sqlite") else None)
    engine = core.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", probe)
    try:
        yield probe
    finally:
        event.remove(engine, "before_cursor_execute", probe)


async def signed_in(served: ServedConsole, username: str) -> Browser:
    browser = await served.browser()
    assert (await browser.password(username)).status_code == 303
    code = await otp(served.core, username)
    if code is not None:
        await browser.step()
        assert (await browser.code(code)).status_code == 303
    return browser


async def test_console_pages_read_without_the_write_lock(
    served: ServedConsole, clock: FrozenClock
) -> None:
    core = served.core
    await make_staff(core, "fpoint", "focal_point")
    standard = await submit(core)
    sensitive = await submit_with_file(core, category="trafficking", narrative="паспорт")
    file_id = await attachment_id(core, sensitive.ref)
    focal = await signed_in(served, "fpoint")
    # Past the moment the session's use is due to be recorded again.
    clock.advance(TOUCH_EVERY + timedelta(seconds=1))
    with probing(core) as probe:
        for path in (
            "/console/cases",
            "/console/cases?q=паспорт",
            f"/console/cases/{standard.ref}",
            f"/console/cases/{sensitive.ref}",
            f"/console/cases/{sensitive.ref}/files/{file_id}",
            "/console/audit",
            "/console/indicators",
            "/console/password",
        ):
            response = await focal.get(path)
            assert response.status_code == 200, (path, response.text[:300])
    assert len(probe.reads) > 20
    assert probe.problems == []
    # The session's use once (then not again within TOUCH_EVERY), and the audit events:
    # the search that found a sensitive case, the case opened, its file.
    assert probe.writes[0] == "update console_sessions set"
    assert set(probe.writes[1:]) == {"insert into audit_events"}
    recorded = [e.action for e in await audit_events(core) if e.sensitive and e.actor_id]
    assert recorded.count("case.read") == 1 and recorded.count("attachment.read") == 1
    assert "cases.searched_sensitive" in recorded
    page = (await focal.get(f"/console/cases/{sensitive.ref}")).text
    # The page's own look is on its timeline beside the first one, though it is written
    # after the page's reads.
    assert page.count("Sensitive case opened") == 2


async def test_an_enrolment_page_keeps_its_secret_without_the_write_lock(
    served: ServedConsole,
) -> None:
    core = served.core
    await make_staff(core, "fpoint", "focal_point", two_factor=False)
    person = await served.browser()
    assert (await person.password("fpoint")).status_code == 303
    with probing(core) as probe:
        shown = secret_of((await person.step()).text)
        again = secret_of((await person.step()).text)
        qr = await person.get("/console/sign-in/enrol/qr.svg")
    assert again == shown and qr.status_code == 200
    assert probe.problems == []
    # The secret is drawn once and stored after the first page's reads.
    assert probe.writes == ["update console_sessions set"]
