"""A feedback point's poster page over HTTP, on both engines (issue 24): any signed-in
staff member gets it, in the poster's language while the toolbar keeps theirs; it warns
before printing a link people cannot reach (no HOLOS_PUBLIC_URL) or without the bot's
link (no username); an unknown code or language is refused with the console's pages."""

from __future__ import annotations

import html
from datetime import timedelta

from admin_api.web.feedback_links import local_today
from admin_api.web.headers import STRICT_CSP
from storage.services.feedback_points import FeedbackPointService
from tests.console.http_client import ServedConsole
from tests.console.test_poster import new_point
from tests.console.test_read_only_pages import signed_in
from tests.storage.helpers import make_staff


async def test_the_poster_speaks_its_own_language_and_warns_before_a_bad_print(
    served: ServedConsole,
) -> None:
    core = served.core
    point = await new_point(core)
    await make_staff(core, "oksana", "operator")
    staff = await signed_in(served, "oksana")  # the browser asks for English
    address = f"/console/feedback-points/{point.code.lower()}/poster?lang=ru&size=a5"

    page = await staff.get(address)
    assert page.status_code == 200, page.text[:300]
    assert page.headers["content-security-policy"] == STRICT_CSP
    text = html.unescape(page.text)
    assert "Расскажите нам о полученной помощи" in text  # the poster: Russian
    assert "Language of the poster" in text and "Paper size" in text  # the toolbar: theirs
    assert 'class="sheet a5"' in text and 'lang="ru"' in text
    # Without HOLOS_PUBLIC_URL the code holds the console's own address: said so.
    assert 'id="guessed-link"' in text and 'id="no-bot"' in text
    assert "t.me/" not in text

    core.settings.public_url = "https://holos.example.org"
    core.settings.bot_username = "holos_help_bot"
    text = html.unescape((await staff.get(address)).text)
    assert 'id="guessed-link"' not in text and 'id="no-bot"' not in text
    assert f"holos.example.org/r/{point.code}" in text
    assert f"t.me/holos_help_bot?start=fp_{point.code}" in text

    assert 'id="closed"' not in text

    # A closed point's poster would send people to a page that says so: said first.
    keeper = await make_staff(core, "mariia", "analyst")
    async with core.database.transaction() as session:
        await FeedbackPointService(session, core).update(
            keeper, point.code, active_until=local_today(core) - timedelta(days=1)
        )
    text = html.unescape((await staff.get(address)).text)
    assert 'id="closed"' in text

    assert (await staff.get("/console/feedback-points/ZZZZZZ/poster")).status_code == 404
    refused = await staff.get(f"/console/feedback-points/{point.code}/poster?lang=de")
    assert refused.status_code == 422

    stranger = await served.browser()
    signed_out = await stranger.get(address)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/console/sign-in")
