"""One cache of compiled SQL for every engine a test process builds.

SQLAlchemy compiles a statement once per engine and keeps the result in that engine's
cache, keyed by the dialect object. The product builds one engine per process, so it
compiles each statement once. The tests build one per test (a fresh database each), so
every test compiled its statements again: on the storage suite's PostgreSQL tests, half
the CPU time their event loops used was compiling SQL (py-spy, 7 Dec).

Here each engine the tests build shares one cache per kind of dialect, keyed by what the
compiled SQL depends on (the dialect's class, the server's version, its parameter style
and label length) instead of by the dialect object. A statement compiled for one SQLite
engine is the statement any other SQLite engine would compile: the same dialect class,
the same options (every engine comes from storage.db.create_engine). Tests that build
engines themselves with other options get their own cache, as SQLAlchemy would give.

It relies on two SQLAlchemy internals, pinned in tests/test_pinned_internals.py: the
cache key's first element is the dialect, and an engine's cache is ``_compiled_cache``
(copied into the engines ``execution_options`` derives, so it is set before those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import LRUCache

# SQLAlchemy's default is 500 entries per engine; every test's statements together are
# more, and an entry is a few kilobytes.
SIZE = 5000


def dialect_key(dialect: Dialect) -> tuple[Any, ...]:
    """What compiled SQL depends on, of the dialect (the connection is open by then, so
    the server's version is known)."""
    return (
        type(dialect),
        dialect.server_version_info,
        dialect.paramstyle,
        dialect.label_length,
        dialect.max_identifier_length,
    )


class SharedCompiledCache(MutableMapping[Any, Any]):
    """The mapping SQLAlchemy uses as a compiled cache, keyed by :func:`dialect_key` in
    place of the dialect object (the key's first element)."""

    def __init__(self, size: int = SIZE) -> None:
        self._entries: LRUCache[Any, Any] = LRUCache(size)

    @staticmethod
    def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return (dialect_key(key[0]), *key[1:])

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return self._entries[self._key(key)]

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._entries[self._key(key)] = value

    def __delitem__(self, key: tuple[Any, ...]) -> None:
        del self._entries[self._key(key)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


_CACHES: dict[type[Dialect], SharedCompiledCache] = {}


def sharing(create: Callable[..., AsyncEngine]) -> Callable[..., AsyncEngine]:
    """``create_async_engine``, giving each engine it makes the shared cache of its
    dialect's class (unless the caller turned the cache off or sized it)."""

    def create_sharing(url: Any, **kwargs: Any) -> AsyncEngine:
        engine = create(url, **kwargs)
        if "query_cache_size" not in kwargs:
            cache = _CACHES.setdefault(type(engine.dialect), SharedCompiledCache())
            engine.sync_engine._compiled_cache = cache
        return engine

    return create_sharing
