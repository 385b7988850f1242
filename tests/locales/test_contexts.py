"""One English word with two jobs has a translation for each (gettext contexts), and both
the bot (aiogram's I18n) and the console (Babel's translations) find them."""

from __future__ import annotations

import pytest

from admin_api.console import labels
from admin_api.web.i18n import Texts
from bot.i18n import create_i18n
from handlers import texts
from handlers.i18n import pgettext
from storage.enums import Language, Status
from storage.i18n import InContext

I18N = create_i18n(Language.UK)


@pytest.mark.parametrize(
    ("language", "new", "closed"),
    [("uk", "нове", "закрито"), ("ru", "новое", "закрыто"), ("en", "new", "closed")],
)
def test_the_bot_names_a_reports_status_in_its_context(
    language: str, new: str, closed: str
) -> None:
    with I18N.context(), I18N.use_locale(language):
        assert pgettext("report status", "new") == new
        assert str(texts.STATUS_NAMES[Status.NEW]) == new
        assert str(texts.STATUS_NAMES[Status.CLOSED]) == closed
        # Without a translation for that context, the English text, never an empty one.
        assert pgettext("no such context", "new") == "new"


def test_the_console_gives_a_case_a_tab_and_a_column_their_own_words() -> None:
    uk = Texts("uk")
    assert uk.gettext(labels.STATUS["new"]) == "Нова"  # справа
    assert uk.gettext(labels.TAB["new"]) == "Нові"  # a tab of cases
    assert uk.gettext(labels.TAB["closed"]) == "Закриті"
    assert uk.gettext(labels.STATUS["closed"]) == "Закрито"
    assert uk.pgettext("button", "Sign in") == "Увійти"
    assert uk.pgettext("page title", "Sign in") == "Вхід"
    assert Texts("en").gettext(InContext("case status", "Closed")) == "Closed"


def test_every_tab_and_status_has_a_name() -> None:
    assert set(labels.TAB) == {"open", *(s.value for s in Status)}
    assert set(labels.STATUS) == {s.value for s in Status}
    for language in ("uk", "en"):
        names = Texts(language)
        assert all(names.gettext(label) for label in labels.TAB.values())
