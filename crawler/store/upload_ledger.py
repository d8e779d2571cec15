"""The upload ledger of an S3 store's spool: which closed files wait for upload, and which
were verified in S3.

It belongs to the spool of one machine (the files it lists are on that machine's disk),
not to the archive index, which several machines may share: so it is its own SQLite file,
`uploads.sqlite` next to the spool's catalog. A row per closed file; `uploaded_at` is set
only once the object was verified in S3. Older spools kept these rows in the catalog's
`uploads` table: a new ledger adopts them (and the catalog's own migration moves any left).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crawler.store.local import LEDGER_FILE, LocalStore
from crawler.store.sqlite_db import connect, has_table, migrate, transaction
from settings import CATALOG_FILENAME

# The columns, in the order the catalog's former `uploads` table had them too.
_COLUMNS = (
    "target",
    "key",
    "kind",
    "size",
    "sha256",
    "queued_at",
    "uploaded_at",
    "etag",
    "last_error",
)


def _adopt_catalog_uploads(db: sqlite3.Connection, path: Path) -> None:
    """Rows a catalog of an older version holds in its `uploads` table."""
    legacy = path.with_name(CATALOG_FILENAME)
    if not legacy.exists():
        return
    catalog = sqlite3.connect(legacy, timeout=30)
    catalog.row_factory = sqlite3.Row
    try:
        if has_table(catalog, "uploads"):
            adopt_rows(db, [dict(row) for row in catalog.execute("SELECT * FROM uploads")])
    finally:
        catalog.close()


def adopt_rows(db: sqlite3.Connection, rows: list[dict]) -> None:
    """Insert ledger rows moved from elsewhere; a key the ledger already has keeps its
    own (newer) state. Runs inside the caller's transaction."""
    marks = ",".join("?" * len(_COLUMNS))
    db.executemany(
        f"INSERT INTO uploads ({','.join(_COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (target, key) DO NOTHING",
        [tuple(row[c] for c in _COLUMNS) for row in rows],
    )


MIGRATIONS = [
    # 1: the table as the catalog had it, then the rows of that catalog, if any.
    """
    CREATE TABLE uploads (
        target      TEXT NOT NULL,
        key         TEXT NOT NULL,
        kind        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        sha256      TEXT NOT NULL,
        queued_at   TEXT NOT NULL,
        uploaded_at TEXT,
        etag        TEXT,
        last_error  TEXT,
        PRIMARY KEY (target, key)
    );
    """,
    _adopt_catalog_uploads,
]


class UploadLedger:
    """One connection, used from one thread (each uploader thread opens its own)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = connect(self.path)
        try:
            migrate(self.db, self.path, MIGRATIONS, "upload ledger")
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def queue_upload(
        self, *, target: str, key: str, kind: str, size: int, sha256: str, queued_at: str
    ) -> None:
        """Record a closed file as pending upload to `target` (s3://bucket/prefix). A key
        already uploaded with the same sha256 stays uploaded; other content makes it
        pending again (its upload will then meet the write-once check)."""
        self.db.execute(
            "INSERT INTO uploads (target, key, kind, size, sha256, queued_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (target, key) DO UPDATE SET "
            "kind=excluded.kind, size=excluded.size, queued_at=excluded.queued_at, "
            "uploaded_at=CASE WHEN uploads.sha256=excluded.sha256 "
            "THEN uploads.uploaded_at END, "
            "etag=CASE WHEN uploads.sha256=excluded.sha256 THEN uploads.etag END, "
            "sha256=excluded.sha256, last_error=NULL",
            (target, key, kind, size, sha256, queued_at),
        )

    def pending_uploads(self, target: str) -> list[dict]:
        return self.db.execute(
            "SELECT key, kind, size, sha256, last_error FROM uploads "
            "WHERE target=? AND uploaded_at IS NULL ORDER BY queued_at, key",
            (target,),
        ).fetchall()

    def upload_keys(self, target: str) -> set[str]:
        return {
            row["key"]
            for row in self.db.execute("SELECT key FROM uploads WHERE target=?", (target,))
        }

    def upload_entry(self, target: str, key: str) -> dict | None:
        return self.db.execute(
            "SELECT * FROM uploads WHERE target=? AND key=?", (target, key)
        ).fetchone()

    def mark_uploaded(
        self, *, target: str, key: str, sha256: str, etag: str, uploaded_at: str
    ) -> None:
        # Guarded by sha256: a newer, different file under the key stays pending.
        self.db.execute(
            "UPDATE uploads SET uploaded_at=?, etag=?, last_error=NULL "
            "WHERE target=? AND key=? AND sha256=?",
            (uploaded_at, etag, target, key, sha256),
        )

    def note_upload_error(self, *, target: str, key: str, error: str) -> None:
        self.db.execute(
            "UPDATE uploads SET last_error=? WHERE target=? AND key=? AND uploaded_at IS NULL",
            (error, target, key),
        )


def open_ledger(spool: LocalStore | str | Path) -> UploadLedger:
    """The ledger of a spool: a store (an S3Store is a LocalStore on its spool) or the
    spool's folder."""
    root = spool.root if isinstance(spool, LocalStore) else Path(spool)
    return UploadLedger(root / LEDGER_FILE)


def ledger_exists(spool: LocalStore) -> bool:
    """Whether the spool has a ledger, or a catalog of an older version that may hold
    its rows: if neither, nothing was ever queued for upload from it."""
    return spool.path(LEDGER_FILE).exists() or spool.path(CATALOG_FILENAME).exists()


def move_catalog_uploads(catalog_db: sqlite3.Connection, catalog_path: Path) -> None:
    """The catalog's migration that separates the ledger: its `uploads` rows go to the
    ledger next to it (committed there first, so a failure here loses nothing: the rows
    stay in the catalog and the next open moves them again), then the table is dropped.
    A local store's catalog has an empty table: no ledger file is made for it."""
    if not has_table(catalog_db, "uploads"):
        return
    rows = catalog_db.execute("SELECT * FROM uploads").fetchall()
    if rows:
        ledger = UploadLedger(catalog_path.with_name(LEDGER_FILE))
        try:
            with transaction(ledger.db):
                adopt_rows(ledger.db, rows)
        finally:
            ledger.close()
    catalog_db.execute("DROP TABLE uploads")
