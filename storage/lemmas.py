"""Word forms to the words a search matches them by: lemmas for Ukrainian and Russian,
stems for English.

Reporters write in Ukrainian, Russian, English and a mix of them, and one text often
holds two languages, so a word in Cyrillic is analysed by **both** the Ukrainian and the
Russian dictionary (pymorphy3) and every lemma either gives is kept: ``Харкові``,
``Харкова`` and ``Харків`` all give ``харків``, ``видачі`` and ``видачу`` give
``видача``, ``помощи`` gives ``помощь``. A word neither dictionary knows (a village, a
typo) gets each analyser's best guess, by the letters it uses. A word in Latin letters
gets its English Snowball stem (``complaints`` → ``complaint``). Text and query go
through the same function, so whatever a guess gets wrong, it gets wrong on both sides.

The result is stored beside the text (``lemmas`` columns of cases, additions and
attachments, kept by :func:`index_text` through the models' events) and indexed with it;
sensitive text never has one (its lemmas go to the blind index as keyed hashes).

Analysing a word form takes 20-100 µs, so results are cached per form (a bounded LRU:
reporters' vocabulary is small, so re-indexing a million cases hits the cache mostly).
Nothing here touches the database.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer
    from snowballstemmer import Stemmer

# A word as the database's tokenizers see it (they split at apostrophes).
SURFACE = re.compile(r"[^\W_]+")
# A word as a dictionary sees it: Ukrainian keeps its apostrophe (``обов'язок``).
_WORD = re.compile(r"[^\W_]+(?:['’ʼ`][^\W_]+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
_CYRILLIC = re.compile(r"[а-яёіїєґ']+")
_LATIN = re.compile(r"[a-z']+")
_UKRAINIAN_ONLY = frozenset("іїєґ'")
_RUSSIAN_ONLY = frozenset("ыэёъ")
# Word forms remembered with their lemmas: a few MB, and far more distinct forms than a
# hotline's texts use.
CACHE_SIZE = 200_000
# Files' text is indexed up to this many characters, as PostgreSQL's document does.
MAX_TEXT_CHARS = 20_000


@cache
def _analyzer(lang: str) -> MorphAnalyzer:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


@cache
def _english() -> Stemmer:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _clean(word: str) -> str:
    """A lemma as one token of the indexes: no apostrophe, ``ё`` as ``е``."""
    return word.replace("'", "").replace("ё", "е")


@lru_cache(maxsize=CACHE_SIZE)
def lemmas(word: str) -> frozenset[str]:
    """The lemmas (or stem) of one case-folded word form, apostrophes removed; empty for
    a number or a script no analyser reads."""
    word = word.translate(_APOSTROPHES)
    found: set[str] = set()
    if _CYRILLIC.fullmatch(word):
        analyzers = [_analyzer("uk"), _analyzer("ru")]
        known = [a for a in analyzers if a.word_is_known(word)]
        if known:
            for analyzer in known:
                found.update(p.normal_form for p in analyzer.parse(word))
        else:
            letters = set(word)
            if not letters & _RUSSIAN_ONLY:
                found.add(analyzers[0].parse(word)[0].normal_form)
            if not letters & _UKRAINIAN_ONLY:
                found.add(analyzers[1].parse(word)[0].normal_form)
    elif _LATIN.fullmatch(word):
        found.add(_english().stemWord(word.replace("'", "")))
    return frozenset(w for w in (_clean(f) for f in found) if SURFACE.fullmatch(w))


def words(text: str) -> list[str]:
    """The dictionary words of a text, case-folded, apostrophes kept (normalised)."""
    folded = text.casefold()
    if "’" in folded or "ʼ" in folded or "`" in folded:
        folded = folded.translate(_APOSTROPHES)
    return _WORD.findall(folded)


def joined(word: str) -> str:
    """A word as one index token: ``обов'язок`` → ``обовязок``."""
    return word.replace("'", "")


def index_terms(text: str | None) -> set[str]:
    """What a text adds to the index besides its own words: the lemmas of every word, and
    each word with an apostrophe as one token (the tokenizers split it)."""
    if not text:
        return set()
    text = text[:MAX_TEXT_CHARS]
    found = set(words(text))
    surface = set(SURFACE.findall(text.casefold())) if "'" in "".join(found) else found
    extra: set[str] = set()
    for word in found:
        if "'" in word:
            extra.add(joined(word))
        extra |= lemmas(word)
    return extra - surface


def index_text(text: str | None) -> str | None:
    """The ``lemmas`` column for a plain text: its :func:`index_terms`, space-separated."""
    terms = index_terms(text)
    return " ".join(sorted(terms)) if terms else None


def query_alternatives(word: str) -> list[str]:
    """Besides the word itself (a prefix), what a query word also matches exactly: its
    lemmas, not the word itself."""
    return sorted(lemmas(word) - {joined(word)})
