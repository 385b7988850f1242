"""Marking texts for translation where no language is known yet.

Storage speaks no language: a column title, a status name or an error sentence is kept
here as its English msgid, and the edge that shows it (an API route, a console page, the
command line) translates it in its reader's language. ``_`` and ``pgettext`` below only
mark a text for extraction (``make messages`` finds them as it finds gettext's own);
:class:`InContext` keeps a msgid together with its gettext context until then.
"""

from __future__ import annotations

from typing import NamedTuple


class InContext(NamedTuple):
    """A msgid with its gettext context (``msgctxt``), marked before a language is known:
    one English word with two jobs ("Closed" as a status and as a date column) gets a
    translation for each."""

    context: str
    message: str


def _(text: str) -> str:
    """Marks ``text`` for extraction and returns it untranslated."""
    return text


def pgettext(context: str, text: str) -> InContext:
    """Marks ``text`` in ``context`` for extraction; translated later, with its context."""
    return InContext(context, text)
