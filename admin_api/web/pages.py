"""Server-rendered pages: one Jinja2 setup for every face that answers in HTML (the
staff console, the public pages), each with its own folder of templates.

What people wrote is shown through the ``visible`` filter; every page gets the viewer's
language (``_``, ``ngettext``, ``pgettext``, ``when``) from :class:`~.i18n.Texts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from admin_api.web.i18n import Texts
from storage.display import INVISIBLE, marker

MARKER = Markup('<span class="invisible-char">{}</span>')


def visible(text: str | None) -> Markup:
    """What people wrote, escaped, with each bidi control, zero-width or control
    character shown as a marker such as ⟨U+202E⟩ (storage.display): it can neither
    reorder nor hide what staff read. The stored text is untouched."""
    written = text or ""
    pieces: list[Markup] = []
    last = 0
    for match in INVISIBLE.finditer(written):
        pieces.append(escape(written[last : match.start()]))
        pieces.append(MARKER.format(marker(match.group())))
        last = match.end()
    pieces.append(escape(written[last:]))
    return Markup("").join(pieces)


def environment(templates: Path) -> Environment:
    """The templates of one face."""
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["visible"] = visible
    return env


def language_context(request: Request, texts: Texts) -> dict[str, Any]:
    """What every page needs to speak the reader's language."""
    return {
        "request": request,
        "_": texts.gettext,
        "ngettext": texts.ngettext,
        "pgettext": texts.pgettext,
        "texts": texts,
        "lang": texts.language,
        "when": texts.when,
        "path": request.url.path,
        # Where a language switch returns to: the same page with its query (a
        # dashboard's filters), so that changing language does not lose them.
        "here": _here(request),
    }


def _here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def render_page(
    env: Environment,
    request: Request,
    template: str,
    texts: Texts,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    context = language_context(request, texts)
    context.update(values)
    body = env.get_template(template).render(context)
    return HTMLResponse(body, status_code=status_code)
