"""The console worklist's filters over HTTP on both engines (issue 22 §1): a tag, a named
colleague, "mine" and "unassigned"; oblasts and programmes listed by name in the page's
language; filters saved per person under a name, and the two every person has."""

from __future__ import annotations

import re

from storage.access import Actor
from storage.core import Core
from storage.services.triage import CaseChanges, TriageService
from tests.console.http_client import Browser, ServedConsole, alert_of, csrf_of
from tests.console.test_new_case_http import signed_in as signed_in_with_role
from tests.storage.helpers import make_staff, submit

_ROW = re.compile(r'class="case-row[^"]*"')
_TOTAL = re.compile(r'class="total" role="status">([^<]+)<')


async def signed_in(served: ServedConsole, name: str) -> tuple[Browser, Actor]:
    actor = await make_staff(served.core, name, "operator")
    browser = await served.browser()
    assert (await browser.password(name)).status_code == 303
    return browser, actor


async def change(core: Core, ref: str, actor: Actor, changes: CaseChanges) -> None:
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            ref, actor, expected_version=None, changes=changes
        )


def total(page: str) -> str:
    found = _TOTAL.search(page)
    assert found, "no total on the page"
    return found.group(1).strip()


def options(page: str, select_id: str) -> list[str]:
    block = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert block, select_id
    return re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", block.group(0))


async def test_tag_assignee_mine_and_unassigned(served: ServedConsole) -> None:
    core = served.core
    olena, me = await signed_in(served, "olena")
    _taras, colleague = await signed_in(served, "taras")
    water = [(await submit(core, narrative=f"Немає води {i}")).ref for i in range(2)]
    other = (await submit(core, narrative="Інше")).ref
    await change(
        core, water[0], me, CaseChanges(tags=["water"], set_assignee=True, assignee_id=me.user_id)
    )
    await change(
        core,
        water[1],
        me,
        CaseChanges(tags=["water"], set_assignee=True, assignee_id=colleague.user_id),
    )

    page = (await olena.get("/console/cases?tag=WATER")).text
    assert total(page) == "2 cases" and other not in page
    page = (await olena.get(f"/console/cases?assignee={colleague.user_id}")).text
    assert total(page) == "1 case" and water[1] in page
    assert options(page, "assignee")[-1] == "taras"  # colleagues by name; not oneself
    assert "olena" not in options(page, "assignee")
    page = (await olena.get("/console/cases?assignee=mine")).text
    assert total(page) == "1 case" and water[0] in page
    page = (await olena.get("/console/cases?assignee=unassigned")).text
    assert total(page) == "1 case" and other in page
    # An id that names no colleague, or a tag that cannot be one, filters nothing.
    assert total((await olena.get("/console/cases?assignee=99999")).text) == "3 cases"
    assert total((await olena.get("/console/cases?tag=%3Cb%3E")).text) == "3 cases"


async def test_oblasts_and_programmes_are_listed_by_name_in_the_pages_language(
    served: ServedConsole,
) -> None:
    olena, _me = await signed_in(served, "olena")
    english = (await olena.get("/console/cases")).text
    oblasts = options(english, "oblast")
    assert oblasts[:3] == ["Autonomous Republic of Crimea", "Cherkasy Oblast", "Chernihiv Oblast"]
    regions = oblasts[:-2]
    assert regions == sorted(regions, key=str.casefold)
    programmes = options(english, "programme")
    assert programmes == sorted(programmes, key=str.casefold)

    form = await olena.get("/console/cases")
    await olena.post("/console/language", {"language": "uk", "csrf": csrf_of(form.text)})
    ukrainian = (await olena.get("/console/cases")).text
    oblasts = options(ukrainian, "oblast")
    assert oblasts[0] == "Автономна Республіка Крим"
    # і after и, not after я as in code point order; Kyiv city among the К.
    assert oblasts.index("Івано-Франківська область") < oblasts.index("Київська область")
    assert oblasts.index("Житомирська область") < oblasts.index("Івано-Франківська область")
    assert oblasts.index("Київ") < oblasts.index("Кіровоградська область")
    assert oblasts.index("Черкаська область") < oblasts.index("Чернівецька область")
    programmes = options(ukrainian, "programme")
    assert programmes[0] == "Грошова допомога" and programmes[-1] == "Продуктова допомога"


async def test_saved_filters_belong_to_their_person(served: ServedConsole) -> None:
    core = served.core
    olena, me = await signed_in(served, "olena")
    taras, _colleague = await signed_in(served, "taras")
    late = (await submit(core, narrative="Стара скарга")).ref
    await change(core, late, me, CaseChanges(set_assignee=True, assignee_id=me.user_id))

    page = await olena.get("/console/cases")
    # Both built-in filters are there for everyone.
    mine = "tab=open&amp;assignee=mine&amp;overdue=1&amp;sort=due"
    assert f'href="/console/cases?{mine}">My overdue' in page.text
    assert 'href="/console/cases?tab=new&amp;assignee=unassigned&amp;sort=due">Unassigned new' in (
        page.text
    )
    saved = await olena.post(
        "/console/saved-filters",
        {
            "name": "  Мої   справи ",
            "query": "tab=open&assignee=mine&cursor=junk&oblast=nowhere&tag=Water",
            "csrf": csrf_of(page.text),
        },
    )
    assert saved.status_code == 303
    kept = "tab=open&tag=water&assignee=mine&sort=due"
    assert saved.headers["location"] == f"/console/cases?{kept}"
    page = await olena.get(saved.headers["location"])
    link = re.search(
        r'<a href="/console/cases\?([^"]+)" aria-current="true">Мої справи</a>', page.text
    )
    assert link and link.group(1) == kept.replace("&", "&amp;")
    # The same name again replaces it; another name adds one.
    await olena.post(
        "/console/saved-filters",
        {"name": "мої СПРАВИ", "query": "assignee=mine", "csrf": csrf_of(page.text)},
    )
    page = await olena.get("/console/cases")
    assert page.text.count("/delete") == 1 and kept.replace("&", "&amp;") not in page.text

    # Not another person's, not even by its number.
    other = await taras.get("/console/cases")
    assert "мої СПРАВИ" not in other.text and "/delete" not in other.text
    filter_id = re.search(r"/console/saved-filters/(\d+)/delete", page.text)
    assert filter_id
    await taras.post(
        f"/console/saved-filters/{filter_id.group(1)}/delete", {"csrf": csrf_of(other.text)}
    )
    assert "мої СПРАВИ" in (await olena.get("/console/cases")).text

    # A name that is empty or too long is refused, saying why.
    for name in ("   ", "x" * 61):
        refused = await olena.post(
            "/console/saved-filters", {"name": name, "query": "tab=new", "csrf": csrf_of(page.text)}
        )
        assert refused.status_code == 303
        shown = await olena.get(refused.headers["location"])
        assert alert_of(shown.text) == "Give the filter a name of up to 60 characters."
    # Deleted by its person.
    await olena.post(
        f"/console/saved-filters/{filter_id.group(1)}/delete", {"csrf": csrf_of(page.text)}
    )
    assert "мої СПРАВИ" not in (await olena.get("/console/cases")).text


async def test_the_sealed_filter_is_a_box_for_those_who_see_the_sealed_channel(
    served: ServedConsole,
) -> None:
    """Where a focal point's alert leads (``?sealed=1``) is a filter the form shows, and
    keeps when the form is sent again; an operator has no such box, and the parameter
    shows her nothing of the sealed channel."""
    core = served.core
    standard = (await submit(core, narrative="Черга")).ref
    sealed = (await submit(core, category="sexual_exploitation", narrative="Опис")).ref
    focal = await signed_in_with_role(served, "anna", "focal_point")
    page = (await focal.get("/console/cases")).text
    assert total(page) == "2 cases"
    assert re.search(r'id="sealed" name="sealed" type="checkbox" value="1">', page)
    page = (await focal.get("/console/cases?sealed=1")).text
    assert total(page) == "1 case" and sealed in page and standard not in page
    assert re.search(r'id="sealed" name="sealed" type="checkbox" value="1" checked>', page)
    # The form sent as the page shows it (search and box) keeps the filter.
    page = (await focal.get("/console/cases?tab=open&q=&sealed=1&sort=due")).text
    assert total(page) == "1 case"

    operator, _ = await signed_in(served, "olena")
    page = (await operator.get("/console/cases?sealed=1")).text
    assert 'id="sealed"' not in page
    assert total(page) == "0 cases" and sealed not in page
