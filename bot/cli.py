"""The ``holos`` command: its arguments, the settings it needs, and the short
administrative commands (accounts, the secret, migrations, purges, files).

The commands that run the product (``run``, ``api``, ``bot``, ``sandbox``, ``emulator``)
check their settings here and hand over to the composition root, bot.compose, the one
module that wires ``bot`` and ``admin_api`` together.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import io
import ipaddress
import os
import secrets
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import qrcode
import uvloop

from bot import compose
from bot.logs import configure_logging
from bot.reports_cli import add_commands as add_report_commands
from storage.access import Actor
from storage.core import Core, build_core
from storage.enums import Role
from storage.errors import DomainError
from storage.migrate import migrate_url
from storage.services.retention import run_purge
from storage.services.staff import StaffService, two_factor_required
from storage.services.two_factor import Enrolled, TwoFactor
from storage.settings import Settings, SettingsError, has_configured_secret, load_settings

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
    create.add_argument(
        "--2fa",
        dest="two_factor",
        action="store_true",
        help="set up two-factor sign-in (always done for focal_point and admin)",
    )
    create.set_defaults(handler=_user_create)
    reset = user.add_parser(
        "reset-2fa", help="reset an account's two-factor sign-in (a lost phone) and set it up anew"
    )
    reset.add_argument("username")
    reset.add_argument(
        "--later",
        action="store_true",
        help="only reset: the person sets it up at their next console sign-in",
    )
    reset.set_defaults(handler=_user_reset_2fa)
    set_password = user.add_parser(
        "set-password",
        help="set an account's password (the only way for focal points and admins); "
        "its sessions and API tokens end",
    )
    set_password.add_argument("username")
    set_password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    set_password.set_defaults(handler=_user_set_password)
    set_role = user.add_parser(
        "set-role", help="change an account's role (the only way to appoint a focal point)"
    )
    set_role.add_argument("username")
    set_role.add_argument("role", choices=[r.value for r in Role])
    set_role.set_defaults(handler=_user_set_role)

    secret = sub.add_parser("secret", help="manage the server secret key").add_subparsers(
        metavar="action"
    )
    generate = secret.add_parser("generate", help="make a new secret key")
    generate.add_argument("--file", type=Path, help="write it to this new file (mode 0600)")
    generate.set_defaults(handler=_secret_generate)
    purge = sub.add_parser("purge", help="delete what the retention rules say is due")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(handler=_purge)

    files = sub.add_parser("files", help="stored attachments").add_subparsers(metavar="action")
    rebuild = files.add_parser(
        "rebuild",
        help="make documents stored before this version anew, as new ones are (they are "
        "served as .bin until then)",
    )
    rebuild.set_defaults(handler=_files_rebuild)

    search = sub.add_parser("search", help="the search indexes").add_subparsers(metavar="action")
    reindex = search.add_parser(
        "reindex",
        help="index stored cases anew: the lemmas of cases stored before search knew them, "
        "the blind index of sensitive ones (safe to run again, and while the bot runs)",
    )
    reindex.add_argument(
        "--fresh",
        action="store_true",
        help="drop the blind index first (after the server secret is rotated)",
    )
    reindex.set_defaults(handler=_search_reindex)

    stats = sub.add_parser("stats", help="the M&E figures' daily counts").add_subparsers(
        metavar="action"
    )
    stats_rebuild = stats.add_parser(
        "rebuild",
        help="count every case and rating anew into the daily counts the dashboard reads "
        "(after an upgrade or a bulk import; case writes wait meanwhile)",
    )
    stats_rebuild.set_defaults(handler=_stats_rebuild)

    add_report_commands(sub)  # holos report monthly, holos export (M&E)

    for name, (help_text, handler) in _RUNNERS.items():
        runner = sub.add_parser(name, help=help_text)
        runner.set_defaults(handler=handler)
        if name == "sandbox":
            runner.add_argument(
                "--port",
                type=int,
                default=None,
                help="port to serve on (default HOLOS_API_PORT); 0 picks a free one",
            )

    emulator = sub.add_parser("emulator", help="serve the Telegram Bot API emulator alone")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.set_defaults(handler=_emulator)
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
            enrolled = None
            if args.two_factor or two_factor_required(user.role):
                enrolled = await TwoFactor(session, core).enrol(Actor.system(), user)
        print(f"holos: created {user.role} account {user.username!r} (id {user.id})")
        if enrolled is not None:
            _print_enrolment(user.username, enrolled)
        return 0

    return _with_core(settings, work)


def _user_reset_2fa(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        async with core.database.transaction() as session:
            user = await StaffService(session, core).get_by_username(Actor.system(), args.username)
            factor = TwoFactor(session, core)
            await factor.reset(Actor.system(), user, reason="command_line")
            enrolled = None if args.later else await factor.enrol(Actor.system(), user)
        print(
            f"holos: two-factor sign-in of {user.username!r} is reset; "
            "its sessions and API tokens have ended"
        )
        if enrolled is not None:
            _print_enrolment(user.username, enrolled)
        elif two_factor_required(user.role):
            print("holos: it will be set up at the next sign-in to the console")
        return 0

    return _with_core(settings, work)


def _user_set_password(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)

    async def work(core: Core) -> int:
        async with core.database.transaction() as session:
            staff = StaffService(session, core)
            user = await staff.get_by_username(Actor.system(), args.username)
            await staff.update_user(Actor.system(), user.id, password=password)
            unenrolled = two_factor_required(user.role) and not TwoFactor.enrolled(user)
        print(
            f"holos: the password of {user.username!r} is set; "
            "its sessions and API tokens have ended"
        )
        if unenrolled:
            print("holos: two-factor sign-in will be set up at the next sign-in to the console")
        return 0

    return _with_core(settings, work)


def _user_set_role(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        async with core.database.transaction() as session:
            staff = StaffService(session, core)
            user = await staff.get_by_username(Actor.system(), args.username)
            before = user.role
            await staff.update_user(Actor.system(), user.id, role=args.role)
            factor = TwoFactor(session, core)
            enrolled = None
            if two_factor_required(user.role) and not factor.enrolled(user):
                enrolled = await factor.enrol(Actor.system(), user)
        print(f"holos: {user.username!r} is now {user.role} (was {before})")
        if enrolled is not None:
            _print_enrolment(user.username, enrolled)
        return 0

    return _with_core(settings, work)


def _print_enrolment(username: str, enrolled: Enrolled) -> None:
    """The one time the secret and the recovery codes are shown: hand them over in person."""
    grouped = " ".join(enrolled.secret[i : i + 4] for i in range(0, len(enrolled.secret), 4))
    qr = qrcode.QRCode(border=2)
    qr.add_data(enrolled.uri)
    picture = io.StringIO()
    qr.print_ascii(out=picture, invert=True)
    print(
        f"\nTwo-factor sign-in for {username!r}: scan this with an authenticator app\n"
        "(FreeOTP, Aegis, Google Authenticator …), or type the secret in.\n"
    )
    print(picture.getvalue())
    print(f"  Secret:  {grouped}")
    print(f"  URI:     {enrolled.uri}\n")
    print("  Recovery codes (each works once, in place of the app; keep them apart from it):")
    for code in enrolled.recovery_codes:
        print(f"    {code}")
    print("\nThese are shown only now and are not stored in readable form.")


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    async def work(core: Core) -> int:
        report = await run_purge(core, dry_run=args.dry_run)
        for line in report.lines():
            print(f"holos: {line}")
        return 0

    return _with_core(settings, work)


def _search_reindex(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from storage.services.search_index import reindex_all

    _require_secret(settings)  # the blind index is keyed by it

    async def work(core: Core) -> int:
        # A bar on a terminal, nothing in a log (tqdm's disable=None).
        with tqdm(unit="case", disable=None, file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            started = time.monotonic()
            done = await reindex_all(core, fresh=args.fresh, progress=progress)
        seconds = max(time.monotonic() - started, 1e-6)
        print(f"holos: cases indexed: {done} ({done / seconds:.0f}/s)")
        return 0

    return _with_core(settings, work)


def _stats_rebuild(settings: Settings, _args: argparse.Namespace) -> int:
    from storage.services.day_counts import rebuild

    async def work(core: Core) -> int:
        for line in (await rebuild(core)).lines():
            print(f"holos: {line}")
        return 0

    return _with_core(settings, work)


def _files_rebuild(settings: Settings, _args: argparse.Namespace) -> int:
    from storage.services.attachments import media_workers
    from storage.services.file_rebuild import rebuild_stored_documents

    async def work(core: Core) -> int:
        workers = media_workers(settings)
        try:
            report = await rebuild_stored_documents(core)
        finally:
            workers.close()
        for line in report.lines():
            print(f"holos: {line}")
        return 0

    return _with_core(settings, work)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        if not is_loopback(settings.api_host):
            # A forgotten token must not put the demo (accounts printed, docs on) on a network.
            raise SettingsError(
                f"HOLOS_BOT_TOKEN is not set, and without it `holos run` starts the offline "
                f"sandbox, which it does only on a loopback address (HOLOS_API_HOST is "
                f"{settings.api_host}); set HOLOS_BOT_TOKEN, or run `holos sandbox` on purpose"
            )
        return _sandbox(settings, args)
    _require_secret(settings)
    return uvloop.run(compose.serve(settings, api=True, bot=True))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _api(settings: Settings, _args: argparse.Namespace) -> int:
    _require_secret(settings)
    return uvloop.run(compose.serve(settings, api=True, bot=False))


def _bot(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        raise SettingsError("HOLOS_BOT_TOKEN is required for `holos bot` (or use `holos sandbox`)")
    _require_secret(settings)
    return uvloop.run(compose.serve(settings, api=False, bot=True))


def _require_secret(settings: Settings) -> None:
    """Outside the sandbox the key must live apart from the data: a copy of the data
    directory must not carry the key that opens it."""
    if not has_configured_secret(settings):
        raise SettingsError(
            "HOLOS_SECRET_KEY or HOLOS_SECRET_KEY_FILE is required outside the sandbox "
            "(keep it apart from the data directory); make one with `holos secret generate`"
        )


def _secret_generate(_settings: Settings, args: argparse.Namespace) -> int:
    """Print a new secret key, or write it to a new file readable by its owner alone."""
    value = secrets.token_urlsafe(48)
    if args.file is None:
        print(value)
        return 0
    try:
        fd = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SettingsError(f"{args.file} exists already; a key is never overwritten") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    print(f"Written to {args.file} (mode 0600). Set HOLOS_SECRET_KEY_FILE={args.file}.")
    return 0


def _emulator(_settings: Settings, args: argparse.Namespace) -> int:
    compose.serve_emulator(args.host, args.port)
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    port = getattr(args, "port", None)  # `holos run` without a token has no --port
    return uvloop.run(compose.serve_sandbox(settings, port=port))


_RUNNERS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace], int]]] = {
    "run": ("run the product: API and bot (the sandbox when no bot token is set)", _run),
    "api": ("serve the triage API alone (and the webhook, in webhook mode)", _api),
    "bot": ("run the bot alone: long polling and reply delivery", _bot),
    "sandbox": ("run everything offline: Telegram emulator, chat page, bot and API", _sandbox),
}


if __name__ == "__main__":
    raise SystemExit(main())
