"""Every category, programme and place of the catalogue has a label in every language,
and every button fits a phone screen (no test here needs the bot: keyboards are data)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import create_i18n
from handlers import keyboards, texts
from storage import wording
from storage.catalog import DEFAULT_PROGRAMMES, Catalog
from storage.crypto import Crypto
from storage.enums import Language
from storage.errors import UnknownCategory
from tests.handlers.conversation import catalog as translations

LANGUAGES = ("uk", "ru", "en")
I18N = create_i18n(Language.UK)
CATALOG = Catalog()

# Phones cut a button alone on its row after about 36 characters (37 leaves room for
# the icon and its space); two side by side get half that, three a third.
MAX_LABEL = {1: 37, 2: 18, 3: 12}


@pytest.fixture(autouse=True)
def no_invalid_bot_api_calls() -> None:
    """No bot runs here: nothing to check against the emulator (overrides conftest)."""


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    with I18N.context(), I18N.use_locale(request.param):
        yield request.param


def translated(language: str, msgid: str) -> str:
    text = translations(language).gettext(msgid)
    if language != "en":
        assert text != msgid, f"{msgid!r} has no {language} translation"
    return text


@pytest.mark.parametrize("code", [c.code for c in CATALOG.categories])
def test_every_category_has_a_name_and_a_button_in_every_language(code: str) -> None:
    for language in LANGUAGES:
        assert translated(language, texts.CATEGORY_NAMES[code]._args[0])  # type: ignore[attr-defined]
        assert translated(language, texts.CATEGORY_BUTTONS[code]._args[0])  # type: ignore[attr-defined]
        if CATALOG.category(code).sensitive:
            assert translated(language, wording.SENSITIVE_INTROS[code])


def test_an_unknown_category_is_an_error_not_a_raw_code(language: str) -> None:
    with pytest.raises(UnknownCategory):
        texts.category_name("no_such_category")
    with pytest.raises(UnknownCategory):
        texts.category_button("no_such_category")


def test_labels_cover_exactly_the_catalogue() -> None:
    codes = {c.code for c in CATALOG.categories}
    assert set(texts.CATEGORY_NAMES) == codes == set(texts.CATEGORY_BUTTONS)
    assert set(wording.SENSITIVE_INTROS) == CATALOG.sensitive_codes


@pytest.mark.parametrize("programme", DEFAULT_PROGRAMMES, ids=lambda p: p.code)
def test_every_default_programme_is_named_in_every_language(programme: object) -> None:
    names = programme.names  # type: ignore[attr-defined]
    assert {Language(k) for k, v in names.items() if v.strip()} == set(Language)


def test_every_place_is_named_in_every_language() -> None:
    for oblast in CATALOG.oblasts:
        for language in LANGUAGES:
            assert oblast.names.get(language, "").strip(), (oblast.code, language)
            assert oblast.button_name(language).strip()


def test_the_menu_follows_the_catalogue(language: str) -> None:
    menu = keyboards.main_menu(CATALOG)
    actions = [b.callback_data for row in menu.inline_keyboard for b in row]
    for category in CATALOG.sensitive:
        assert f"m:{category.code}" in actions
    standard = keyboards.categories(CATALOG)
    codes = [b.callback_data for row in standard.inline_keyboard for b in row]
    assert [c for c in codes if c and c.startswith("c:")] == [
        f"c:{c.code}" for c in CATALOG.standard
    ]


def test_keyboards_are_built_once_per_language() -> None:
    with I18N.context():
        with I18N.use_locale("uk"):
            first = keyboards.oblasts(CATALOG, "uk")
            assert keyboards.oblasts(CATALOG, "uk") is first
        with I18N.use_locale("ru"):
            other = keyboards.oblasts(CATALOG, "ru")
    assert other is not first
    assert other.inline_keyboard[0][0].text != first.inline_keyboard[0][0].text


def every_keyboard() -> dict[str, Callable[[], InlineKeyboardMarkup]]:
    return {
        "welcome": lambda: keyboards.welcome_menu(CATALOG, "uk"),
        "menu": lambda: keyboards.main_menu(CATALOG),
        "languages": lambda: keyboards.languages("uk"),
        "categories": lambda: keyboards.categories(CATALOG),
        "intro": keyboards.sensitive_intro,
        "programmes": lambda: keyboards.programmes(CATALOG, I18N.current_locale),
        "oblasts": lambda: keyboards.oblasts(CATALOG, I18N.current_locale),
        "done": lambda: keyboards.done("report"),
        "contact": keyboards.contact_modes,
        "typed contact": keyboards.typed_contact,
        "summary": keyboards.summary,
        "edit": keyboards.edit_fields,
        "discard": keyboards.confirm_discard,
        "resume": keyboards.resume_or_discard,
        "receipt": lambda: keyboards.after_receipt(1),
        "report view": lambda: keyboards.report_view(True),
        "cancel": keyboards.cancel_only,
        "scores": keyboards.scores,
        "reasons": lambda: keyboards.reasons(["waiting_time"]),
        "skip": keyboards.skip,
        "handling": lambda: keyboards.handling_scores(1, 1, Crypto([b"s" * 40])),
        "back": keyboards.back_to_menu,
    }


@pytest.mark.parametrize("name", sorted(every_keyboard()))
def test_buttons_fit_a_phone(language: str, name: str) -> None:
    markup = every_keyboard()[name]()
    too_long = [
        (button.text, len(button.text), len(row))
        for row in markup.inline_keyboard
        for button in row
        if len(button.text) > MAX_LABEL[len(row)]
    ]
    assert too_long == [], f"{name} in {language}: labels too long for their row"
