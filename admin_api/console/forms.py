"""A console form's answer: where to go once the change is made, or the same page again
with what went wrong (and what the person typed, so nothing is lost).

A refusal that is not the form's fault (the case is gone, the role may not) is not
answered here: it propagates to :class:`~admin_api.console.web.ConsoleRoute`, which
shows it as an error page after the transaction has rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from admin_api.console.web import error_text, go
from admin_api.web.i18n import Texts
from storage.errors import DomainError, PermissionDenied, RateLimited

# A case form's errors that are no form's: a missing (or hidden) case, a forbidden role.
NOT_THE_FORMS = ("case_not_found", "permission_denied")


def status_of(error: DomainError) -> int:
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, RateLimited):
        return 429
    return 422


@dataclass(frozen=True)
class Form:
    """One page's forms: ``page`` draws the page again (keyword arguments: its status
    and what the form adds, such as the error and the text typed)."""

    request: Request
    texts: Texts
    page: Callable[..., Awaitable[Response]]

    async def submit(
        self,
        change: Awaitable[object],
        *,
        done: str | Callable[[], Awaitable[Response]],
        error_key: str,
        passes: Collection[str] = NOT_THE_FORMS,
        status: int | None = None,
        explain: Callable[[DomainError], str] | None = None,
        shown: Callable[[str], object] = lambda message: message,
        **kept: Any,
    ) -> Response:
        """Make ``change``; then go to ``done`` (a URL, or a page to draw), or draw the
        page again with the error under ``error_key`` (``shown`` shapes it) and ``kept``.

        ``passes``: error codes left to the route (re-raised). ``status``: the answer's
        status for a refusal, else 403 for a permission refused, 429 for too many
        attempts, 422 for the rest.
        """
        try:
            await change
        except DomainError as error:
            if error.code in passes:
                raise
            message = explain(error) if explain else error_text(error, self.texts)
            code = status or status_of(error)
            return await self.page(status_code=code, **{error_key: shown(message)}, **kept)
        if isinstance(done, str):
            return go(self.request, done)
        return await done()
