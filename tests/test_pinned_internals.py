"""What the code relies on inside SQLAlchemy, aiosqlite and aiogram, beyond their public API.

pyproject.toml bounds each of these libraries below its next minor release; before
raising a bound, run this file against the new version. Each check names the internal
and the code that relies on it, so a failure says what to look at. The checks drive the
internals where they can (a statement through the one-hop cursor, a filter through
aiogram's handler), and read signatures and attributes where they cannot.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import CallableObject, FilterObject, HandlerObject
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, KeyBuilder, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import Chat, Message, User
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection, AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

import storage.db as db_module
from bot.factory import HolosDispatcher, run_filters_inline
from bot.redelivery import Redelivery
from storage.core import Core
from storage.db import create_engine
from tests.compiled_cache import SharedCompiledCache

ONE_HOP = "storage/db.py's one-hop aiosqlite cursor (_OneHopCursor, _OneHopConnection)"
SHARED_CACHE = "tests/compiled_cache.py (every test's engines share compiled SQL)"
INLINE_FILTERS = "bot/factory.py run_filters_inline"


def relied_on(condition: object, internal: str, user: str) -> None:
    """Fail naming ``internal`` and who relies on it."""
    if not condition:
        pytest.fail(f"{internal} changed; {user} relies on it. Adapt that code, then the pin.")


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def slots(cls: type) -> set[str]:
    found: set[str] = set()
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        found.update((declared,) if isinstance(declared, str) else declared)
    return found


# SQLAlchemy and aiosqlite: storage/db.py -------------------------------------------------


def test_sqlalchemy_aiosqlite_cursor_is_built_as_the_one_hop_cursor_expects() -> None:
    cursor = AsyncAdapt_aiosqlite_cursor
    relied_on(
        issubclass(cursor, AsyncAdapt_dbapi_cursor),
        "sqlalchemy.dialects.sqlite.aiosqlite.AsyncAdapt_aiosqlite_cursor's base "
        "(sqlalchemy.connectors.asyncio.AsyncAdapt_dbapi_cursor)",
        ONE_HOP,
    )
    # execute()/executemany() hand the statement to these two coroutines, which the
    # one-hop cursor replaces with one call on aiosqlite's thread.
    relied_on(
        parameters(cursor._execute_async) == ["self", "operation", "parameters"],
        "AsyncAdapt_dbapi_cursor._execute_async(operation, parameters)",
        ONE_HOP,
    )
    relied_on(
        parameters(cursor._executemany_async) == ["self", "operation", "seq_of_parameters"],
        "AsyncAdapt_dbapi_cursor._executemany_async(operation, seq_of_parameters)",
        ONE_HOP,
    )
    for name in ("execute", "executemany"):
        relied_on(
            f"_{name}_async" in inspect.getsource(getattr(cursor, name)),
            f"AsyncAdapt_dbapi_cursor.{name} calling _{name}_async",
            ONE_HOP,
        )
    # The state the one-hop cursor sets in __init__ instead of calling the base's.
    for name in ("_adapt_connection", "_connection", "_cursor", "_rows", "_soft_closed_memoized"):
        relied_on(name in slots(cursor), f"AsyncAdapt_dbapi_cursor.{name} (a slot)", ONE_HOP)
    for name in ("description", "rowcount", "lastrowid", "arraysize"):
        relied_on(
            isinstance(inspect.getattr_static(cursor, name), property),
            f"AsyncAdapt_dbapi_cursor.{name} (a property)",
            ONE_HOP,
        )
    for name in ("_async_soft_close", "close", "nextset", "fetchone", "fetchmany", "fetchall"):
        relied_on(hasattr(cursor, name), f"AsyncAdapt_dbapi_cursor.{name}", ONE_HOP)


def test_sqlalchemy_aiosqlite_connection_and_dbapi_are_built_as_expected() -> None:
    connection = AsyncAdapt_aiosqlite_connection
    relied_on(
        issubclass(connection, AsyncAdapt_dbapi_connection)
        and connection._cursor_cls is AsyncAdapt_aiosqlite_cursor,
        "AsyncAdapt_aiosqlite_connection._cursor_cls (the class cursor() makes)",
        ONE_HOP,
    )
    relied_on(
        parameters(connection.__init__) == ["self", "dbapi", "connection"],
        "AsyncAdapt_aiosqlite_connection(dbapi, connection)",
        ONE_HOP,
    )
    relied_on(
        "_execute_mutex" in slots(connection),
        "AsyncAdapt_dbapi_connection._execute_mutex",
        ONE_HOP,
    )
    relied_on(
        "self._cursor_cls(self)" in inspect.getsource(AsyncAdapt_dbapi_connection.cursor),
        "AsyncAdapt_dbapi_connection.cursor() building _cursor_cls(self)",
        ONE_HOP,
    )
    relied_on(
        parameters(AsyncAdapt_aiosqlite_dbapi.__init__) == ["self", "aiosqlite", "sqlite"],
        "AsyncAdapt_aiosqlite_dbapi(aiosqlite, sqlite)",
        ONE_HOP,
    )


def test_aiosqlite_runs_a_function_on_its_thread_as_expected() -> None:
    relied_on(
        inspect.iscoroutinefunction(aiosqlite.Connection._execute)
        and parameters(aiosqlite.Connection._execute)[:2] == ["self", "fn"],
        "aiosqlite.Connection._execute(fn, ...)",
        ONE_HOP,
    )
    relied_on(
        isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property),
        "aiosqlite.Connection._conn (the sqlite3 connection on its thread)",
        ONE_HOP,
    )


async def test_every_statement_crosses_to_aiosqlites_thread_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through SQLAlchemy's engine, every statement goes through the one-hop cursor's
    single call on aiosqlite's thread, and SQLAlchemy reads what it answers."""
    calls: list[bool] = []
    run_statement = db_module._run_statement

    def counted(connection: Any, operation: Any, parameters: Any, many: bool) -> Any:
        calls.append(many)
        return run_statement(connection, operation, parameters, many)

    monkeypatch.setattr(db_module, "_run_statement", counted)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pins.db'}")
    table = Table(
        "pins", MetaData(), Column("id", Integer, primary_key=True), Column("name", String)
    )
    try:
        async with engine.begin() as conn:
            adapted = (await conn.get_raw_connection()).dbapi_connection
            assert adapted is not None
            relied_on(
                type(adapted).__name__ == "_OneHopConnection"
                and type(adapted.cursor()).__name__ == "_OneHopCursor",
                "the aiosqlite dialect's use of the dbapi module passed as module=",
                ONE_HOP,
            )
            calls.clear()
            await conn.run_sync(table.metadata.create_all)
            inserted = await conn.execute(table.insert().values(name="one"))
            relied_on(inserted.inserted_primary_key == (1,), "lastrowid", ONE_HOP)
            await conn.execute(table.insert(), [{"name": "two"}, {"name": "three"}])
            changed = await conn.execute(update(table).where(table.c.id > 1).values(name="x"))
            relied_on(changed.rowcount == 2, "rowcount", ONE_HOP)
            rows = (await conn.execute(select(table.c.name).order_by(table.c.id))).all()
            relied_on([r[0] for r in rows] == ["one", "x", "x"], "the rows fetched", ONE_HOP)
    finally:
        await engine.dispose()
    relied_on(
        calls and True in calls and False in calls,
        "AsyncAdapt_dbapi_cursor.execute/executemany reaching _execute_async/"
        "_executemany_async (no statement went through the one-hop cursor)",
        ONE_HOP,
    )


# aiogram: bot/ ------------------------------------------------------------------------------


def test_aiogram_observers_keep_their_filters_where_the_inline_patch_reaches() -> None:
    router = Router()
    observer = router.message
    relied_on(
        isinstance(getattr(observer, "_handler", None), HandlerObject),
        "aiogram TelegramEventObserver._handler (the observer's own filters)",
        INLINE_FILTERS,
    )
    relied_on(
        observer.handlers == [] and router.observers.get("message") is observer,
        "aiogram TelegramEventObserver.handlers and Router.observers",
        INLINE_FILTERS,
    )
    relied_on(router in list(router.chain_tail), "aiogram Router.chain_tail", INLINE_FILTERS)
    fields = CallableObject.__dataclass_fields__
    relied_on(
        {"callback", "awaitable"} <= set(fields) and issubclass(FilterObject, CallableObject),
        "aiogram CallableObject.callback and .awaitable (FilterObject's base)",
        INLINE_FILTERS,
    )


async def test_aiogram_runs_plain_filters_in_a_thread_and_the_patch_keeps_them_inline() -> None:
    """The patch exists because aiogram sends every non-async filter through
    ``asyncio.to_thread``; it must keep them on the event loop's thread."""
    threads: list[int] = []

    def plain_filter(message: Message) -> bool:
        threads.append(threading.get_ident())
        return True

    def handler_of(router: Router) -> HandlerObject:
        @router.message(plain_filter)
        async def handle(message: Message) -> None:
            return None

        return router.message.handlers[-1]

    message = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"}
    )
    loop_thread = threading.get_ident()
    await handler_of(Router()).check(message)
    relied_on(
        threads == [threads[0]] and threads[0] != loop_thread,
        "aiogram CallableObject.call (a plain filter no longer runs in a thread: "
        "run_filters_inline may be unnecessary)",
        INLINE_FILTERS,
    )
    threads.clear()
    router = Router()
    inline = handler_of(router)
    run_filters_inline(router)
    await inline.check(message)
    relied_on(
        threads == [loop_thread],
        "aiogram CallableObject.call honouring .awaitable and .callback",
        INLINE_FILTERS,
    )


def test_aiogram_dispatcher_and_request_middleware_signatures() -> None:
    relied_on(
        parameters(Dispatcher.feed_update) == ["self", "bot", "update", "kwargs"],
        "aiogram Dispatcher.feed_update(bot, update, **kwargs)",
        "bot/factory.py HolosDispatcher.feed_update",
    )
    relied_on(
        parameters(BaseRequestMiddleware.__call__) == ["self", "make_request", "bot", "method"],
        "aiogram BaseRequestMiddleware.__call__(make_request, bot, method)",
        "bot/requests.py ResilientRequests and bot/factory.py KeepResponseTypes",
    )


async def test_aiogram_answers_an_unhandled_event_with_its_sentinel() -> None:
    message = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"}
    )
    relied_on(
        await Router().message.trigger(message) is UNHANDLED,
        "aiogram.dispatcher.event.bases.UNHANDLED (what an observer returns unhandled)",
        "bot/middlewares.py UpdateScopeMiddleware",
    )


def test_aiogram_methods_name_their_api_method_and_result_type() -> None:
    relied_on(
        SendMessage.__api_method__ == "sendMessage" and SendMessage.__returning__ is Message,
        "aiogram TelegramMethod.__api_method__ and __returning__",
        "bot/requests.py (pacing and metrics by method) and bot/factory.py KeepResponseTypes",
    )
    answer = Response[Message].model_validate(
        {
            "ok": True,
            "result": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
        }
    )
    relied_on(
        isinstance(answer.result, Message),
        "aiogram.methods.base.Response[T] (a pydantic generic)",
        "bot/factory.py KeepResponseTypes",
    )


def test_aiogram_storage_contracts_are_the_ones_bot_fsm_implements() -> None:
    relied_on(
        BaseStorage.__abstractmethods__
        == {"set_state", "get_state", "set_data", "get_data", "close"},
        "aiogram BaseStorage's abstract methods",
        "bot/fsm.py DatabaseStorage and RedisStorage",
    )
    relied_on(
        parameters(KeyBuilder.build) == ["self", "key", "part"],
        "aiogram KeyBuilder.build(key, part)",
        "bot/fsm.py PseudonymKeyBuilder",
    )


async def test_aiogram_reads_the_state_under_the_chats_lock_just_before_the_handler() -> None:
    """bot/fsm.py UpdateStateMiddleware stands in for aiogram's FSM middleware: it does
    what aiogram's does (the lock, one state read, the handler; the same keys in the
    update's data) and carries the redelivery check on the read. This pins what it
    copies."""
    steps: list[str] = []
    task = asyncio.current_task()

    class Recording(BaseStorage):
        async def set_state(self, key: StorageKey, state: Any = None) -> None:
            steps.append("set_state")

        async def get_state(self, key: StorageKey) -> str | None:
            steps.append("get_state" if asyncio.current_task() is task else "other task")
            return None

        async def set_data(self, key: StorageKey, data: Any) -> None:
            steps.append("set_data")

        async def get_data(self, key: StorageKey) -> dict[str, Any]:
            steps.append("get_data")
            return {}

        async def close(self) -> None:
            return None

    class Isolation(BaseEventIsolation):
        @asynccontextmanager
        async def lock(self, key: StorageKey) -> AsyncIterator[None]:
            steps.append("lock")
            yield
            steps.append("unlock")

        async def close(self) -> None:
            return None

    async def handler(event: Any, data: dict[str, Any]) -> None:
        steps.append("handler")

    bot = Bot("42:PINNED-INTERNALS")
    try:
        context = EventContext(
            chat=Chat(id=7, type="private"), user=User(id=7, is_bot=False, first_name="p")
        )
        middleware = FSMContextMiddleware(Recording(), Isolation())
        call: Callable[..., Awaitable[Any]] = middleware.__call__
        data: dict[str, Any] = {"bot": bot, EVENT_CONTEXT_KEY: context}
        await call(handler, object(), data)
    finally:
        await bot.session.close()
    relied_on(
        steps == ["lock", "get_state", "handler", "unlock"],
        f"aiogram FSMContextMiddleware's order (lock, get_state, handler), now {steps}",
        "bot/fsm.py UpdateStateMiddleware (the first read and the redelivery check)",
    )
    relied_on(
        set(data) - {"bot", EVENT_CONTEXT_KEY} == {"fsm_storage", "state", "raw_state"},
        f"the data aiogram's FSM middleware adds, now {sorted(data)}",
        "bot/fsm.py UpdateStateMiddleware",
    )
    relied_on(
        parameters(FSMContextMiddleware.resolve_event_context)
        == ["self", "bot", "data", "destiny"],
        "aiogram FSMContextMiddleware.resolve_event_context(bot, data)",
        "bot/fsm.py UpdateStateMiddleware",
    )


def test_the_dispatcher_runs_our_fsm_middleware_in_the_place_of_aiogram_s() -> None:
    storage, isolation = MemoryStorage(), SimpleEventIsolation()
    dp = HolosDispatcher(
        storage=storage,
        events_isolation=isolation,
        redelivery=Redelivery(cast(Core, None), enabled=False),
    )
    order = [type(m).__name__ for m in dp.update.outer_middleware]
    relied_on(
        order == ["ErrorsMiddleware", "UserContextMiddleware", "UpdateStateMiddleware"],
        f"aiogram Dispatcher(disable_fsm=True) registering errors and user context only, now {order}",
        "bot/factory.py HolosDispatcher",
    )
    relied_on(
        dp.storage is storage and dp.fsm.events_isolation is isolation,
        "aiogram Dispatcher keeping (and closing at shutdown) its FSM middleware when disabled",
        "bot/factory.py HolosDispatcher",
    )


async def test_engines_built_by_the_tests_share_their_compiled_sql(tmp_path: Path) -> None:
    """Two engines (two databases) compile a statement once between them; the second
    reads the first one's compiled form, with the dialect as its cache key's first part."""
    engines = [create_engine(f"sqlite+aiosqlite:///{tmp_path / name}.db") for name in "ab"]
    cache = engines[0].sync_engine._compiled_cache
    relied_on(
        isinstance(cache, SharedCompiledCache) and engines[1].sync_engine._compiled_cache is cache,
        "Engine._compiled_cache, the engine's compiled cache",
        SHARED_CACHE,
    )
    assert isinstance(cache, SharedCompiledCache)
    relied_on(
        engines[0].execution_options(holos_probe=True).sync_engine._compiled_cache is cache,
        "Engine.execution_options copying the engine's compiled cache",
        SHARED_CACHE,
    )
    table = Table("pinned_shared_cache", MetaData(), Column("id", Integer, primary_key=True))
    statement = select(table.c.id).where(table.c.id > 0)
    seen: list[tuple[int, list[Any]]] = []
    try:
        for engine in engines:
            async with engine.begin() as connection:
                await connection.run_sync(table.metadata.create_all)
                await connection.execute(table.insert().values(id=len(seen) + 1))
                before = len(cache)
                rows = (await connection.execute(statement)).scalars().all()
                seen.append((len(cache) - before, list(rows)))
    finally:
        for engine in engines:
            await engine.dispose()
    relied_on(
        seen == [(1, [1]), (0, [2])],
        f"the compiled cache's key (dialect, statement key, ...): {seen}",
        SHARED_CACHE,
    )
