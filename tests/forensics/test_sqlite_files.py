"""The walker finds what it must: a deleted row's commit partner, old versions in the
log, deleted bytes left in free space. Otherwise a clean result would prove nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from tests.forensics.sqlite_files import SqliteCopy

KEY = "d1a2f3e4b5c6d7e8f9a0b1c2d3e4f5a6"


def open_db(path: Path, *, secure_delete: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE drafts (key VARCHAR(64) PRIMARY KEY, data BLOB)")
    db.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY, body TEXT)")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def copy(source: Path, target: Path) -> SqliteCopy:
    """The files as they are this moment, with the connection still open (as a backup
    tool copying a running service's directory would find them)."""
    target.mkdir()
    for suffix in ("", "-wal", "-shm"):
        if (source.parent / (source.name + suffix)).exists():
            shutil.copyfile(source.parent / (source.name + suffix), target / (source.name + suffix))
    return SqliteCopy(target, source.name)


def test_the_commit_that_ends_a_draft_and_stores_a_case_is_paired(tmp_path: Path) -> None:
    path = tmp_path / "holos.db"
    db = open_db(path, secure_delete=True)
    db.execute("INSERT INTO drafts VALUES (?, ?)", (KEY, b"step one" * 700))  # overflows
    db.execute("UPDATE drafts SET data = ? WHERE key = ?", (b"step two", KEY))
    db.execute("BEGIN")
    db.execute("DELETE FROM drafts WHERE key = ?", (KEY,))
    db.execute("INSERT INTO cases (body) VALUES ('the narrative')")
    db.execute("COMMIT")
    seen = copy(path, tmp_path / "copy")

    first, second, third = seen.commits()
    assert [(r.table, r.values[0]) for r in first.inserted] == [("drafts", KEY)]
    assert first.inserted[0].values[1] == b"step one" * 700  # read through overflow pages
    assert [(old.values[1], new.values[1]) for old, new in second.changed] == [
        (b"step one" * 700, b"step two")
    ]
    assert [r.table for r in third.deleted] == ["drafts"]
    assert [r.values[1] for r in third.inserted] == ["the narrative"]
    assert third.touched("cases") and third.touched("drafts")
    # Old versions stay in the log's frames until a checkpoint empties it.
    assert {hit.file for hit in seen.find([KEY.encode(), b"step two"])} == {"wal"}
    assert seen.current()["drafts"] == []

    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = copy(path, tmp_path / "after")
    assert after.commits() == []
    assert after.find([KEY.encode(), b"step one", b"step two"]) == []
    assert [r.values for r in after.current()["cases"]] == [(None, "the narrative")]
    db.close()


def test_deleted_bytes_left_in_free_space_are_found(tmp_path: Path) -> None:
    path = tmp_path / "holos.db"
    db = open_db(path, secure_delete=False)
    db.execute("INSERT INTO drafts VALUES (?, ?)", (KEY, b"x" * 9000))
    db.execute("DELETE FROM drafts")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seen = copy(path, tmp_path / "copy")
    assert seen.current()["drafts"] == []
    hits = seen.find([KEY.encode()])
    assert hits and {hit.file for hit in hits} == {"main"}
    db.close()


def test_frames_of_an_earlier_log_generation_are_searched_as_stale(tmp_path: Path) -> None:
    path = tmp_path / "holos.db"
    db = open_db(path, secure_delete=True)
    for i in range(20):
        db.execute("INSERT INTO cases (body) VALUES (?)", (f"case {i}",))
    db.execute("INSERT INTO drafts VALUES (?, ?)", (KEY, b"old"))
    db.execute("DELETE FROM drafts")
    # A checkpoint that does not truncate: the next writer starts the log over, and the
    # frames beyond its end are left from before.
    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    db.execute("INSERT INTO cases (body) VALUES ('new')")
    seen = copy(path, tmp_path / "copy")
    assert any(not frame.valid for frame in seen.frames())
    assert any("stale" in hit.where for hit in seen.find([KEY.encode()]))
    db.close()
