"""Reference data the rules depend on: categories with their SLAs, oblasts, programmes.

Defaults are the table in docs/staff-and-cases.md; SLAs and programmes can be overridden in settings.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from pathlib import Path

from storage.enums import Language, Priority
from storage.errors import UnknownCategory, UnknownOblast, UnknownProgramme

DATA_DIR = Path(__file__).resolve().parent / "data"

ABROAD = "abroad"
UNDISCLOSED = "undisclosed"


@dataclass(frozen=True)
class Category:
    code: str
    sensitive: bool
    priority: Priority
    acknowledge_within: timedelta
    resolve_within: timedelta
    # Groups used by the public transparency summary and the bot's menu.
    group: str


H = timedelta(hours=1)
D = timedelta(days=1)

DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("assistance_quality", False, Priority.NORMAL, 72 * H, 30 * D, "complaint"),
    Category("selection_process", False, Priority.NORMAL, 72 * H, 30 * D, "complaint"),
    Category("staff_conduct", False, Priority.HIGH, 72 * H, 30 * D, "complaint"),
    Category("information_request", False, Priority.LOW, 72 * H, 7 * D, "request"),
    Category("assistance_request", False, Priority.NORMAL, 72 * H, 30 * D, "request"),
    Category("suggestion", False, Priority.LOW, 7 * D, 30 * D, "feedback"),
    Category("fraud_corruption", True, Priority.URGENT, 24 * H, 72 * H, "fraud_corruption"),
    Category("sexual_exploitation", True, Priority.URGENT, 24 * H, 72 * H, "psea"),
    Category("trafficking", True, Priority.URGENT, 24 * H, 72 * H, "trafficking"),
)


@dataclass(frozen=True)
class Oblast:
    code: str  # ISO 3166-2 (UA-05 …) or one of ABROAD / UNDISCLOSED
    kind: str  # oblast, city, republic, abroad, undisclosed
    names: dict[str, str] = field(hash=False, compare=False)

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names[Language.EN]

    def button_name(self, language: str) -> str:
        """The name on a button, where phones cut long labels: the question already
        says "oblast", and Crimea has an official short form."""
        short = SHORT_NAMES.get(self.code, {}).get(language)
        if short:
            return short
        name = self.name(language)
        for suffix in (" область", " Oblast"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name


# Official abbreviations for names too long for a half-width button; and Kyiv Oblast,
# which would otherwise read "Kyiv" like the city beside it.
SHORT_NAMES: dict[str, dict[str, str]] = {
    "UA-43": {"en": "Crimea", "uk": "АР Крим", "ru": "АР Крым"},
    "UA-32": {"en": "Kyiv Oblast"},
}


@dataclass(frozen=True)
class Programme:
    code: str
    names: dict[str, str] = field(hash=False, compare=False)

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get(Language.EN) or self.code


DEFAULT_PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "cash",
        {"en": "Cash assistance", "uk": "Грошова допомога", "ru": "Денежная помощь"},
    ),
    Programme(
        "food",
        {"en": "Food assistance", "uk": "Продуктова допомога", "ru": "Продуктовая помощь"},
    ),
    Programme(
        "shelter",
        {
            "en": "Shelter and household items",
            "uk": "Житло та речі першої потреби",
            "ru": "Жильё и вещи первой необходимости",
        },
    ),
    Programme(
        "winterization",
        {"en": "Winter support", "uk": "Підтримка взимку", "ru": "Поддержка зимой"},
    ),
    Programme(
        "health",
        {"en": "Health care", "uk": "Медична допомога", "ru": "Медицинская помощь"},
    ),
    Programme(
        "protection",
        {
            "en": "Protection and legal aid",
            "uk": "Захист і правова допомога",
            "ru": "Защита и правовая помощь",
        },
    ),
)


@cache
def load_oblasts() -> tuple[Oblast, ...]:
    """The 27 regions of ``oblasts.csv`` in file order, then abroad and prefer-not-to-say."""
    with (DATA_DIR / "oblasts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    regions = [
        Oblast(row["iso_code"], row["kind"], {lang: row[lang] for lang in ("en", "uk", "ru")})
        for row in rows
    ]
    extras = [
        Oblast(ABROAD, "abroad", {"en": "Abroad", "uk": "За кордоном", "ru": "За границей"}),
        Oblast(
            UNDISCLOSED,
            "undisclosed",
            {"en": "Prefer not to say", "uk": "Не хочу вказувати", "ru": "Не хочу указывать"},
        ),
    ]
    return (*regions, *extras)


class Catalog:
    """Categories, oblasts and programmes as configured for this deployment."""

    def __init__(
        self,
        categories: tuple[Category, ...] = DEFAULT_CATEGORIES,
        programmes: tuple[Programme, ...] = DEFAULT_PROGRAMMES,
        oblasts: tuple[Oblast, ...] | None = None,
    ) -> None:
        self.categories = categories
        self.programmes = programmes
        self.oblasts = oblasts if oblasts is not None else load_oblasts()
        self._categories = {c.code: c for c in categories}
        self._programmes = {p.code: p for p in programmes}
        self._oblasts = {o.code: o for o in self.oblasts}

    def category(self, code: str) -> Category:
        try:
            return self._categories[code]
        except KeyError:
            raise UnknownCategory(code) from None

    def programme(self, code: str) -> Programme:
        try:
            return self._programmes[code]
        except KeyError:
            raise UnknownProgramme(code) from None

    def oblast(self, code: str) -> Oblast:
        try:
            return self._oblasts[code]
        except KeyError:
            raise UnknownOblast(code) from None

    @property
    def sensitive_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.categories if c.sensitive)

    @property
    def standard(self) -> tuple[Category, ...]:
        """Categories for the ordinary complaints menu, in catalogue order."""
        return tuple(c for c in self.categories if not c.sensitive)

    @property
    def sensitive(self) -> tuple[Category, ...]:
        """Categories that go to the sealed channel; each is its own main-menu entry."""
        return tuple(c for c in self.categories if c.sensitive)

    @property
    def regions(self) -> tuple[Oblast, ...]:
        """Oblasts, cities and the republic: the places listed by name."""
        return tuple(o for o in self.oblasts if o.kind in ("oblast", "city", "republic"))

    @property
    def other_places(self) -> tuple[Oblast, ...]:
        """Abroad and prefer-not-to-say, listed after the regions."""
        return tuple(o for o in self.oblasts if o.kind in ("abroad", "undisclosed"))


def with_sla_overrides(
    categories: tuple[Category, ...], overrides: dict[str, dict[str, float]]
) -> tuple[Category, ...]:
    """Apply ``{"category": {"acknowledge_hours": h, "resolve_hours": h}}`` overrides."""
    known = {c.code for c in categories}
    for code in overrides:
        if code not in known:
            raise UnknownCategory(code)
    result = []
    for category in categories:
        override = overrides.get(category.code, {})
        if "acknowledge_hours" in override:
            category = replace(category, acknowledge_within=override["acknowledge_hours"] * H)
        if "resolve_hours" in override:
            category = replace(category, resolve_within=override["resolve_hours"] * H)
        result.append(category)
    return tuple(result)
