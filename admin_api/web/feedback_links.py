"""A feedback point's two links (issue 24), for its poster in the console and its public
page: the web link ``<public URL>/r/<code>`` (what the poster's QR code holds, so that
people without Telegram can answer too) and the bot's deep link
``https://t.me/<bot username>?start=fp_<code>``.

The public URL is ``HOLOS_PUBLIC_URL``; where it is not set (a sandbox, a first trial)
the address the request came to stands in, and :func:`web_link` says so, so the poster
can warn before anything is printed with an address people outside cannot reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import segno
from fastapi import Request
from markupsafe import Markup

from storage.core import Core
from storage.services import feedback_points

# The quiet zone around the code, in modules: the standard asks for 4; a poster taped to
# a busy wall or a dark board reads better with more.
QUIET_ZONE = 5


@dataclass(frozen=True)
class WebLink:
    url: str
    # True when HOLOS_PUBLIC_URL is not set and the request's own address stands in.
    guessed: bool


def web_link(core: Core, request: Request, code: str) -> WebLink:
    base = core.settings.public_url
    guessed = base is None
    if base is None:
        base = str(request.base_url)
    return WebLink(feedback_points.web_link(base, code), guessed)


def deep_link(core: Core, code: str) -> str | None:
    """The bot's link that opens the point's flow, or None when the bot's username is
    not known to this process (``HOLOS_BOT_USERNAME``, or the bot's own ``getMe``)."""
    username = core.telegram_username
    return feedback_points.deep_link(username, code) if username else None


def local_today(core: Core) -> date:
    """Today where the mission works (``HOLOS_TIMEZONE``): a point's dates are days there."""
    return core.clock.now().astimezone(ZoneInfo(core.settings.timezone)).date()


def bare(url: str) -> str:
    """A link as people type it from paper: without ``https://``."""
    return url.removeprefix("https://").removeprefix("http://")


def qr_svg(text: str, *, title: str) -> Markup:
    """``text`` as a QR code in inline SVG, black on white, scaled by CSS (no fixed
    size). Error correction Q (a quarter of the code may be smudged or torn), never
    raised further: a larger version would mean smaller modules on the same paper."""
    code = segno.make(text, error="q", boost_error=False, micro=False)
    svg = code.svg_inline(
        scale=1,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        omitsize=True,
        title=title,
        svgclass="qr",
        lineclass=None,
    )
    # segno escapes the title; the rest is its own markup.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704
