"""How reporters' text is shown to staff: on screen and in spreadsheets (issue 18 §4–5).

What a reporter sent is stored as they sent it; only what staff see is changed, here,
in one place that the console's templates and every export writer call.

- **Invisible characters made visible.** Bidirectional controls (U+202A–202E, U+2066–
  2069, U+200E/F, U+061C) can make a narrative read in another order than it was
  written ("Trojan Source"), zero-width characters hide words from search and from the
  eye, and other control characters can do either (and openpyxl refuses them, so one
  would break an Excel export). Each is shown as a marker such as ⟨U+202E⟩.
- **Spreadsheet cells that cannot run.** A cell that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is a formula to Excel, LibreOffice or Google Sheets
  (or becomes one when the file is opened, edited or re-saved): a narrative starting
  ``=HYPERLINK(...)`` would run on an analyst's machine. CSV has no types, so such a
  cell gets a leading apostrophe, which every spreadsheet reads as "text"; in XLSX the
  cell is written as a string with Excel's own "quote prefix" flag.
"""

from __future__ import annotations

import re

# Bidi embeddings, overrides and isolates, marks (LRM, RLM, ALM), zero-width spaces and
# joiners, word joiner and invisible operators, the BOM, the Mongolian vowel separator,
# and C0/C1 controls other than tab, line feed and carriage return.
INVISIBLE = re.compile(
    "[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What may need a marker or protection ("#" for spreadsheet error values such as "#N/A"),
# checked in two C calls, so the usual cell costs next to nothing.
_CAREFUL_START = frozenset("=+-@\t\r#")
_hidden = INVISIBLE.search


def marker(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


def reveal(text: str) -> str:
    """``text`` with every invisible or reordering character replaced by its marker."""
    return INVISIBLE.sub(lambda match: marker(match.group()), text)


def starts_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def plain(text: str) -> bool:
    """Whether ``text`` needs neither a marker nor protection: most cells."""
    return not (text[:1] in _CAREFUL_START or _hidden(text))


def csv_text(text: str) -> str:
    """A text cell for CSV: revealed, and never read as a formula."""
    if plain(text):
        return text
    shown = reveal(text)
    return "'" + shown if starts_formula(shown) else shown
