"""``pgettext`` for the conversation: aiogram's I18n offers gettext and ngettext only.

A context tells two uses of one English word apart ("new" as a report's status, "New" as
a console tab), so each language can give each its own form. The catalogs aiogram loads
are ``gettext.GNUTranslations``, which look a context up themselves.
"""

from __future__ import annotations

from aiogram.utils.i18n import get_i18n
from babel.support import LazyProxy  # the proxy aiogram's own lazy_gettext returns


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, as translated for ``context``."""
    i18n = get_i18n()
    translator = i18n.locales.get(i18n.current_locale)
    if translator is None:
        return message
    return translator.pgettext(context, message)


def lazy_pgettext(context: str, message: str) -> LazyProxy:
    """For texts defined before any language is known (module-level tables)."""
    return LazyProxy(pgettext, context, message, enable_cache=False)
