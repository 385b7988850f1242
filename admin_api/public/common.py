"""What the public pages that take a form share (the web form, :mod:`.web_form`, and a
feedback point's page, :mod:`.feedback`): their templates and stylesheet, the rendering
with the public headers, the signed form token, and the per-address limit.

No cookie is ever set: a form carries a signed token instead (when it was drawn, and a
random key that makes a form sent twice one report or one set of answers).

Limits without identifying anyone: per address, counted under a hash whose key lives
only in this process's memory and is drawn anew each UTC day (so no stored value, and
no value of another day, links to an address), in memory with windows of an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from admin_api.web.clients import client_address, trusted_networks
from admin_api.web.headers import PAGE_HEADERS
from admin_api.web.i18n import Texts
from admin_api.web.pages import environment, render_page
from storage.clock import HOUR, floor_to
from storage.core import Core
from storage.counters import MemoryCounters
from storage.crypto import PersonKeys
from storage.errors import RateLimited
from storage.services.throttle import address_group

templates = environment(Path(__file__).resolve().parent / "templates")
# The console's stylesheet dresses the public pages too (admin_api.console serves it).
STYLESHEET = "/console/static/console.css"
LANGUAGES = ("uk", "ru", "en")
# Each language in its own words, for the pages' language switch.
LANGUAGE_NAMES = (("uk", "Українська"), ("ru", "Русский"), ("en", "English"))
# How long a drawn form may be sent: long enough to write an account slowly.
TOKEN_HOURS = 12


def page(
    request: Request, core: Core, template: str, lang: str, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A public page in ``lang`` with the stylesheet, the hotline's number and every
    page header (``no-store`` and the strict CSP among them)."""
    response = render_page(
        templates,
        request,
        template,
        Texts(lang, core.settings.timezone),
        status_code=status_code,
        stylesheet=STYLESHEET,
        hotline=core.settings.hotline_phone,
        language_names=LANGUAGE_NAMES,
        **values,
    )
    for name, value in PAGE_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


# The form token ------------------------------------------------------------------------


def new_token(core: Core) -> str:
    issued = int(core.clock.now().timestamp())
    body = f"{issued}.{secrets.token_urlsafe(18)}"
    return f"{body}.{core.crypto.sign(body.encode(), 'web-form').hex()}"


def form_key(core: Core, token: str) -> str | None:
    """The form's key if ``token`` is one we drew and not stale, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    body = f"{parts[0]}.{parts[1]}"
    expected = core.crypto.sign(body.encode(), "web-form").hex()
    if not secrets.compare_digest(expected.encode(), parts[2].encode()):
        return None
    age = core.clock.now().timestamp() - int(parts[0])
    if age < -60 or age > TOKEN_HOURS * 3600:
        return None
    return parts[1]


# The per-address limit -----------------------------------------------------------------


class Guard:
    """Per-address counts without keeping an address (see the module's doc)."""

    def __init__(self, core: Core) -> None:
        self.clock = core.clock
        self.counters = MemoryCounters(core.clock)
        self._day: date | None = None
        self._key = b""

    def person(self, address: str) -> PersonKeys:
        today = self.clock.now().date()
        if today != self._day:
            # Yesterday's key is gone: no count of today's can be set beside yesterday's.
            # (Counts under it expire within the hour they were made.)
            self._day, self._key = today, secrets.token_bytes(32)
        root = hmac.new(self._key, address_group(address).encode(), hashlib.sha256).digest()
        return PersonKeys(root)

    async def count(self, person: PersonKeys, what: str, limit: int) -> None:
        """Raise RateLimited once this address sent ``limit`` forms of ``what`` (a
        report, a feedback point's answers) this hour."""
        start = floor_to(self.clock.now(), HOUR)
        key = person.quota(what, start.date()) + start.strftime("%H")
        if await self.counters.get(key) >= limit:
            retry = (start + HOUR - self.clock.now()).total_seconds()
            raise RateLimited(max(1, math.ceil(retry)))
        await self.counters.add(key, 1, until=start + HOUR)


def guard_of(request: Request, core: Core) -> Guard:
    guard: Guard | None = getattr(request.app.state, "web_form_guard", None)
    if guard is None:
        guard = request.app.state.web_form_guard = Guard(core)
    return guard


def address_of(request: Request, core: Core) -> str:
    return client_address(request, trusted_networks(core.settings.trusted_proxies))


async def minutes_to_wait(request: Request, core: Core, what: str, limit: int) -> int | None:
    """Count one form of ``what`` from this request's address: None while it is within
    ``limit`` this hour, else the whole minutes until it may send again (not counted)."""
    guard = guard_of(request, core)
    try:
        await guard.count(guard.person(address_of(request, core)), what, limit)
    except RateLimited as exc:
        return max(1, math.ceil(exc.retry_after / 60))
    return None
