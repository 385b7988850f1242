"""The ``holos`` command: the composition root (SPEC §8).

This is the one module that imports both ``bot`` and ``admin_api``, so that one
process can serve the API, the webhook route and the sandbox page beside the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bot.logs import configure_logging
from storage.access import Actor
from storage.core import Core, build_core
from storage.enums import Role
from storage.errors import DomainError
from storage.migrate import migrate_url
from storage.services.retention import RetentionService
from storage.services.staff import StaffService
from storage.settings import Settings, SettingsError, load_settings

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_CONFIG
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"holos: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    try:
        return int(args.handler(settings, args) or 0)
    except SettingsError as exc:
        print(f"holos: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DomainError as exc:
        print(f"holos: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="holos", description="Holos: anonymous complaints and feedback service."
    )
    sub = parser.add_subparsers(metavar="command")

    cmd = sub.add_parser("migrate", help="create or upgrade the database schema")
    cmd.set_defaults(handler=_migrate)

    user = sub.add_parser("user", help="manage staff accounts").add_subparsers(metavar="action")
    create = user.add_parser("create", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--display-name", default="")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(handler=_user_create)

    purge = sub.add_parser("purge", help="delete what the retention rules say is due")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(handler=_purge)

    for name, help_text in _RUNNERS.items():
        runner = sub.add_parser(name, help=help_text[0])
        runner.set_defaults(handler=help_text[1])
    return parser


def _with_core(settings: Settings, work: Callable[[Core], Coroutine[Any, Any, int]]) -> int:
    async def runner() -> int:
        core = build_core(settings)
        try:
            return await work(core)
        finally:
            await core.close()

    return asyncio.run(runner())


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(migrate_url(settings.database_url))
    print("holos: database schema is up to date")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise SettingsError("the two passwords differ")
    return first


def _user_create(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)

    async def work(core: Core) -> int:
        async with core.database.transaction() as session:
            user = await StaffService(session, core).create_user(
                Actor.system(),
                username=args.username,
                password=password,
                role=args.role,
                display_name=args.display_name,
            )
        print(f"holos: created {user.role} account {user.username!r} (id {user.id})")
        return 0

    return _with_core(settings, work)


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        async with core.database.transaction() as session:
            report = await RetentionService(session, core).purge(dry_run=args.dry_run)
        for line in report.lines():
            print(f"holos: {line}")
        return 0

    return _with_core(settings, work)


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    print("holos: nothing to run yet", file=sys.stderr)
    return 0


_RUNNERS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace], int]]] = {
    "run": ("run the product: API and bot (the sandbox when no bot token is set)", _run),
}


if __name__ == "__main__":
    raise SystemExit(main())
