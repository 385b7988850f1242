"""The words that tell what a survey question asks: something that identifies a person
(a name, a phone number, an exact address or location, an e-mail, a document number, a
date of birth), or one of the demographics whose figures are suppressed (sex, age group,
disability). Used by :func:`storage.surveys.check_survey`; plain functions over text.

Text is split into lower-case words (apostrophes kept inside a word, so ``ім'я`` and
``don't`` are one word; ``_`` splits, so a question's name ``full_name`` is two). A
pattern is a run of consecutive words; each word of it is an exact form (``имя``), a stem
(``прізвищ*`` matches every inflection), alternatives (``вік|віку``), or ``…`` for up to
three words of anything. Exact forms where a stem would catch other words:

- ``имя|имени|именем``, never ``имен*``: Russian ``именно`` ("namely") is everywhere, and
  ``наименование`` ("the name of a thing") must stay allowed. Ukrainian ``назва`` and
  Russian ``название`` (a thing's name) are not listed at all.
- English ``name``, ``address`` and ``location`` count only *qualified*: after ``your``,
  ``full``, ``first``, ``home``, ``exact``… (two words back), or as a label of at most
  three words (``Name:``). So "the name of the distribution", "name the site", "we will
  address your concern" and "the location of the distribution point" pass.
- ``адреса|адресу…`` as forms, not ``адрес*``: ``адресна допомога`` (targeted aid) is a
  programme word in Ukrainian and Russian.
- Russian ``пол`` (sex) is also "floor", and Ukrainian ``стать`` (sex) is the Russian verb
  "to become": demographic words are looked for in the label *of their own language*
  only (and in Cyrillic text put under plain ``label``), so "что могло бы стать лучше"
  is no question about sex.
- ``пошта``/``почта`` alone is a post office (Nova Poshta delivers aid): e-mail is
  ``електронна пошта``, ``e-mail``, ``email``, ``імейл``.

Negations: a privacy reminder in a label ("please do not write your name or phone number",
"не вказуйте ім'я та телефон") is no question asking for them: a match after a negated
verb of giving (``not write``, ``don't include``, ``не вказуйте``, ``не пишите``…) in
the same sentence, or right after ``no``/``without``/``без``, does not count. A bare
``не`` does not negate: "Не могли б ви залишити номер телефону?" is a polite request.
Someone who wants to get round this can; the check is there for honest mistakes.

A demographic question refused as free text must be *personal*: a label of at most three
words ("Вік", "Gender"), or ``you``/``ваш``/``вам``… within four words of the match.
"How could we serve people with disabilities better?" is a fair open question; "What is
your age?" is not one to answer in free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Pattern = tuple[str, ...]

GAP = "…"  # up to three words of anything
_GAP_WORDS = 3
_PERSONAL_WINDOW = 4
SHORT_LABEL = 3


@dataclass(frozen=True)
class Words:
    what: str  # the stable code of what it asks: "name", "phone", "sex", …
    patterns: tuple[Pattern, ...]
    qualified: bool = False  # only after a qualifier, or as a short label


def _words(what: str, *patterns: str, qualified: bool = False) -> Words:
    return Words(what, tuple(tuple(p.split()) for p in patterns), qualified)


# Identifying: looked for in every language at once (a privacy check: better strict).
IDENTIFYING: tuple[Words, ...] = (
    _words(
        "name",
        # uk
        "ім'я|імя|імені|ім'ям|іменем",
        "прізвищ*",
        "по батькові",
        "піб",
        "ініціал*",
        # ru
        "имя|имени|именем",
        "фамили*",
        "отчеств*",
        "фио",
        "инициал*",
        # en, and the transliterations a question's name may use
        "surname*",
        "nickname*",
        "initials",
        "imya|imia|prizvyshche|prizvyshe|familiya|familia|pib",
    ),
    _words("name", "name|names", qualified=True),
    _words(
        "phone",
        "телефон*",
        "telephone*",
        "phone*",
        "telefon*",
        "mobile|cell number|no|phone",
        "мобільн*|мобильн* номер*|телефон*",
        "номер* мобільн*|мобильн*",
        "контактн*",
        "contact details|number|information|info|phone",
    ),
    _words(
        "address",
        "адреса|адресу|адреси|адресою|адресі|адрес|адресом|адресе|адресов|адресах",
        "вулиц*",
        "улиц*",
        "street|streets",
        "adres|adresa|adresu",
        "номер* будинк*|будинок|квартир*|дом*",
        "house|flat|apartment|building number|no",
        "місц* проживанн*",
        "мест* проживани*",
        "where do you live|stay",
        "де ви живете|мешкаєте|проживаєте",
        "где вы живете|живёте|проживаете",
    ),
    _words("address", "address|addresses", qualified=True),
    _words(
        "location",
        "gps",
        "geopoint*",
        "geolocation*",
        "геолокац*",
        "геоточк*",
        "координат*",
        "coordinate*",
        "latitude",
        "longitude",
        "місцезнаходжен*",
        "местонахожден*",
    ),
    _words("location", "location|locations", qualified=True),
    _words(
        "email",
        "email*",
        "e mail*",
        "е мейл*",
        "емейл*|імейл*|имейл*|емайл*|мейл*",
        "електронн* пошт*",
        "электронн* почт*",
    ),
    _words(
        "document",
        "паспорт*",
        "passport*",
        "pasport*",
        "ідентифікаційн*",
        "идентификационн*",
        "identification number|no|code",
        "id number|no|code|card",
        "national id",
        "identity card|number|document",
        "іпн|рнокпп|унзр|инн",
        "податков* номер*|код*",
        "налогов* номер*|код*",
        "tax number|id|code|no",
        "номер* документ*|посвідчен*|удостоверени*",
        "document number|no",
    ),
    _words(
        "birth",
        "народжен*",
        "рожден*",
        "birth*",
        "born",
        "dob",
    ),
)

QUALIFIERS = frozenset(
    [
        "your",
        "my",
        "his",
        "her",
        "their",
        "full",
        "first",
        "last",
        "given",
        "family",
        "middle",
        "maiden",
        "home",
        "exact",
        "current",
        "precise",
        "street",
        "postal",
        "residential",
        "physical",
        "mailing",
        "respondent",
        "respondent's",
        "respondents",
        "person's",
        "child's",
        "resp",
        "hh",
        "head",
        "contact",
        "e",
        "mail",
        "email",
    ]
)
# "do not write / не вказуйте …": a negated verb of giving, then anything to the sentence's end
NEGATIONS = frozenset(("not", "don't", "dont", "never", "не", "ні", "ни"))
GIVING = (
    "writ", "includ", "giv", "shar", "mention", "enter", "put", "provid", "need", "leav",
    "typ", "пиш", "вказ", "зазнач", "залиша", "ввод", "треб", "потрібн", "назив", "повідомл",
    "указ", "оставля", "нужн", "надо", "называ", "сообща",
)  # fmt: skip
# "no names", "без імені": right before it
WITHOUT = frozenset(("no", "without", "без"))
PERSONAL = frozenset(
    [
        "you",
        "your",
        "yours",
        "yourself",
        "ви",
        "вам",
        "вас",
        "вами",
        "ти",
        "тобі",
        "тебе",
        "твій",
        "твоя",
        "твоє",
        "твої",
        "твого",
        "вы",
        "ты",
        "тебя",
        "твой",
        "твое",
        "твоё",
        "respondent",
        "respondent's",
        "respondents",
    ]
)
PERSONAL_STEMS = ("ваш", "респондент")  # ваш, ваша, вашого, вашего, респондента…

# Demographics, by the language of the label they are looked for in.
DEMOGRAPHIC_WORDS: dict[str, dict[str, tuple[Words, ...]]] = {
    "sex": {
        "uk": (_words("sex", "стать|статі", "гендер*"),),
        "ru": (_words("sex", "пол|пола", "гендер*"),),
        "en": (_words("sex", "sex", "gender*"),),
    },
    "age_group": {
        "uk": (
            _words(
                "age_group",
                "вік|віку|віком|віці",
                "віков*",
                "скільки років|рок*",
                "скільки вам|тобі років|рок*",
            ),
        ),
        "ru": (_words("age_group", "возраст*", "сколько лет", "сколько вам|тебе лет"),),
        "en": (_words("age_group", "age|aged|ages", "how old"),),
    },
    "disability": {
        "uk": (
            _words(
                "disability",
                "інвалід*",
                "обмежен* можливост*",
                "особлив* потреб*",
                "труднощ*|складнощ* … зор*|слух*|ходьб*|ходінн*|ходити|пам'ят*|концентр*"
                "|зосередж*|самообслуг*|спілкуванн*|одяганн*|митт*|сходин*",
            ),
        ),
        "ru": (
            _words(
                "disability",
                "инвалид*",
                "ограничен* возможност*",
                "особ* потребност*",
                "трудност*|сложност*|затруднени* … зрени*|слух*|ходьб*|памят*|концентр*"
                "|самообслуж*|общени*|одевани*|мыть*|ступен*",
            ),
        ),
        "en": (
            _words(
                "disability",
                "disab*",
                "impair*",
                "handicap*",
                "difficulty|difficulties … seeing|hearing|walking|climbing|remembering"
                "|concentrating|washing|dressing|communicating|self",
            ),
        ),
    },
}

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'", "ё": "е"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?;:\n]+")
_CYRILLIC = re.compile("[а-яіїєґ]")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().translate(_APOSTROPHES))


def sentences(text: str) -> list[list[str]]:
    return [words for part in _SENTENCE_END.split(text) if (words := tokens(part))]


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text.lower()))


def _word_matches(spec: str, word: str) -> bool:
    for alternative in spec.split("|"):
        if alternative.endswith("*"):
            if word.startswith(alternative[:-1]):
                return True
        elif word == alternative:
            return True
    return False


def _match_end(pattern: Pattern, words: Sequence[str], start: int) -> int | None:
    """Where ``pattern`` matching at ``start`` ends (exclusive), or None."""
    if not pattern:
        return start
    head, rest = pattern[0], pattern[1:]
    if head == GAP:
        for skip in range(_GAP_WORDS + 1):
            end = _match_end(rest, words, start + skip)
            if end is not None:
                return end
        return None
    if start >= len(words) or not _word_matches(head, words[start]):
        return None
    return _match_end(rest, words, start + 1)


def _matches(pattern: Pattern, words: Sequence[str]) -> Iterable[tuple[int, int]]:
    for start in range(len(words)):
        end = _match_end(pattern, words, start)
        if end is not None:
            yield start, end


def _negated(words: Sequence[str], start: int) -> bool:
    """Whether the sentence says not to give it (see the module)."""
    for at in range(start):
        word = words[at]
        if word in WITHOUT and start - at <= 2:
            return True
        if word in NEGATIONS and any(w.startswith(GIVING) for w in words[at + 1 : at + 2]):
            return True
    return False


def _qualified(words: Sequence[str], start: int, short: int) -> bool:
    if len(words) <= short:
        return True
    return any(w in QUALIFIERS for w in words[max(0, start - 2) : start])


def _personal(words: Sequence[str], start: int, end: int, short: int) -> bool:
    if len(words) <= short:
        return True
    near = words[max(0, start - _PERSONAL_WINDOW) : end + _PERSONAL_WINDOW]
    return any(w in PERSONAL or w.startswith(PERSONAL_STEMS) for w in near)


@dataclass(frozen=True)
class Found:
    what: str
    word: str  # the words of the text that matched, as written there (lower case)


def find_identifying(text: str, *, short: int = SHORT_LABEL) -> Found | None:
    """What identifying thing ``text`` (a label, or a question's name) asks for, if any.
    ``short``: a text of at most so many words asks for what it names (a label "Name:";
    for a question's name, 1: ``name`` does, ``distribution_name`` does not)."""
    parts = sentences(text)
    total = sum(map(len, parts))
    for group in IDENTIFYING:
        for pattern in group.patterns:
            for words in parts:
                for start, end in _matches(pattern, words):
                    if _negated(words, start):
                        continue
                    if group.qualified and not (total <= short or _qualified(words, start, short)):
                        continue
                    return Found(group.what, " ".join(words[start:end]))
    return None


def find_demographic(
    text: str, languages: Iterable[str], *, personal: bool, short: int = SHORT_LABEL
) -> Found | None:
    """Which demographic ``text`` is about, by the words of ``languages``; with
    ``personal``, only where it asks the person about themselves (see the module)."""
    words = tokens(text)
    for what, by_language in DEMOGRAPHIC_WORDS.items():
        for language in languages:
            for group in by_language.get(language, ()):
                for pattern in group.patterns:
                    for start, end in _matches(pattern, words):
                        if personal and not _personal(words, start, end, short):
                            continue
                        return Found(what, " ".join(words[start:end]))
    return None
