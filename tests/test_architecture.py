"""Imports flow one way (docs/architecture.md) with no circle, handlers and routes hold no SQL, the
app's faces (JSON API, console, public pages) meet only in its web layer, and a route
that reads never takes a write transaction (storage/transactions.py)."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from admin_api.app import create_app
from admin_api.web import sessions
from storage.core import build_core
from tests.config import make_settings

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
# The one module that wires bot and admin_api (bot/cli.py parses the command and calls it).
COMPOSITION_ROOT = ROOT / "bot" / "compose.py"
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
    assert importers == {"bot/compose.py", "bot/sandbox.py"}


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


# No import circle ------------------------------------------------------------------------

# Holos itself. Not tgemu: a library of its own (its own README), whose webhook delivery
# and method table import each other inside functions (tgemu.webhooks -> dispatch ->
# methods -> webhooks); that is its owner's to untangle.
PRODUCT = ("storage", "handlers", "bot", "admin_api", "locales")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Product module -> the product modules it imports, anywhere in it (an import
    inside a function, made there to dodge a circle, is still one)."""
    modules = {module_name(p): p for package in PRODUCT for p in sources(package)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    # ``from package import module`` imports the module.
                    child = f"{node.module}.{alias.name}"
                    edges.add(child if child in modules else node.module)
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_product_code_has_no_import_circle() -> None:
    assert circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert "admin_api.web.sessions" in import_graph()["admin_api.console.web"]


# Two faces over one web layer --------------------------------------------------------------

# Every module of admin_api belongs to one part; a new module must be given one here.
PARTS = {
    # Below the faces: what they share (languages, pages, headers, database scopes,
    # downloads, client address, middleware base) and the app's metrics.
    "admin_api.web": "web",
    "admin_api.metrics": "web",
    # The JSON API.
    "admin_api.routes": "api",
    "admin_api.schemas": "api",
    "admin_api.deps": "api",
    "admin_api.errors": "api",
    "admin_api.limits": "api",
    "admin_api.preconditions": "api",
    "admin_api.docs": "api",
    # The staff console and the public pages.
    "admin_api.console": "console",
    "admin_api.public": "public",
    # The composition: the app, and serving it.
    "admin_api": "app",
    "admin_api.app": "app",
    "admin_api.server": "app",
}
MAY_IMPORT = {
    "web": {"web"},
    "api": {"web", "api"},
    "console": {"web", "console"},
    "public": {"web", "public"},
    "app": {"web", "api", "console", "public", "app"},
}


def part_of(module: str) -> str:
    for prefix in sorted(PARTS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return PARTS[prefix]
    raise AssertionError(f"{module}: give it a part in tests/test_architecture.py PARTS")


def test_the_faces_meet_only_in_the_web_layer() -> None:
    """The JSON API imports nothing of the console or the public pages, they import
    nothing of the API's own (routes, schemas, dependencies), and the web layer
    imports no face: only admin_api/app.py puts them together."""
    graph = import_graph()
    wrong = [
        f"{module} ({part_of(module)}) imports {target} ({part_of(target)})"
        for module in sorted(graph)
        if module.split(".")[0] == "admin_api"
        for target in sorted(graph[module])
        if target.split(".")[0] == "admin_api"
        and part_of(target) not in MAY_IMPORT[part_of(module)]
    ]
    assert wrong == []


def test_every_admin_api_module_has_a_part() -> None:
    for path in sources("admin_api"):
        part_of(module_name(path))


# Read routes take read scopes ----------------------------------------------------------------


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every route of the app: FastAPI keeps an included router whole (its routes under
    ``original_router``) where it used to copy them in."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def dependency_calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)


async def test_a_route_that_reads_never_takes_a_write_transaction(tmp_path: Path) -> None:
    """Every GET of the API, the console and the public pages depends on the read scope
    alone, and its handler opens no write transaction of its own."""
    core = build_core(
        make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}", api_docs=True)
    )
    try:
        app = create_app(core)
    finally:
        await core.close()
    routes = list(api_routes(app.routes))
    reads = [r for r in routes if (r.methods or set()) & {"GET", "HEAD"}]
    assert len(reads) > 20
    wrong = []
    for route in reads:
        calls = set(dependency_calls(route.dependant))
        if sessions.write_session in calls:
            wrong.append(f"{route.path}: depends on the write session")
        source = textwrap.dedent(inspect.getsource(route.endpoint))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in ("unit_of_work", "transaction", "write_session"):
                    wrong.append(f"{route.path}: calls {name}()")
    assert wrong == []
    # The check sees what it looks for: the console's case page reads, its forms write.
    case_page = next(r for r in reads if r.path == "/console/cases/{ref}")
    assert sessions.read_session in set(dependency_calls(case_page.dependant))
    writes = [r for r in routes if "POST" in (r.methods or set())]
    note = next(r for r in writes if r.path == "/console/cases/{ref}/notes")
    assert sessions.write_session in set(dependency_calls(note.dependant))


# Handlers commit only through the named step ---------------------------------------------

# The one way a handler commits (storage.uow.UnitOfWork.commit_before_reply, and
# handlers.flow.commit_before_reply over it): before it calls Telegram or waits.
COMMIT_STEP = "commit_before_reply"
# What else would end or commit a transaction, or empty the log, behind the step's back.
TRANSACTION_ENDS = ("commit", "rollback", "release", "truncate_log", "forget_history_now")


def commits_outside_the_step(source: str) -> list[str]:
    """Each name in ``source`` that commits, rolls back or ends a transaction other than
    the named step (an attribute or a plain name, called or passed on)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if not isinstance(name, str) or name == COMMIT_STEP:
            continue
        if any(end in name.lower() for end in TRANSACTION_ENDS):
            found.append(f"line {getattr(node, 'lineno', '?')}: {name}")
    return found


def test_handlers_commit_only_through_the_named_step() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} {found}"
        for path in sources("handlers")
        for found in commits_outside_the_step(path.read_text(encoding="utf-8"))
    ]
    assert wrong == []
    # The check sees what it looks for, and lets the step through.
    assert commits_outside_the_step("async def f(uow):\n    await uow.commit()\n") == [
        "line 2: commit"
    ]
    assert commits_outside_the_step("s.rollback\nawait uow.forget_history_now()") != []
    assert commits_outside_the_step("await uow.commit_before_reply()") == []
    uses = sum(
        path.read_text(encoding="utf-8").count(f"{COMMIT_STEP}(") for path in sources("handlers")
    )
    assert uses >= 5


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


# The specification the project started from is not in the repository, so a comment that
# points at one of its sections tells a reader nothing: comments say what the rule is, or
# point at the page in docs/ that does. Spelt in two parts so this file does not match.
OUTSIDE_SPEC = re.compile("SPEC" + r"\s*§")
TEXT_SUFFIXES = {".py", ".html", ".js", ".css", ".md", ".txt", ".toml"}


def references_to_the_outside_spec(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if OUTSIDE_SPEC.search(line)]


def test_no_comment_points_at_a_specification_outside_the_repository() -> None:
    places = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for package in sorted(OURS):
        places += [p for p in (ROOT / package).rglob("*") if p.suffix in TEXT_SUFFIXES]
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in places
        for line in references_to_the_outside_spec(path.read_text(encoding="utf-8"))
    ]
    assert len(places) > 300
    assert found == []


def test_the_spec_reference_finder_finds_one() -> None:
    text = "ok\n" + '"""Who may see what (SP' + 'EC §5)."""\n' + "# see SP" + "EC§4.2\n"
    assert references_to_the_outside_spec(text) == [2, 3]
    assert references_to_the_outside_spec("RFC 9110 §13.1.1; issue 18 §3") == []
