"""The languages of the web pages and files: Ukrainian and English for staff (console,
export headers), the reporter's language (uk, ru or en) for what the reporter will read,
and the public page's. Texts come from the same gettext catalogs as the bot's
(``locales/*/LC_MESSAGES/messages.po``), read from their ``.po`` source, so nothing has
to be compiled first.

Times are shown in Kyiv time (``HOLOS_TIMEZONE``) with the offset written out.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from storage.i18n import InContext

# The catalogs sit beside the packages, in the source tree and in an installed wheel.
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
STAFF_LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"


@cache
def translations(language: str) -> Translations:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    # Fuzzy entries are never shown: an unreviewed translation is worse than English.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def pick_language(chosen: str | None, accept_language: str | None) -> str:
    """The staff member's saved choice, else the browser's preference, else Ukrainian."""
    if chosen in STAFF_LANGUAGES:
        return chosen
    for part in (accept_language or "").split(","):
        primary = part.split(";")[0].strip().lower()[:2]
        if primary in STAFF_LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Texts:
    """Everything a page needs to speak one language."""

    language: str
    timezone: str = "Europe/Kyiv"

    @property
    def _t(self) -> Translations:
        return translations(self.language)

    def gettext(self, message: str | InContext) -> str:
        if isinstance(message, InContext):
            return str(self._t.pgettext(message.context, message.message))
        return self._t.gettext(message)

    # The name marks literal texts for extraction (``texts._("…")``), like gettext's ``_``.
    def _(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return str(self._t.pgettext(context, message))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def when(self, moment: datetime | None) -> str:
        """``2 бер. 2026 р., 11:00 (UTC+2)``: local time with its offset from UTC."""
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        shown = format_datetime(local, "d MMM y, HH:mm", locale=self.language)
        return f"{shown} ({utc_offset(local)})"

    def duration(self, delta: timedelta) -> str:
        return format_timedelta(
            delta, threshold=1.5, granularity="minute", format="short", locale=self.language
        )


def utc_offset(local: datetime) -> str:
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# Alphabetical order as each language's readers expect it. Code point order puts the
# Ukrainian і, ї, є and ґ after я, so "Івано-Франківська" would come last; no collation
# library is needed for the few lists the pages sort (oblasts, programmes).
_ALPHABETS = {
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
}


def collation_key(language: str) -> Callable[[str], tuple[tuple[int, int], ...]]:
    """A sort key for names in ``language``: its own alphabet first, in its order, then
    Latin letters, then digits and anything else; case, accents and apostrophes ignored."""
    order = {ch: i for i, ch in enumerate(_ALPHABETS.get(language, ""))}

    def key(text: str) -> tuple[tuple[int, int], ...]:
        folded = unicodedata.normalize("NFC", text.casefold())
        ranks: list[tuple[int, int]] = []
        for ch in folded:
            if ch in order:
                ranks.append((0, order[ch]))
            elif ch.isalpha():
                base = unicodedata.normalize("NFD", ch)[0]
                ranks.append((1, ord(base)))
            elif ch.isdigit():
                ranks.append((2, ord(ch)))
            elif ch.isspace() or ch in "-":
                ranks.append((-1, 0))  # a word ends before any letter
        return tuple(ranks)

    return key
