"""The catalogs are complete, consistent with the code, and speak the glossary."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
LANGUAGES = ("uk", "ru", "en")
PLURALS = {"uk": 3, "ru": 3, "en": 2}
# The keywords `make messages` extracts with (a test below holds the Makefile to them):
# pgettext and lazy_pgettext take a context first, so one English word can have two jobs.
KEYWORDS = {
    "_": None,
    "__": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?(b|i|code|u|s)>")


def load(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


BOT_SOURCES = [("handlers/**.py", "python"), ("bot/*.py", "python")]
CONSOLE_SOURCES = [
    ("admin_api/**.py", "python"),
    ("admin_api/console/templates/**.html", "jinja2"),
    ("admin_api/public/templates/**.html", "jinja2"),
]
# Storage marks the export's column titles and the breakdowns' names; the edge
# translates them.
STORAGE_SOURCES = [
    ("storage/breakdowns.py", "python"),
    ("storage/services/exports.py", "python"),
    ("storage/services/feedback_export.py", "python"),
    ("storage/names.py", "python"),
    ("storage/wording.py", "python"),
    ("storage/services/monthly_report.py", "python"),
]


# A msgid with its context: (None, "Closed") and ("case status", "Closed") are two texts.
Ident = tuple[str | None, str]


def source_msgids(
    method_map: list[tuple[str, str]] = BOT_SOURCES + CONSOLE_SOURCES + STORAGE_SOURCES,
) -> set[Ident]:
    """Every msgid the code uses, with its context, extracted as `make messages` does."""
    found: set[Ident] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


CATALOGS = {language: load(language) for language in LANGUAGES}
SOURCE = source_msgids()


def key(message: object) -> str:
    msgid = message.id  # type: ignore[attr-defined]
    return msgid[0] if isinstance(msgid, tuple) else msgid


def ident(message: object) -> Ident:
    return (message.context, key(message))  # type: ignore[attr-defined]


def test_the_mapping_is_the_one_make_messages_uses() -> None:
    with (LOCALES / "babel.cfg").open() as handle:
        method_map, _options = parse_mapping_cfg(handle)
    assert sorted(method_map) == sorted(BOT_SOURCES + CONSOLE_SOURCES + STORAGE_SOURCES)


def test_make_messages_extracts_with_these_keywords() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(x for x in makefile.splitlines() if x.startswith("KEYWORDS :="))
    # pybabel adds its defaults (_, gettext, pgettext…) to the keywords it is given.
    effective = {**DEFAULT_KEYWORDS, **parse_keywords(re.findall(r"-k (\S+)", line))}
    assert {name: effective.get(name, "missing") for name in KEYWORDS} == KEYWORDS


def test_contexts_reach_the_catalogs() -> None:
    contexts = {context for context, _msgid in SOURCE if context}
    assert {"case status", "worklist tab", "report status", "button", "page title"} <= contexts


def test_the_code_has_texts_to_translate() -> None:
    assert len(SOURCE) > 150


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_of_the_code_is_translated(language: str) -> None:
    catalog = CATALOGS[language]
    translated = {
        ident(m)
        for m in catalog
        if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(SOURCE - translated)
    assert missing == [], f"{language}: untranslated: {missing[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_stale_or_fuzzy_entries(language: str) -> None:
    catalog = CATALOGS[language]
    stale = sorted(key(m) for m in catalog if m.id and ident(m) not in SOURCE)
    assert stale == [], f"{language}: not in the code any more: {stale[:5]}"
    assert [key(m) for m in catalog if m.id and m.fuzzy] == []
    assert len(catalog.obsolete) == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms(language: str) -> None:
    catalog = CATALOGS[language]
    assert catalog.num_plurals == PLURALS[language]
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            assert len(message.string) == PLURALS[language], key(message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_markup_match(language: str) -> None:
    for message in CATALOGS[language]:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        tags = sorted(TAG.findall(ids[0]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, (language, key(message), string)
            assert sorted(TAG.findall(string)) == tags, (language, key(message), string)


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_translations_are_not_english(language: str) -> None:
    untranslated = [
        key(m)
        for m in CATALOGS[language]
        if m.id and isinstance(m.string, str) and m.string == m.id and re.search(r"[a-z]{4}", m.id)
    ]
    assert untranslated == []


def glossary() -> list[dict[str, str]]:
    with (LOCALES / "glossary.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# Stems that every inflected form of a glossary term keeps, per language, as regular
# expressions: "a|b" accepts either (the same term turned another way, where a button has
# no room for the first).
STEMS = {
    "receipt code": {"uk": ["код", "звернен"], "ru": ["код", "обращен"]},
    "complaint": {"uk": ["скарг"], "ru": ["жалоб"]},
    "feedback": {"uk": ["відгук"], "ru": ["отзыв"]},
    "report": {"uk": ["звернен"], "ru": ["обращен"]},
    "fraud": {"uk": ["шахрай"], "ru": ["мошенни"]},
    "corruption": {"uk": ["корупці"], "ru": ["коррупци"]},
    "bribe": {"uk": ["хабар"], "ru": ["взятк"]},
    # The UN PSEA terms. The Russian term does not fit a menu button (it needs 44 of the
    # 37 characters): the button keeps «сексуальные надругательства», so "exploitation"
    # is not demanded in Russian; every longer text still carries it (see below).
    "sexual exploitation and abuse": {
        "uk": ["сексуальн", "експлуатаці", "наруг"],
        "ru": ["сексуальн", "надругательств"],
    },
    "harassment": {"uk": [r"сексуальн\w* домаган"], "ru": [r"сексуальн\w* домогательств"]},
    "trafficking": {"uk": ["торгів", "людьми"], "ru": ["торгов", "людьми"]},
    "labour exploitation": {
        "uk": ["трудов|праці", "експлуатаці"],
        "ru": ["трудов|труда", "эксплуатаци"],
    },
    "assistance": {"uk": ["допомог"], "ru": ["помощ"]},
    "oblast": {"uk": ["област"], "ru": ["област"]},
    "hotline": {"uk": ["гаряч", "ліні"], "ru": ["горяч", "лини"]},
    # Not "закритий": beside the "Closed" tab it would read as a status.
    "sealed channel": {"uk": ["захищен", "канал"], "ru": ["защищ", "канал"]},
    "feedback point": {"uk": ["пункт", "відгук"], "ru": ["пункт", "отзыв"]},
}


def test_reporters_are_not_asked_about_a_programme() -> None:
    """Programme is staff jargon: the bot asks which assistance a report is about."""
    bot_texts = source_msgids(BOT_SOURCES)
    assert [m for _c, m in bot_texts if re.search(r"\bprogrammes?\b", m, re.I)] == []


def test_the_glossary_is_the_one_we_check() -> None:
    terms = {row["en"] for row in glossary()}
    for term in ("receipt code", "complaint", "fraud", "bribe", "oblast", "hotline"):
        assert term in terms


@pytest.mark.parametrize("language", ["uk", "ru"])
@pytest.mark.parametrize("term", sorted(STEMS))
def test_glossary_terms_are_used_the_same_way(language: str, term: str) -> None:
    pattern = re.compile(rf"\b{re.escape(term)}s?\b", re.IGNORECASE)
    checked = 0
    for message in CATALOGS[language]:
        if not message.id:
            continue
        msgid = key(message)
        if term == "report" and ("receipt code" in msgid.lower()):
            continue
        # "report" as a verb ("report fraud") is not the noun of the glossary.
        if term == "report" and re.search(
            r"\breport(ing)? (fraud|abuse|sexual|human)", msgid, re.I
        ):
            continue
        if not pattern.search(msgid):
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            lowered = string.lower()
            for stem in STEMS[term][language]:
                assert re.search(stem, lowered), (
                    f"{term!r} in {msgid!r} → {string!r} lacks {stem!r}"
                )
        checked += 1
    assert checked > 0, f"no message uses {term!r}"


# The menu button is the one place with no room for the whole Russian PSEA term.
PSEA_BUTTON = "🛡 Sexual exploitation and abuse"


def test_the_russian_psea_term_is_whole_outside_the_menu_button() -> None:
    pattern = re.compile(r"\bsexual exploitation and abuse\b", re.IGNORECASE)
    checked = 0
    for message in CATALOGS["ru"]:
        msgid = key(message) if message.id else ""
        if not pattern.search(msgid) or msgid == PSEA_BUTTON:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            lowered = string.lower()
            assert "сексуальн" in lowered and "эксплуатаци" in lowered, (msgid, string)
            assert "надругательств" in lowered, (msgid, string)
        checked += 1
    assert checked >= 3
