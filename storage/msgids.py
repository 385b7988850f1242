"""Storage speaks no language: it names things with English msgids, marked here for
extraction (``make messages``), and the edge that shows them (API route, console,
command line) translates them with gettext in the reader's language."""

from __future__ import annotations


def _(text: str) -> str:
    """Marks ``text`` as a msgid; returns it untranslated."""
    return text
