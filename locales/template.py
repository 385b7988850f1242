"""Give the extracted template (``messages.pot``) the same bytes for the same msgids.

``pybabel extract`` stamps the template with the time of the run (``POT-Creation-Date``).
Committed, that one line would differ on every branch that ran ``make messages`` and
conflict at every merge, while no tool needs it: the catalogs keep a date of their own
(``pybabel update --ignore-pot-creation-date``). So it is dropped; the rest of the header
stays.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from locales.build import LOCALES_DIR

CREATION_DATE = re.compile(r'^"POT-Creation-Date: [^"]*"\n', re.MULTILINE)


def drop_creation_date(path: Path) -> bool:
    """Remove the creation date from the template at ``path``; True if it had one."""
    text = path.read_text(encoding="utf-8")
    stable = CREATION_DATE.sub("", text, count=1)
    if stable == text:
        return False
    path.write_text(stable, encoding="utf-8")
    return True


def main() -> int:
    drop_creation_date(Path(sys.argv[1]) if len(sys.argv) > 1 else LOCALES_DIR / "messages.pot")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
