"""Compile the gettext catalogs: every ``locales/*/LC_MESSAGES/*.po`` into its ``.mo``.

The ``.po`` files are the source and are committed; the ``.mo`` files are build
output (``make locales``), rebuilt only when their source is newer.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent


def compile_catalogs(root: Path = LOCALES_DIR, *, force: bool = False) -> list[Path]:
    """Compile stale catalogs under ``root``; return the ``.mo`` files written."""
    written: list[Path] = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parent.parent.name)
        # Fuzzy entries are never shipped: an unreviewed translation is worse than English.
        with mo_path.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def main() -> int:
    written = compile_catalogs(force="--force" in sys.argv)
    print(f"locales: {len(written)} catalog(s) compiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
