"""No repository inherits another's queries (issue 19): each is a direct child of the
query-free base, and what several share lives in plain modules of functions
(storage/repositories/filters.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import storage.repositories
from storage.repositories.base import Repository


def repositories() -> list[type[Repository]]:
    found: list[type[Repository]] = []
    for module_info in pkgutil.iter_modules(storage.repositories.__path__):
        module = importlib.import_module(f"storage.repositories.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            ours = cls.__module__ == module.__name__
            if ours and issubclass(cls, Repository) and cls is not Repository:
                found.append(cls)
    return found


def test_every_repository_stands_on_the_base_alone() -> None:
    found = repositories()
    assert len(found) >= 10  # the walk found them
    wrong = [cls.__qualname__ for cls in found if cls.__bases__ != (Repository,)]
    assert wrong == []


def test_the_base_holds_no_queries() -> None:
    """Only the session, the dialect's name and a helper that runs a given statement."""
    own = {name for name in vars(Repository) if not name.startswith("__")}
    assert own == {"dialect", "execute_counted"}
