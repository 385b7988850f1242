"""Imports flow one way (SPEC §8), and handlers and routes hold no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"storage", "handlers", "bot", "admin_api", "locales", "tgemu", "tests", "bench"}
ALLOWED = {
    "storage": set(),
    "locales": set(),
    "tgemu": set(),  # a library that happens to live here: it knows nothing of Holos
    "handlers": {"storage", "locales"},
    "admin_api": {"storage"},
    "bot": {"handlers", "storage", "locales"},
}
COMPOSITION_ROOT = ROOT / "bot" / "cli.py"
# Who may start the Telegram emulator: the composition root, the offline sandbox, tests, bench.
EMULATOR_USERS = {COMPOSITION_ROOT, ROOT / "bot" / "sandbox.py"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package: str) -> None:
    wrong = []
    for path in sources(package):
        allowed = ALLOWED[package] | {package}
        if path == COMPOSITION_ROOT:
            allowed = allowed | {"admin_api"}  # the one place that wires bot and API
        if path in EMULATOR_USERS:
            allowed = allowed | {"tgemu"}
        for module in imports_of(path):
            top = module.split(".")[0]
            if top in OURS and top not in allowed:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_only_the_runtime_entry_points_tests_and_bench_import_the_emulator() -> None:
    importers = {
        path.relative_to(ROOT).as_posix()
        for package in sorted(ALLOWED.keys() - {"tgemu"})
        for path in sources(package)
        if any(module.split(".")[0] == "tgemu" for module in imports_of(path))
    }
    assert importers == {"bot/cli.py", "bot/sandbox.py"}


@pytest.mark.parametrize("package", ["handlers", "admin_api"])
def test_no_sql_outside_storage(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module in imports_of(path)
        if module.split(".")[0] in {"sqlalchemy", "aiosqlite", "asyncpg"}
    ]
    assert wrong == []


def test_services_hold_no_http_or_telegram_types() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources("storage")
        for module in imports_of(path)
        if module.split(".")[0] in {"fastapi", "starlette", "aiogram", "httpx", "aiohttp"}
    ]
    assert wrong == []


def test_the_scan_sees_imports() -> None:
    assert "storage.core" in imports_of(ROOT / "bot" / "cli.py")
    assert "admin_api.app" in imports_of(COMPOSITION_ROOT) or any(
        m.startswith("admin_api") for m in imports_of(COMPOSITION_ROOT)
    )


def test_tests_import_helpers_from_plain_modules_not_conftests() -> None:
    """A conftest holds fixtures, which pytest loads itself; what tests import lives in
    tests/config.py, tests/services.py, tests/harness.py and tests/<package>/helpers.py."""
    wrong = []
    for path in sources("tests"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name.rsplit(".", 1)[-1] == "conftest" for name in names):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []
