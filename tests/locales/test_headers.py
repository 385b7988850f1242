"""Catalogs that translators' tools accept: every file carries its header (language,
plural forms, charset), passes GNU ``msgfmt --check`` where GNU gettext is installed
(required in CI) and Babel's own checkers everywhere, and still compiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from locales.build import compile_catalogs
from locales.template import drop_creation_date
from tests.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
LANGUAGES = ("uk", "ru", "en")
TEMPLATE = LOCALES / "messages.pot"


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def header(path: Path) -> tuple[dict[str, str], list[str]]:
    """The fields of the file's own header entry (``msgid ""``) and its flags, read from
    the text: Babel's reader would quietly fill in what is missing."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r'(?P<comments>(?:#.*\n)*)msgid ""\nmsgstr ""\n(?P<lines>(?:".*"\n)+)', text)
    assert match, f"{path.name}: no header entry at the top"
    flags = [
        flag.strip()
        for line in match["comments"].splitlines()
        if line.startswith("#,")
        for flag in line[2:].split(",")
    ]
    joined = "".join(line[1:-1] for line in match["lines"].splitlines())
    fields = {}
    for field in joined.split("\\n"):
        if field:
            name, _, value = field.partition(":")
            fields[name.strip()] = value.strip()
    return fields, flags


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_has_a_complete_header(language: str) -> None:
    fields, flags = header(catalog_path(language))
    assert "fuzzy" not in flags  # a fuzzy header is left out of a compiled catalog
    assert fields["Project-Id-Version"].startswith("Holos ")
    assert fields["Language"] == language
    assert fields["MIME-Version"] == "1.0"
    assert fields["Content-Type"].lower() == "text/plain; charset=utf-8"
    assert fields["Content-Transfer-Encoding"] == "8bit"
    plural = get_plural(Locale.parse(language))
    assert fields["Plural-Forms"] == plural.plural_forms
    for name in ("PO-Revision-Date", "Last-Translator", "Language-Team"):
        assert fields[name] and "YEAR" not in fields[name] and "FULL NAME" not in fields[name]


def test_the_template_has_a_header_without_a_creation_date() -> None:
    fields, _flags = header(TEMPLATE)
    assert fields["Project-Id-Version"].startswith("Holos ")
    assert fields["Content-Type"].lower() == "text/plain; charset=utf-8"
    # A date that changes on every run would make every branch's template conflict.
    assert "POT-Creation-Date" not in fields


def test_the_template_loses_only_its_creation_date(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    stamped = TEMPLATE.read_text(encoding="utf-8").replace(
        '"Report-Msgid-Bugs-To:',
        '"POT-Creation-Date: 2026-12-06 14:45+0000\\n"\n"Report-Msgid-Bugs-To:',
    )
    pot.write_text(stamped, encoding="utf-8")
    assert drop_creation_date(pot) is True
    assert pot.read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8")
    assert drop_creation_date(pot) is False


@pytest.mark.parametrize("language", LANGUAGES)
def test_babel_checkers_find_nothing(language: str) -> None:
    with catalog_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert problems == []


@pytest.mark.parametrize("path", [*map(catalog_path, LANGUAGES)], ids=LANGUAGES)
def test_gnu_msgfmt_accepts_every_catalog(path: Path, tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        unavailable("GNU gettext (msgfmt)", "not installed (apt-get install gettext)")
    result = subprocess.run(
        [msgfmt, "--check", "--output-file", str(tmp_path / "messages.mo"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Warnings count too: a header field left out is a warning, not an error.
    assert (result.returncode, result.stderr) == (0, "")


def test_the_catalogs_still_compile(tmp_path: Path) -> None:
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(catalog_path(language), target / "messages.po")
    written = compile_catalogs(tmp_path, force=True)
    assert sorted(p.parent.parent.name for p in written) == sorted(LANGUAGES)
    assert all(p.stat().st_size > 10_000 for p in written)
