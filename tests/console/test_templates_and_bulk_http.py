"""Reply templates and bulk changes in the console over HTTP, on both engines: who may
keep templates, a template filled in the reporter's language, a sealed case's reply made
from one is sealed like any reply, and a bulk change names the case changed meanwhile."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from storage.access import Actor
from storage.core import Core
from storage.enums import Language, Priority, Status
from storage.models import Case, Reply
from storage.services.reply_templates import ReplyTemplateService
from storage.services.triage import CaseChanges, TriageService
from tests.admin_api.helpers import submit_with_file
from tests.console.http_client import Browser, ServedConsole, csrf_of
from tests.storage.helpers import make_staff, otp, submit

RU_TEMPLATE = "Здравствуйте! Ваше обращение от {date} о теме «{topic}» мы получили."


async def signed_in(served: ServedConsole, username: str, role: str) -> tuple[Browser, Actor]:
    actor = await make_staff(served.core, username, role)
    browser = await served.browser()
    assert (await browser.password(username)).status_code == 303
    code = await otp(served.core, username)
    if code is not None:
        await browser.step()
        assert (await browser.code(code)).status_code == 303
    return browser, actor


async def add_template(core: Core, actor: Actor, name: str, language: str, body: str) -> str:
    async with core.database.transaction() as session:
        template = await ReplyTemplateService(session, core).create(
            actor, name=name, language=language, body=body
        )
        return template.public_id


def reply_box(page: str) -> str:
    found = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no reply box"
    return html.unescape(found.group(1))


async def test_only_admins_and_focal_points_keep_templates(served: ServedConsole) -> None:
    operator, _ = await signed_in(served, "oper", "operator")
    assert (await operator.get("/console/templates")).status_code == 403
    page = await operator.get("/console/cases")
    forged = await operator.post(
        "/console/templates",
        {"csrf": csrf_of(page.text), "name": "X", "language": "uk", "text": "Текст"},
    )
    assert forged.status_code == 403

    admin, _ = await signed_in(served, "boss", "admin")
    page = await admin.get("/console/templates")
    assert page.status_code == 200
    form = {"csrf": csrf_of(page.text), "name": "Thanks", "language": "ru", "text": RU_TEMPLATE}
    assert (await admin.post("/console/templates", form)).status_code == 303
    again = await admin.post("/console/templates", form)
    assert again.status_code == 422 and "already exists" not in again.text
    assert "A template with this name exists in this language" in again.text
    bad = await admin.post("/console/templates", {**form, "name": "Other", "language": "de"})
    assert bad.status_code == 422
    empty = await admin.post("/console/templates", {**form, "name": "Empty", "text": "  "})
    assert empty.status_code == 422
    listed = (await admin.get("/console/templates")).text
    assert listed.count('class="stack"') == 2  # the one template and the new-template form


async def test_a_sealed_cases_reply_from_a_template_is_sealed(served: ServedConsole) -> None:
    core = served.core
    focal, actor = await signed_in(served, "fpoint", "focal_point")
    template = await add_template(core, actor, "Thanks", "ru", RU_TEMPLATE)
    english = await add_template(core, actor, "Referral", "en", "We passed on your report.")
    case = await submit(
        core, category="fraud_corruption", language=Language.RU, narrative="Требовали взятку."
    )

    page = (await focal.get(f"/console/cases/{case.ref}?template={template}")).text
    text = reply_box(page)
    assert text == (
        "Здравствуйте! Ваше обращение от 2 марта 2026 г. о теме «Мошенничество или коррупция» "
        "мы получили."
    )
    assert 'id="template-warning" role="alert" hidden' in page
    fallback = (await focal.get(f"/console/cases/{case.ref}?template={english}")).text
    assert reply_box(fallback) == "We passed on your report."
    assert 'id="template-warning" role="alert">' in fallback  # shown, not hidden

    sent = await focal.post(
        f"/console/cases/{case.ref}/replies",
        {"csrf": csrf_of(page), "language": "ru", "text": text + " Спасибо."},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/console/cases/{case.ref}?saved=reply#replies"
    async with core.database.transaction() as session:
        reply = (await session.scalars(select(Reply))).one()
        assert reply.bodies in (None, {}) and reply.bodies_enc
    shown = (await focal.get(f"/console/cases/{case.ref}?saved=reply")).text
    assert "Мошенничество или коррупция» мы получили. Спасибо." in html.unescape(shown)

    # An operator is offered the templates, but the sealed case does not exist for them.
    operator, _ = await signed_in(served, "oper", "operator")
    hidden = await operator.get(f"/console/cases/{case.ref}?template={template}")
    assert hidden.status_code == 404


async def test_bulk_names_the_case_changed_meanwhile(served: ServedConsole) -> None:
    core = served.core
    operator, _ = await signed_in(served, "oper", "operator")
    colleague = await make_staff(core, "olha", "operator")
    cases = [await submit(core) for _ in range(3)]
    page = (await operator.get("/console/cases")).text
    boxes = re.findall(r'name="case" value="([^"]+)"', page)
    assert sorted(boxes) == sorted(f"{c.ref}:1" for c in cases)
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            cases[1].ref, colleague, expected_version=1, changes=CaseChanges(priority=Priority.LOW)
        )
    answer = await operator.http.post(
        "/console/cases/bulk?tab=open",
        data={"csrf": csrf_of(page), "action": "acknowledge", "case": boxes},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 200
    result = html.unescape(answer.text)
    assert "2 cases changed." in result
    stale = re.search(r'class="alert stale-cases".*?</div>', result, re.S)
    assert stale and cases[1].ref in stale.group(0)
    assert cases[0].ref not in stale.group(0) and cases[2].ref not in stale.group(0)
    async with core.database.transaction() as session:
        statuses = {c.ref: c.status for c in (await session.scalars(select(Case))).all()}
    assert statuses == {
        cases[0].ref: Status.ACKNOWLEDGED,
        cases[1].ref: Status.NEW,
        cases[2].ref: Status.ACKNOWLEDGED,
    }
    nothing = await operator.post(
        "/console/cases/bulk", {"csrf": csrf_of(page), "action": "acknowledge"}
    )
    assert nothing.status_code == 422 and "Select at least one case first." in nothing.text
    forged = await operator.post(
        "/console/cases/bulk",
        {"csrf": csrf_of(page), "action": "acknowledge", "case": "not-a-row"},
    )
    assert forged.status_code == 422
    for assignee in ("99999999999999999999", "-1", "x"):
        refused = await operator.post(
            "/console/cases/bulk",
            {
                "csrf": csrf_of(page),
                "action": "assign",
                "assignee": assignee,
                "case": f"{cases[0].ref}:2",
            },
        )
        assert refused.status_code == 422, assignee
    unknown = await operator.post(
        "/console/cases/bulk",
        {"csrf": csrf_of(page), "action": "close", "case": f"{cases[0].ref}:2"},
    )
    assert unknown.status_code == 422
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == cases[0].ref))
        assert case is not None and case.version == 2 and case.assignee_id is None


async def test_rows_show_oblast_language_files_and_last_activity(served: ServedConsole) -> None:
    core = served.core
    operator, _ = await signed_in(served, "oper", "operator")
    with_file = await submit_with_file(core, language=Language.RU, oblast="UA-32")
    plain = await submit(core, oblast="UA-63")
    page = html.unescape((await operator.get("/console/cases")).text)
    rows = {
        ref: row
        for ref, row in re.findall(
            r'<li class="case-row[^"]*" data-ref="([^"]+)">(.*?)</li>', page, re.S
        )
    }
    first, second = rows[with_file.ref], rows[plain.ref]
    assert "Kyiv Oblast" in first and "Russian" in first and "1 file<" in first
    assert "Kharkiv Oblast" in second and "Ukrainian" in second and "0 files" in second
    assert "Last activity" in first
    # Each row links to its case with the list it came from, for "next case".
    link = re.search(rf'href="/console/cases/{with_file.ref}\?([^"]+)"', first)
    assert link and "from=tab%3Dopen" in link.group(1) and "after=" in link.group(1)


async def test_every_save_says_saved_and_keeps_the_list(served: ServedConsole) -> None:
    core = served.core
    operator, _ = await signed_in(served, "oper", "operator")
    first, second = await submit(core), await submit(core)
    listing = (await operator.get("/console/cases?tab=new")).text
    link = re.search(rf'href="/console/cases/{first.ref}\?([^"]+)"', listing)
    assert link
    page = (await operator.get(f"/console/cases/{first.ref}?{html.unescape(link.group(1))}")).text
    assert f'href="/console/cases/{second.ref}?' in page  # the next case of that list
    trail = dict(re.findall(r'<input type="hidden" name="(from|after)" value="([^"]*)">', page))
    trail = {k: html.unescape(v) for k, v in trail.items()}
    assert set(trail) == {"from", "after"}
    csrf = csrf_of(page)
    saves = [
        ("triage", {"version": "1", "details": "1", "priority": "high", "assignee": ""}),
        ("notes", {"text": "Зателефонувала на склад."}),
        ("replies", {"text": "Дякуємо, перевіряємо.", "language": "uk"}),
        ("triage", {"version": "2", "status": "acknowledged"}),
    ]
    for (path, form), said in zip(saves, ("triage", "note", "reply", "status"), strict=True):
        answer = await operator.post(
            f"/console/cases/{first.ref}/{path}", {"csrf": csrf, **trail, **form}
        )
        assert answer.status_code == 303, (path, answer.text[:300])
        location = answer.headers["location"]
        assert f"saved={said}" in location and "from=" in location and "after=" in location
        shown = (await operator.get(location.split("#")[0])).text
        assert '<p class="ok saved" role="status" id="saved">Saved.</p>' in shown
    # A stale save is still answered as before: nothing saved, 409, what changed.
    stale = await operator.post(
        f"/console/cases/{first.ref}/triage",
        {"csrf": csrf, **trail, "version": "1", "details": "1", "priority": "low"},
    )
    assert stale.status_code == 409 and 'id="saved"' not in stale.text
