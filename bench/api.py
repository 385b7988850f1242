"""The triage API on a large database: each request timed over HTTP against the API in its
own process, and against the same SQL replayed raw on the same driver (no ORM, no HTTP).

The SQL of each request is captured once, in process, from the engine's cursor events; the
replay runs those statements in a transaction that is rolled back. The ratio HTTP / raw is
what the API adds to the database's own work (ORM, pydantic, decryption, HTTP).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, select

from admin_api.app import create_app
from bench.machine import cpu_seconds, peak_rss_mib
from bench.processes import child
from bench.seed import COMMON_FORM, COMMON_WORD, RARE_FORM, RARE_WORD, seed
from storage import totp
from storage.access import Actor
from storage.core import Core, build_core
from storage.migrate import migrate_url
from storage.models import Case
from storage.refs import new_public_id
from storage.services.staff import StaffService, two_factor_required
from storage.services.two_factor import TwoFactor
from storage.settings import Settings

V1 = "/api/v1"
PASSWORD = "bench-password-long-enough"
CLIENTS = 8
POSTGRES_ADMIN_DSN = os.environ.get(
    "HOLOS_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass
class Probe:
    name: str
    role: str
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    patch_ref: str | None = None  # PATCH: the case changed (its version is tracked)
    spare_refs: tuple[str, ...] = ()  # PATCH: one case per concurrent client


@dataclass
class ProbeResult:
    name: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    concurrent_p50_ms: float | None = None
    concurrent_p99_ms: float | None = None
    concurrent_req_per_s: float | None = None
    raw_p50_ms: float | None = None
    ratio: float | None = None
    # The API process's own CPU (user + system) per request, one client: unlike the
    # latencies, it hardly moves with the load other processes put on the machine.
    cpu_ms: float | None = None
    statements: int = 0
    status: int = 0
    failure: str | None = None  # what stopped this probe early (the others still run)


def _ms(values: list[float], q: int) -> float:
    if len(values) == 1:
        return round(values[0] * 1000, 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, 2)


class Session:
    """Bearer tokens per role, and the current version of each case being PATCHed."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.http = http
        self.tokens = tokens
        self.versions: dict[str, str] = {}
        self.flip = 0

    async def call(self, probe: Probe) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[probe.role]}"}
        if probe.method == "PATCH":
            assert probe.patch_ref is not None
            if probe.patch_ref not in self.versions:
                got = await self.http.get(f"{V1}/cases/{probe.patch_ref}", headers=headers)
                self.versions[probe.patch_ref] = got.headers["ETag"]
            headers["If-Match"] = self.versions[probe.patch_ref]
            self.flip ^= 1
            response = await self.http.patch(
                probe.path,
                headers=headers,
                json={"priority": "high" if self.flip else "normal"},
            )
            if "ETag" in response.headers:
                self.versions[probe.patch_ref] = response.headers["ETag"]
            return response
        return await self.http.request(
            probe.method, probe.path, params=probe.params, headers=headers
        )


# One sign-in per account and engine: a focal point signs in with a one-time code
# (two-factor sign-in), and a code is accepted once, so the token is reused.
_TOKENS: dict[str, str] = {}
_OTP_SECRETS: dict[str, str] = {}


async def _login(http: httpx.AsyncClient, username: str) -> str:
    if username in _TOKENS:
        return _TOKENS[username]
    data = {"username": username, "password": PASSWORD}
    if username in _OTP_SECRETS:
        data["otp"] = totp.code_at(_OTP_SECRETS[username], datetime.now(UTC))
    response = await http.post(f"{V1}/auth/token", data=data)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    _TOKENS[username] = token
    return token


async def _staff(core: Core) -> None:
    _TOKENS.clear()
    _OTP_SECRETS.clear()
    async with core.database.transaction() as session:
        service = StaffService(session, core)
        for role in ("operator", "focal_point"):
            user = await service.create_user(
                Actor.system(), username=f"bench_{role}", password=PASSWORD, role=role
            )
            if two_factor_required(role):
                two_factor = TwoFactor(session, core)
                await two_factor.enrol(Actor.system(), user)
                secret = two_factor.secret(user)
                assert secret is not None
                _OTP_SECRETS[user.username] = secret


async def _probes(
    core: Core, http: httpx.AsyncClient, token: str, *, clients: int, deep_pages: int
) -> list[Probe]:
    async with core.database.transaction() as session:
        refs = list(
            (
                await session.scalars(
                    select(Case.ref)
                    .where(Case.sensitive.is_(False))
                    .order_by(Case.id)
                    .limit(clients + 1)
                )
            ).all()
        )
    # A cursor some pages deep: keyset paging should cost the same on any page.
    cursor = None
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(deep_pages):
        page = await http.get(
            f"{V1}/cases",
            params={"limit": 50, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        page.raise_for_status()
        cursor = page.json().get("next_cursor") or cursor
    cases = f"{V1}/cases"
    probes = [
        Probe("worklist", "operator", "GET", cases),
        Probe(
            "filtered worklist",
            "operator",
            "GET",
            cases,
            {
                "status": ["new", "acknowledged"],
                "oblast": "UA-63",
                "category": "assistance_quality",
            },
        ),
        Probe("deep cursor page", "operator", "GET", cases, {"cursor": cursor} if cursor else {}),
        Probe("search, rare word", "operator", "GET", cases, {"q": RARE_WORD}),
        Probe("search, common word", "operator", "GET", cases, {"q": COMMON_WORD}),
        Probe("focal point's search", "focal_point", "GET", cases, {"q": RARE_WORD}),
        # Another form of the word: matched through the lemmas only (issue 22).
        Probe("lemma search, rare word", "operator", "GET", cases, {"q": RARE_FORM}),
        Probe("lemma search, common word", "operator", "GET", cases, {"q": COMMON_FORM}),
        Probe("focal point's lemma search", "focal_point", "GET", cases, {"q": RARE_FORM}),
        Probe("case detail", "operator", "GET", f"{cases}/{refs[0]}"),
        Probe(
            "PATCH",
            "operator",
            "PATCH",
            f"{cases}/{refs[0]}",
            patch_ref=refs[0],
            spare_refs=tuple(refs[1:]),
        ),
    ]
    return probes


Statement = tuple[str, Any, bool]


async def _capture(core: Core, probes: list[Probe]) -> dict[str, list[Statement]]:
    """The SQL each request runs, from the engine's cursor events (the app in process)."""
    captured: list[Statement] | None = None

    def grab(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        if captured is not None:
            captured.append((statement, parameters, many))

    engine = core.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", grab)
    found: dict[str, list[Statement]] = {}
    try:
        transport = httpx.ASGITransport(app=create_app(core))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            tokens = {r: await _login(http, f"bench_{r}") for r in ("operator", "focal_point")}
            session = Session(http, tokens)
            for probe in probes:
                if probe.method == "PATCH":
                    await session.call(probe)  # learn the version outside the capture
                captured = []
                await session.call(probe)
                found[probe.name] = [
                    s
                    for s in captured
                    if s[0].strip().upper()
                    not in {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}
                ]
                captured = None
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return found


Replay = Callable[[list[Statement]], Awaitable[None]]

_INSERT_COLUMNS = re.compile(r"\s*INSERT INTO \S+ \(([^)]*)\)", re.IGNORECASE)


def _fresh_ids(sql: str, params: Any) -> Any:
    """A replayed INSERT with a new random public id: the captured one is taken (the API
    committed it), and the column is unique."""
    match = _INSERT_COLUMNS.match(sql)
    if match is None or not params:
        return params
    columns = [c.strip().strip('"') for c in match.group(1).split(",")]
    if "public_id" not in columns:
        return params
    values = list(params)
    values[columns.index("public_id")] = new_public_id()
    return tuple(values)


async def _raw_sqlite(path: str) -> tuple[Replay, Callable[[], Awaitable[None]]]:
    import aiosqlite

    db = await aiosqlite.connect(path)

    async def replay(statements: list[Statement]) -> None:
        await db.execute("BEGIN")
        try:
            for sql, params, many in statements:
                if many:
                    await db.executemany(sql, params)
                else:
                    await (await db.execute(sql, _fresh_ids(sql, params))).fetchall()
        finally:
            await db.rollback()

    return replay, db.close


async def _raw_postgres(dsn: str) -> tuple[Replay, Callable[[], Awaitable[None]]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)

    async def replay(statements: list[Statement]) -> None:
        tx = conn.transaction()
        await tx.start()
        try:
            for sql, params, many in statements:
                if many:
                    await conn.executemany(sql, params)
                else:
                    await conn.fetch(sql, *(_fresh_ids(sql, params) or ()))
        finally:
            await tx.rollback()

    return replay, conn.close


async def _time(call: Callable[[], Awaitable[Any]], n: int, budget_s: float) -> list[float]:
    """``n`` timed calls, or fewer (at least three) when they outrun ``budget_s``."""
    timings: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(n):
        started = time.perf_counter()
        await call()
        timings.append(time.perf_counter() - started)
        if len(timings) >= 3 and time.perf_counter() > deadline:
            break
    return timings


async def _http_timings(
    base_url: str,
    tokens: dict[str, str],
    probe: Probe,
    n: int,
    status: list[int],
    budget_s: float,
    cpu: list[float] | None = None,
    pid: int | None = None,
) -> tuple[list[float], int]:
    """``n`` timed requests; with ``cpu`` and ``pid``, appends that process's CPU seconds
    over them."""
    errors = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=600, trust_env=False) as http:
        session = Session(http, tokens)

        async def once() -> None:
            nonlocal errors
            response = await session.call(probe)
            status.append(response.status_code)
            if response.status_code >= 400:
                errors += 1

        await once()  # warm: connections, plans, the version of a PATCHed case
        before = cpu_seconds(pid) if pid is not None else 0.0
        timings = await _time(once, n, budget_s)
        if cpu is not None and pid is not None:
            cpu.append(cpu_seconds(pid) - before)
        return timings, errors


async def bench_engine(
    engine_name: str,
    database_url: str,
    raw_target: str,
    *,
    cases: int,
    ratings: int,
    requests: int,
    budget_s: float,
    workdir: Path,
    clients: int = CLIENTS,
    deep_pages: int = 20,
) -> dict[str, Any]:
    secret = secrets.token_urlsafe(48)
    settings = Settings(
        _env_file=None, data_dir=workdir, database_url=database_url, secret_key=secret
    )
    await migrate_url(database_url)
    core = build_core(settings)
    await _staff(core)
    seconds = await seed(core.database.engine, core.crypto, cases=cases, ratings=ratings)
    print(
        f"  {engine_name}: seeded {cases:,} cases and {ratings:,} ratings in {seconds:.0f} s",
        flush=True,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(core)), base_url="http://bench"
    ) as http:
        token = await _login(http, "bench_operator")
        probes = await _probes(core, http, token, clients=clients, deep_pages=deep_pages)
    statements = await _capture(core, probes)
    await core.close()

    results: list[ProbeResult] = []
    log = workdir / f"api-{engine_name}.log"
    with child(
        ["-m", "bench.api_server", database_url, secret, str(workdir)], log, ready=None
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"the API did not start: see {log}")
        base_url = line[1]
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as http:
            tokens = {r: await _login(http, f"bench_{r}") for r in ("operator", "focal_point")}
        replay, close = await (
            _raw_sqlite(raw_target) if engine_name == "sqlite" else _raw_postgres(raw_target)
        )
        try:
            for probe in probes:
                try:
                    codes: list[int] = []
                    cpu: list[float] = []
                    timings, errors = await _http_timings(
                        base_url, tokens, probe, requests, codes, budget_s, cpu, proc.pid
                    )
                    result = ProbeResult(
                        probe.name,
                        len(timings),
                        errors,
                        _ms(timings, 50),
                        _ms(timings, 95),
                        _ms(timings, 99),
                        statements=len(statements[probe.name]),
                        status=codes[-1],
                        cpu_ms=round(cpu[0] * 1000 / len(timings), 2),
                    )
                    # Clients at once, each its own connection (and its own case to PATCH).
                    started = time.perf_counter()
                    per_client = max(1, requests // clients)
                    outcomes = await asyncio.gather(
                        *(
                            _http_timings(
                                base_url, tokens, _own(probe, i), per_client, [], budget_s
                            )
                            for i in range(clients)
                        )
                    )
                    wall = time.perf_counter() - started
                    together = [t for ts, _ in outcomes for t in ts]
                    result.errors += sum(e for _, e in outcomes)
                    result.concurrent_p50_ms = _ms(together, 50)
                    result.concurrent_p99_ms = _ms(together, 99)
                    result.concurrent_req_per_s = round(len(together) / wall, 1)
                    try:
                        sql = statements[probe.name]
                        raw = await _time(partial(replay, sql), requests, budget_s)
                        result.raw_p50_ms = _ms(raw, 50)
                        if result.raw_p50_ms:
                            result.ratio = round(result.p50_ms / result.raw_p50_ms, 1)
                    except Exception as exc:  # reported, and the HTTP figures kept
                        result.failure = f"raw replay: {type(exc).__name__}: {exc}"
                except Exception as exc:  # one probe failing must not lose the others' figures
                    result = ProbeResult(probe.name, 0, 1, 0.0, 0.0, 0.0)
                    result.failure = f"{type(exc).__name__}: {exc}"
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"  {engine_name}: {result} (load {load})", flush=True)
                results.append(result)
        finally:
            await close()
        peak = peak_rss_mib(proc.pid)
    # After the probes: the rewritten rows (dead tuples, GIN's pending list) would slow
    # the searches timed above.
    core = build_core(settings)
    try:
        reindexed = await reindex_rate(core, min(cases, REINDEX_SAMPLE))
    finally:
        await core.close()
    print(
        f"  {engine_name}: re-indexed {reindexed['cases']:,} cases at "
        f"{reindexed['cases_per_s']:,} cases/s",
        flush=True,
    )
    return {
        "engine": engine_name,
        "cases": cases,
        "ratings": ratings,
        "seed_seconds": round(seconds, 1),
        "reindex": reindexed,
        "clients": clients,
        "api_peak_rss_mib": peak,
        "probes": [r.__dict__ for r in results],
    }


# Cases re-indexed to measure `holos search reindex`: enough for a steady rate.
REINDEX_SAMPLE = 20_000


async def reindex_rate(core: Core, sample: int) -> dict[str, Any]:
    """`holos search reindex`'s rate: the lemmas of the ``sample`` oldest cases dropped
    (as stored before lemma search), then indexed again batch by batch, each batch in its
    own transaction as the command runs them. Sensitive cases among them get their blind
    index built (the bench seeds none). Cases per second, triggers and all."""
    from sqlalchemy import update

    from storage.services.search_index import reindex_batch

    async with core.database.transaction() as session:
        last = await session.scalar(select(Case.id).order_by(Case.id).offset(sample - 1).limit(1))
        await session.execute(
            update(Case)
            .where(Case.id <= last)
            .values(lemmas=None)
            .execution_options(synchronize_session=False)
        )
    started = time.perf_counter()
    after_id, done = 0, 0
    while after_id < (last or 0):
        async with core.database.transaction() as session:
            read, after_id = await reindex_batch(session, core, after_id=after_id)
        if not read:
            break
        done += read
    seconds = time.perf_counter() - started
    return {"cases": done, "seconds": round(seconds, 2), "cases_per_s": round(done / seconds)}


def _own(probe: Probe, client: int) -> Probe:
    """Concurrent PATCHes each change their own case (else they only meet 412s)."""
    if probe.method != "PATCH":
        return probe
    ref = probe.spare_refs[client]
    return Probe(probe.name, probe.role, probe.method, f"{V1}/cases/{ref}", patch_ref=ref)
