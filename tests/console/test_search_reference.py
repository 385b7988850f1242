"""The console's search box over HTTP on both engines (issue 22 §1): a case reference in
any spelling opens the case; a sealed case's reference gets an operator exactly the page
a reference no case has gets; a query with no word says so instead of an empty list."""

from __future__ import annotations

import re

from tests.console.http_client import Browser, ServedConsole, alert_of
from tests.storage.helpers import make_staff, otp, submit


async def signed_in(served: ServedConsole, name: str, role: str = "operator") -> Browser:
    await make_staff(served.core, name, role)
    browser = await served.browser()
    assert (await browser.password(name)).status_code == 303
    code = await otp(served.core, name)
    if code is not None:  # focal points sign in with a code too
        assert (await browser.step()).status_code == 200
        assert (await browser.code(code)).status_code == 303
    return browser


def without_tokens(page: str) -> str:
    """The page less what differs between two loads of it anyway (CSRF, CSP nonces)."""
    return re.sub(r'(name="csrf" value|nonce)="[^"]+"', "", page)


async def test_a_reference_opens_its_case_and_a_sealed_one_gives_no_hint(
    served: ServedConsole,
) -> None:
    made = await submit(served.core, narrative="Черга у Харкові")
    sealed = await submit(served.core, category="fraud_corruption", narrative="Хабар")
    olena = await signed_in(served, "olena")
    typed = made.ref.lower().replace("-", " ")
    opened = await olena.get(f"/console/cases?q={typed}&tab=closed")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/console/cases/{made.ref}"

    hidden = await olena.get(f"/console/cases?q={sealed.ref}")
    absent = await olena.get("/console/cases?q=HL-0000-0000-0")
    assert hidden.status_code == absent.status_code == 200
    assert alert_of(hidden.text) == "No case you can open has this reference."
    assert without_tokens(hidden.text).replace(sealed.ref, "REF") == without_tokens(
        absent.text
    ).replace("HL-0000-0000-0", "REF")

    focal = await signed_in(served, "fpoint", "focal_point")
    seen = await focal.get(f"/console/cases?q={sealed.ref}")
    assert seen.status_code == 303 and seen.headers["location"].endswith(sealed.ref)


async def test_a_query_with_no_words_says_so(served: ServedConsole) -> None:
    await submit(served.core)
    olena = await signed_in(served, "olena")
    page = await olena.get("/console/cases?q=%21%21%21")
    assert page.status_code == 200
    assert alert_of(page.text) == "Type at least one word, or a case reference, to search."
    assert 'class="case-row' not in page.text
