"""An SQLite database read the way an attacker with a copy of its files reads it.

No SQLite library is used: the main file and the write-ahead log are parsed page by
page (file format: https://www.sqlite.org/fileformat2.html). The log is replayed commit
by commit over the main file, and each commit's effect is told as rows deleted,
inserted and changed per table: the commit that deleted a draft and inserted a case is
exactly what such a reader finds. :meth:`SqliteCopy.find` searches every byte of every
file (every page of the main file, freelist pages included, and every frame of the log,
stale frames of an earlier log generation included) for given values.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WAL_HEADER = 32
FRAME_HEADER = 24
TABLE_LEAF, TABLE_INTERIOR, INDEX_LEAF, INDEX_INTERIOR = 0x0D, 0x05, 0x0A, 0x02


@dataclass(frozen=True)
class Row:
    table: str
    key: Any  # the rowid, or for a table without rowid (an index b-tree) the whole record
    values: tuple[Any, ...]

    def holds(self, needle: bytes) -> bool:
        return any(needle in _as_bytes(value) for value in self.values)


@dataclass
class Commit:
    """One transaction of the log: what it did to each table."""

    number: int
    pages: list[int]
    deleted: list[Row] = field(default_factory=list)
    inserted: list[Row] = field(default_factory=list)
    changed: list[tuple[Row, Row]] = field(default_factory=list)

    def touched(self, table: str) -> bool:
        rows = [*self.deleted, *self.inserted, *(new for _, new in self.changed)]
        return any(row.table == table for row in rows)

    def rows(self) -> Iterator[Row]:
        """Every row version this commit removed or wrote."""
        yield from self.deleted
        yield from self.inserted
        for old, new in self.changed:
            yield old
            yield new

    def summary(self) -> str:
        parts = [f"-{r.table}" for r in self.deleted] + [f"+{r.table}" for r in self.inserted]
        parts += [f"~{new.table}" for _, new in self.changed]
        return f"commit {self.number}: " + " ".join(sorted(parts))


@dataclass(frozen=True)
class Hit:
    file: str  # "main", "wal" or "shm"
    where: str  # "page 12", "frame 3 (page 12, stale)"
    needle: bytes


@dataclass(frozen=True)
class Frame:
    number: int
    page: int
    commit_size: int
    valid: bool
    data: bytes


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return str(value).encode()


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        byte = buf[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    return (value << 8) | buf[pos + 8], pos + 9


def decode_record(payload: bytes) -> tuple[Any, ...]:
    header_size, pos = _varint(payload, 0)
    types: list[int] = []
    while pos < header_size:
        serial, pos = _varint(payload, pos)
        types.append(serial)
    body = header_size
    values: list[Any] = []
    for serial in types:
        if serial == 0:
            values.append(None)
        elif 1 <= serial <= 6:
            size = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}[serial]
            values.append(int.from_bytes(payload[body : body + size], "big", signed=True))
            body += size
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            size = (serial - 12) // 2
            raw = payload[body : body + size]
            values.append(raw if serial % 2 == 0 else raw.decode("utf-8", "surrogateescape"))
            body += size
        else:
            raise ValueError(f"reserved serial type {serial}")
    return tuple(values)


class _Image:
    """The database as of one moment: page number -> page bytes."""

    def __init__(self, pages: dict[int, bytes], page_size: int, usable: int) -> None:
        self.pages = pages
        self.page_size = page_size
        self.usable = usable

    def page(self, number: int) -> bytes:
        return self.pages.get(number, b"\0" * self.page_size)

    def _header_offset(self, number: int) -> int:
        return 100 if number == 1 else 0

    def _payload(self, page: bytes, pos: int, size: int, *, index: bool) -> bytes:
        usable = self.usable
        max_local = usable - 35 if not index else ((usable - 12) * 64 // 255) - 23
        if size <= max_local:
            return page[pos : pos + size]
        min_local = ((usable - 12) * 32 // 255) - 23
        local = min_local + (size - min_local) % (usable - 4)
        if local > max_local:
            local = min_local
        data = bytearray(page[pos : pos + local])
        overflow = int.from_bytes(page[pos + local : pos + local + 4], "big")
        seen: set[int] = set()
        while overflow and len(data) < size and overflow not in seen:
            seen.add(overflow)
            chunk = self.page(overflow)
            data += chunk[4 : 4 + min(usable - 4, size - len(data))]
            overflow = int.from_bytes(chunk[:4], "big")
        return bytes(data)

    def tree_pages(self, root: int) -> list[int]:
        """Every b-tree page of the tree at ``root`` (interior and leaf)."""
        found: list[int] = []
        stack = [root]
        seen: set[int] = set()
        while stack:
            number = stack.pop()
            if number in seen or number not in self.pages:
                continue
            seen.add(number)
            found.append(number)
            page = self.page(number)
            head = self._header_offset(number)
            kind = page[head]
            if kind not in (TABLE_INTERIOR, INDEX_INTERIOR):
                continue
            cells = int.from_bytes(page[head + 3 : head + 5], "big")
            stack.append(int.from_bytes(page[head + 8 : head + 12], "big"))
            for i in range(cells):
                ptr = int.from_bytes(page[head + 12 + 2 * i : head + 14 + 2 * i], "big")
                stack.append(int.from_bytes(page[ptr : ptr + 4], "big"))
        return found

    def rows(self, table: str, root: int) -> list[Row]:
        rows: list[Row] = []
        for number in self.tree_pages(root):
            page = self.page(number)
            head = self._header_offset(number)
            kind = page[head]
            if kind == TABLE_INTERIOR:
                continue
            cells = int.from_bytes(page[head + 3 : head + 5], "big")
            for i in range(cells):
                offset = head + (8 if kind in (TABLE_LEAF, INDEX_LEAF) else 12) + 2 * i
                ptr = int.from_bytes(page[offset : offset + 2], "big")
                if kind == TABLE_LEAF:
                    size, pos = _varint(page, ptr)
                    rowid, pos = _varint(page, pos)
                    values = decode_record(self._payload(page, pos, size, index=False))
                    rows.append(Row(table, rowid, values))
                elif kind in (INDEX_LEAF, INDEX_INTERIOR):
                    pos = ptr + (4 if kind == INDEX_INTERIOR else 0)
                    size, pos = _varint(page, pos)
                    values = decode_record(self._payload(page, pos, size, index=True))
                    rows.append(Row(table, values, values))
        return rows

    def schema(self) -> dict[str, int]:
        """Table name -> root page, from sqlite_master (virtual tables have none)."""
        tables: dict[str, int] = {}
        for row in self.rows("sqlite_master", 1):
            kind, name, _, root, _ = row.values
            if kind == "table" and root:
                tables[name] = root
        return tables


class SqliteCopy:
    """The files of one database, as copied at one moment."""

    def __init__(self, directory: Path, name: str = "holos.db") -> None:
        self.main = (directory / name).read_bytes()
        wal = directory / f"{name}-wal"
        shm = directory / f"{name}-shm"
        self.wal = wal.read_bytes() if wal.exists() else b""
        self.shm = shm.read_bytes() if shm.exists() else b""
        raw_size = int.from_bytes(self.main[16:18], "big")
        self.page_size = 65536 if raw_size == 1 else raw_size
        self.usable = self.page_size - self.main[20]

    # Pages and frames ----------------------------------------------------------------

    def main_pages(self) -> dict[int, bytes]:
        size = self.page_size
        return {i // size + 1: self.main[i : i + size] for i in range(0, len(self.main), size)}

    def frames(self) -> list[Frame]:
        """Every frame in the log file; ``valid`` for those of the current generation whose
        checksums chain (what SQLite itself would read), the rest are stale leftovers."""
        if len(self.wal) < WAL_HEADER:
            return []
        magic, _, page_size, _, salt1, salt2 = struct.unpack(">6I", self.wal[:24])
        big = magic & 1 == 1
        s0, s1 = _checksum(self.wal[:24], 0, 0, big)
        header_ok = (s0, s1) == struct.unpack(">2I", self.wal[24:32])
        frames: list[Frame] = []
        chain_ok = header_ok
        pos, number = WAL_HEADER, 0
        while pos + FRAME_HEADER + page_size <= len(self.wal):
            head = self.wal[pos : pos + FRAME_HEADER]
            data = self.wal[pos + FRAME_HEADER : pos + FRAME_HEADER + page_size]
            page, commit_size, f_salt1, f_salt2, c0, c1 = struct.unpack(">6I", head)
            number += 1
            if chain_ok and (f_salt1, f_salt2) == (salt1, salt2):
                s0, s1 = _checksum(head[:8], s0, s1, big)
                s0, s1 = _checksum(data, s0, s1, big)
                chain_ok = (s0, s1) == (c0, c1)
            else:
                chain_ok = False
            frames.append(Frame(number, page, commit_size, chain_ok, data))
            pos += FRAME_HEADER + page_size
        return frames

    def backfilled(self) -> int:
        """Frames already copied into the main file (the shared-memory file's nBackfill)."""
        if len(self.shm) < 100:
            return 0
        return int.from_bytes(self.shm[96:100], "little")

    # Commits ---------------------------------------------------------------------------

    def images(self) -> Iterator[tuple[list[int], _Image, _Image]]:
        """(pages written, database before, database after) for each committed transaction
        of the log, replayed in order over the main file."""
        if self.backfilled():
            # The main file already holds some of the log: it is not the state before the
            # log's first commit, and replaying over it would hide what those commits did.
            raise ValueError("part of the log was checkpointed without a reset")
        pages = self.main_pages()
        before = _Image(dict(pages), self.page_size, self.usable)
        pending: list[Frame] = []
        for frame in self.frames():
            if not frame.valid:
                break
            pending.append(frame)
            if frame.commit_size:
                after_pages = dict(before.pages)
                for each in pending:
                    after_pages[each.page] = each.data
                after_pages = {n: p for n, p in after_pages.items() if n <= frame.commit_size}
                after = _Image(after_pages, self.page_size, self.usable)
                yield sorted({f.page for f in pending}), before, after
                before, pending = after, []

    def commits(self) -> list[Commit]:
        found: list[Commit] = []
        for number, (written, before, after) in enumerate(self.images(), start=1):
            commit = Commit(number, written)
            schema = {**before.schema(), **after.schema()}
            changed = set(written)
            for table, root in sorted(schema.items()):
                pages = set(before.tree_pages(root)) | set(after.tree_pages(root))
                if not pages & changed:
                    continue
                old = {r.key: r for r in before.rows(table, root)} if root else {}
                new = {r.key: r for r in after.rows(table, root)} if root else {}
                commit.deleted += [old[k] for k in old.keys() - new.keys()]
                commit.inserted += [new[k] for k in new.keys() - old.keys()]
                commit.changed += [
                    (old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]
                ]
            found.append(commit)
        return found

    def current(self) -> dict[str, list[Row]]:
        """Every table as SQLite itself would read it now (main file plus the log)."""
        image = _Image(self.main_pages(), self.page_size, self.usable)
        for _, _, after in self.images():
            image = after
        return {table: image.rows(table, root) for table, root in image.schema().items()}

    # Searching the bytes -----------------------------------------------------------------

    def find(self, needles: Iterable[bytes]) -> list[Hit]:
        hits: list[Hit] = []
        frames = self.frames()
        for needle in needles:
            for offset in _all(self.main, needle):
                hits.append(Hit("main", f"page {offset // self.page_size + 1}", needle))
            for offset in _all(self.wal, needle):
                index = (offset - WAL_HEADER) // (FRAME_HEADER + self.page_size)
                if 0 <= index < len(frames):
                    frame = frames[index]
                    state = "valid" if frame.valid else "stale"
                    where = f"frame {frame.number} (page {frame.page}, {state})"
                else:
                    where = f"offset {offset}"
                hits.append(Hit("wal", where, needle))
            for offset in _all(self.shm, needle):
                hits.append(Hit("shm", f"offset {offset}", needle))
        return hits


def _all(haystack: bytes, needle: bytes) -> Iterator[int]:
    start = haystack.find(needle)
    while start != -1:
        yield start
        start = haystack.find(needle, start + 1)


def _checksum(data: bytes, s0: int, s1: int, big: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1
