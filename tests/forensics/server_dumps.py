"""PostgreSQL's files and Redis's keys, read the way an attacker with a copy reads them.

PostgreSQL: every table, index and TOAST file of one database as it lies on disk (after a
CHECKPOINT if asked, so the dead row versions a vacuum has not yet cleared are in them),
and the write-ahead log written since a given moment, read through the server itself
(``pg_read_binary_file``: the files belong to the postgres user) and decoded with
``pg_waldump``. Redis: every key with its value and expiry, as a dump would hold them.
"""

from __future__ import annotations

import asyncio
import glob
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

_RECORD = re.compile(r"rmgr: (\w+)\s.*?tx:\s+(\d+), lsn: (\S+), prev \S+, desc: (\w+)(.*)")
_REL = re.compile(r"rel (\d+)/(\d+)/(\d+)")


def pg_waldump() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_waldump")) or [
        shutil.which("pg_waldump") or ""
    ]
    if not found[-1]:
        raise RuntimeError("pg_waldump is not installed")
    return found[-1]


@dataclass
class Transaction:
    xid: int
    # (record kind, relation name) for every heap record of this database
    records: list[tuple[str, str]] = field(default_factory=list)

    def inserted_into(self, table: str) -> bool:
        return any(kind.startswith("INSERT") and rel == table for kind, rel in self.records)

    def tables(self) -> set[str]:
        return {rel for _, rel in self.records}

    def deletes(self) -> list[str]:
        return [rel for kind, rel in self.records if kind == "DELETE"]


@dataclass
class PostgresCopy:
    """One database's relation files and the WAL, as they were at one moment."""

    files: dict[str, bytes]  # relation name -> file bytes
    wal: dict[str, bytes]  # segment name -> bytes
    database_oid: int
    relations: dict[int, str]  # relfilenode -> relation name
    # Where the test began: a segment also holds what was written before in it (other
    # tests of the same session, on the same database), which is not this test's.
    since_lsn: int

    def find(self, needles: Iterable[bytes]) -> list[str]:
        hits = []
        for needle in needles:
            hits += [f"relation {name}" for name, data in self.files.items() if needle in data]
            hits += [f"WAL {name}" for name, data in self.wal.items() if needle in data]
        return hits

    async def transactions(self) -> list[Transaction]:
        """The WAL's heap records of this database, by transaction (pg_waldump)."""
        if not self.wal:
            return []
        with tempfile.TemporaryDirectory() as directory:
            for name, data in self.wal.items():
                (Path(directory) / name).write_bytes(data)
            first, last = min(self.wal), max(self.wal)
            process = await asyncio.create_subprocess_exec(
                pg_waldump(),
                "-p",
                directory,
                first,
                last,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, _ = await process.communicate()
        found: dict[int, Transaction] = {}
        for line in out.decode(errors="replace").splitlines():
            match = _RECORD.match(line)
            if not match or match.group(1) not in ("Heap", "Heap2"):
                continue
            if parse_lsn(match.group(3)) < self.since_lsn:
                continue
            xid, kind = int(match.group(2)), match.group(4)
            for rel in _REL.finditer(match.group(5)):
                if int(rel.group(2)) != self.database_oid:
                    continue
                name = self.relations.get(int(rel.group(3)), f"relfilenode {rel.group(3)}")
                found.setdefault(xid, Transaction(xid)).records.append((kind, name))
        return list(found.values())


async def copy_postgres(
    admin_dsn: str,
    database: str,
    since: WalPosition,
    *,
    checkpoint: bool = False,
    known: set[str] | None = None,
) -> PostgresCopy:
    """The database's files now, and the WAL segments from ``since`` up to the
    one being written (later names are recycled segments holding older WAL). ``known``:
    completed segments already read by an earlier copy, left out (and the completed
    ones of this copy are added to it). ``checkpoint``: write the server's dirty pages
    out first, so the table files hold every row version (the WAL holds them anyway)."""
    base = admin_dsn.rpartition("/")[0]
    conn = await asyncpg.connect(f"{base}/{database}")
    try:
        if checkpoint:
            await conn.execute("CHECKPOINT")
        rows = await conn.fetch(
            "SELECT c.relname, pg_relation_filepath(c.oid) AS path, "
            "pg_relation_filenode(c.oid) AS node FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'i', 't') AND n.nspname NOT IN "
            "('pg_catalog', 'information_schema') AND pg_relation_filepath(c.oid) IS NOT NULL"
        )
        files: dict[str, bytes] = {}
        for row in rows:
            files[row["relname"]] = (
                await conn.fetchval(
                    "SELECT pg_read_binary_file($1, 0, (pg_stat_file($1, true)).size, true)",
                    row["path"],
                )
                or b""
            )
        oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
        current = await conn.fetchval("SELECT pg_walfile_name(pg_current_wal_lsn())")
        segments = await conn.fetch("SELECT name FROM pg_ls_waldir() ORDER BY name")
        wal: dict[str, bytes] = {}
        for segment in segments:
            name = segment["name"]
            if known is not None and name in known:
                continue
            if len(name) == 24 and since.segment <= name <= current:
                data = await conn.fetchval(
                    "SELECT pg_read_binary_file($1, 0, (pg_stat_file($1, true)).size, true)",
                    f"pg_wal/{name}",
                )
                if data:
                    wal[name] = data
                    if known is not None and name < current:
                        known.add(name)
    finally:
        await conn.close()
    relations = {int(r["node"]): r["relname"] for r in rows}
    return PostgresCopy(files, wal, int(oid), relations, since.lsn)


@dataclass(frozen=True)
class WalPosition:
    segment: str  # the WAL file being written
    lsn: int  # the byte position in the log


def parse_lsn(text: str) -> int:
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low.rstrip(","), 16)


async def current_wal_position(admin_dsn: str) -> WalPosition:
    conn = await asyncpg.connect(admin_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT pg_walfile_name(pg_current_wal_lsn()) AS segment, "
            "pg_current_wal_lsn()::text AS lsn"
        )
        return WalPosition(row["segment"], parse_lsn(row["lsn"]))
    finally:
        await conn.close()


@dataclass(frozen=True)
class RedisKey:
    name: bytes
    kind: str
    value: bytes  # the value (a hash's fields and values joined), as stored
    expires_at_ms: int  # -1: never

    def holds(self, needle: bytes) -> bool:
        return needle in self.name or needle in self.value


async def dump_redis(redis: Redis) -> list[RedisKey]:
    """Every key of the Redis database, its value and expiry."""
    keys: list[RedisKey] = []
    async for name in redis.scan_iter(count=1000):
        kind = (await redis.type(name)).decode()
        if kind == "none":
            continue  # expired between the scan and now
        if kind == "string":
            value = await redis.get(name) or b""
        elif kind == "hash":
            pairs = await redis.hgetall(name)
            value = b"\0".join(k + b"=" + v for k, v in sorted(pairs.items()))
        else:
            value = await redis.dump(name) or b""
        keys.append(RedisKey(name, kind, value, await redis.pexpiretime(name)))
    return keys


def keys_by_purpose(
    keys: list[RedisKey], needles: dict[str, list[bytes]]
) -> dict[str, list[RedisKey]]:
    found: dict[str, list[RedisKey]] = defaultdict(list)
    for key in keys:
        for purpose, forms in needles.items():
            if any(key.holds(form) for form in forms):
                found[purpose].append(key)
    return found
