"""The embedded frontier: one SQLite file, no server (the default of `crawler archive`).

Rows of `entries` are the queue and the seen-set at once (a fingerprint is unique);
state 0 = queued, 1 = leased (owner, lease deadline), 2 = done. Memory stays flat in the
number of URLs: everything is on disk and read in batches.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from crawler.frontier.base import Added, Entry, url_fingerprint
from crawler.store.sqlite_db import connect, transaction

QUEUED, LEASED, DONE = 0, 1, 2
_BATCH = 1000  # URLs per INSERT transaction
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq         INTEGER PRIMARY KEY,
    fp          TEXT NOT NULL UNIQUE,
    entry       TEXT NOT NULL,
    state       INTEGER NOT NULL DEFAULT 0,
    owner       TEXT,
    lease_until REAL,
    requeued    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entries_state ON entries (state, seq);
CREATE TABLE IF NOT EXISTS sites (site TEXT PRIMARY KEY, pages INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_INSERT = "INSERT OR IGNORE INTO entries (fp, entry) VALUES (?,?)"
# --refetch: queued again even if seen (done or queued; a leased one stays with its taker)
_REFETCH = (
    "INSERT INTO entries (fp, entry) VALUES (?,?) ON CONFLICT (fp) DO UPDATE SET "
    "entry = excluded.entry, state = CASE WHEN state = 1 THEN 1 ELSE 0 END"
)


class LocalFrontier:
    """Used from one thread of one process at a time (SQLite's locks guard the file)."""

    def __init__(self, path: str | Path, lease_seconds: float) -> None:
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self.db = connect(self.path)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add(self, urls: Iterable[str], *, refetch: bool = False) -> Added:
        added = Added()
        urls = iter(urls)
        while batch := list(islice(urls, _BATCH)):
            rows = [(url_fingerprint(u), Entry(u, refetch).encode()) for u in batch]
            with transaction(self.db):
                before = self.db.total_changes
                self.db.executemany(_REFETCH if refetch else _INSERT, rows)
                queued = self.db.total_changes - before
            added.queued += queued
            added.seen += len(rows) - queued
        return added

    def take(self, owner: str, n: int) -> list[Entry]:
        now = time.time()
        with transaction(self.db, "IMMEDIATE"):
            expired = self.db.execute(
                "UPDATE entries SET state=?, owner=NULL, requeued=1 "
                "WHERE state=? AND lease_until < ?",
                (QUEUED, LEASED, now),
            ).rowcount
            if expired:
                self._bump("requeued", expired)
            rows = self.db.execute(
                "SELECT seq, entry, requeued FROM entries WHERE state=? ORDER BY seq LIMIT ?",
                (QUEUED, n),
            ).fetchall()
            self.db.executemany(
                "UPDATE entries SET state=?, owner=?, lease_until=?, requeued=0 WHERE seq=?",
                [(LEASED, owner, now + self.lease_seconds, r["seq"]) for r in rows],
            )
        return [Entry.decode(r["entry"], bool(r["requeued"])) for r in rows]

    def renew(self, owner: str, entries: Iterable[Entry]) -> None:
        until = time.time() + self.lease_seconds
        with transaction(self.db):
            self.db.executemany(
                "UPDATE entries SET lease_until=? WHERE fp=? AND state=? AND owner=?",
                [(until, url_fingerprint(e.url), LEASED, owner) for e in entries],
            )

    def done(self, entries: Iterable[Entry]) -> None:
        fps = [(DONE, url_fingerprint(e.url)) for e in entries]
        if not fps:
            return
        with transaction(self.db):
            self.db.executemany("UPDATE entries SET state=?, owner=NULL WHERE fp=?", fps)

    def charge(self, site: str, budget: int) -> bool:
        with transaction(self.db, "IMMEDIATE"):
            row = self.db.execute("SELECT pages FROM sites WHERE site=?", (site,)).fetchone()
            pages = row["pages"] if row else 0
            if pages >= budget:
                return False
            self.db.execute(
                "INSERT INTO sites (site, pages) VALUES (?, 1) "
                "ON CONFLICT (site) DO UPDATE SET pages = pages + 1",
                (site,),
            )
        return True

    def counts(self) -> dict[str, int]:
        by_state = {
            r["state"]: r["n"]
            for r in self.db.execute("SELECT state, count(*) AS n FROM entries GROUP BY state")
        }
        requeued = self.db.execute("SELECT value FROM totals WHERE name='requeued'").fetchone()
        return {
            "queued": by_state.get(QUEUED, 0),
            "leased": by_state.get(LEASED, 0),
            "done": by_state.get(DONE, 0),
            "requeued": requeued["value"] if requeued else 0,
            "seen": sum(by_state.values()),
        }

    def _bump(self, name: str, by: int) -> None:
        self.db.execute(
            "INSERT INTO totals (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )


@contextmanager
def job_frontier(folder: Path) -> Iterator[Path]:
    """The path of a new frontier file for one `crawler archive` run, in `folder` (the
    store's `tmp/`), deleted afterwards. A live run holds a `flock` on its file, so the
    files of killed runs (no lock) are deleted here first: their URLs are the input's,
    and a re-run reads them again (skipping what the catalog has)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("frontier-*.sqlite"):
        with open(stale, "rb") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another run's
            _remove(stale)
    fd, name = tempfile.mkstemp(prefix="frontier-", suffix=".sqlite", dir=folder)
    path = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        _remove(path)
        os.close(fd)


def _remove(db: Path) -> None:
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)
