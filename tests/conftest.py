"""Fixtures shared by every suite: a real database on each engine, and the domain core.

Helpers tests import live in plain modules (tests/config.py, tests/services.py); the
conversation harness (tests/harness.py) is loaded as a plugin, never imported from here.
"""

from __future__ import annotations

import asyncio
import gc
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvloop
from sqlalchemy.ext.asyncio import create_async_engine

from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.migrate import migrate_url
from storage.settings import Settings
from tests.compiled_cache import sharing
from tests.config import CHEAP_PASSWORD_HASHER, make_settings
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    empty_postgres_database,
    run_in_thread,
    sqlalchemy_url,
    unavailable,
)
from tests.slow_tests import measured_slow

pytest_plugins = ["tests.harness"]

ENGINES = ["sqlite", "postgresql"]
# `make test` finds the files of these groups by this text (Makefile).
GROUP_MARKS = {"serial": "pytest.mark.serial", "alone": "pytest.mark.alone"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `make check` selects by: a test that drives Chromium, or one measured at a
    second or more (tests/slow_tests.txt), is `slow`; a test on the session's PostgreSQL
    database (the PostgreSQL variant of a `database_url` test, or one that asks for the
    database itself) is `postgresql`.

    Then the files holding a slow test come first (each file's tests stay together, in
    their order, so a module's fixtures are set up once): the long tests start while
    both workers are busy anyway, and the run ends on short ones instead of one worker
    finishing a 20-second test while the other waits."""
    slow = measured_slow()
    slow_files: set[Path] = set()
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "browser_host" in fixtures or item.nodeid in slow:
            item.add_marker(pytest.mark.slow)
            slow_files.add(item.path)
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("database_url") if callspec is not None else None
        if engine == "postgresql" or "postgres_database" in fixtures:
            item.add_marker(pytest.mark.postgresql)
        for group, mark in GROUP_MARKS.items():
            if item.get_closest_marker(group) and mark not in item.path.read_text():
                raise pytest.UsageError(f"{item.nodeid} is {group}: write {mark} in its file")
    items.sort(key=lambda item: item.path not in slow_files)  # stable: False first


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's garbage collector, tuned for a test process. After collection the heap
    holds about 540,000 objects that live as long as the process (aiogram's pydantic
    models, SQLAlchemy, FastAPI, the collected tests): frozen, a full collection no
    longer walks them; and the thresholds let more allocations pass between collections.
    A worker's time in the collector over the parallel part (gc.callbacks): 17.7 s and
    19.6 s (26 and 24 full collections of about 0.6 s) -> 5.7 s and 5.8 s. The product's
    processes keep Python's defaults."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 20, 100)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Tests run on uvloop, the loop the product's processes run on (``holos run``,
    ``api``, ``bot`` and ``sandbox`` start theirs with ``uvloop.run``, bot/cli.py)."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "holos.db"
    run_in_thread(migrate_url(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated throwaway PostgreSQL database for this test session."""
    name, error = run_in_thread(create_postgres_database())
    if name is None:
        unavailable("PostgreSQL", error)
    url = sqlalchemy_url(name)
    run_in_thread(migrate_url(url))
    yield url
    run_in_thread(drop_postgres_database(name))


# The old private name, for tests written before tests/services.py had it.
_truncate_postgres = empty_postgres_database


@pytest.fixture(params=ENGINES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "holos.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    await empty_postgres_database(url)
    return url


@pytest.fixture(autouse=True, scope="session")
def shared_compiled_sql() -> Iterator[None]:
    """Every engine a test builds shares its dialect's cache of compiled SQL, as the
    product's one engine per process does (tests/compiled_cache.py says why and how)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("storage.db.create_async_engine", sharing(create_async_engine))
        yield


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff passwords hashed at the smallest cost (see tests/config.py for why)."""
    import storage.services.staff as staff

    monkeypatch.setattr(staff, "_hasher", CHEAP_PASSWORD_HASHER)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def core(settings: Settings, clock: FrozenClock) -> AsyncIterator[Core]:
    core = build_core(settings, clock=clock)
    yield core
    await core.close()
