"""Handlers declared once, routers built on demand.

An aiogram Router can belong to one parent only, while a process may build several
dispatchers (a restart, the tests). So each flow module records its handlers with the
usual decorator syntax, and :meth:`Routes.build` makes a fresh Router from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router

Handler = Callable[..., Any]


class Routes:
    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[tuple[str, tuple[Any, ...], Handler]] = []

    def _add(self, observer: str, filters: tuple[Any, ...]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._entries.append((observer, filters, handler))
            return handler

        return register

    def message(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._add("message", filters)

    def edited_message(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._add("edited_message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._add("callback_query", filters)

    def errors(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._add("errors", filters)

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, filters, handler in self._entries:
            getattr(router, observer).register(handler, *filters)
        return router
