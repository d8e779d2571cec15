"""SQLite plumbing shared by the catalog and the upload ledger: how a connection is
opened, rows as plain dicts, and numbered schema migrations kept in `PRAGMA user_version`.

A migration is SQL text (one or more statements) or a function `(db, path) -> None`.
Migration N runs once, in its own transaction, when the file's user_version is below N;
the transaction also sets user_version to N, so a migration is either wholly applied and
counted, or not at all. A file whose user_version is above the last migration this code
knows was written by a newer version: it is refused, never written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

Migration = str | Callable[[sqlite3.Connection, Path], None]


class SchemaVersionError(RuntimeError):
    """The file's schema is newer than this code knows; the message says what to do."""


def dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict:
    # Plain dicts rather than sqlite3.Row: callers annotate rows (`cap["read_error"]`).
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def connect(path: Path) -> sqlite3.Connection:
    """A WAL-mode connection in autocommit mode (transactions are explicit) with dict rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: durable against process death (the kill -9 case); only an OS
    # crash can lose the last commits.
    db.execute("PRAGMA synchronous=NORMAL")
    db.row_factory = dict_row
    return db


@contextmanager
def transaction(db: sqlite3.Connection, mode: str = "") -> Iterator[None]:
    """BEGIN [mode] ... COMMIT, or ROLLBACK on any exception (the connection is in
    autocommit mode, so nothing else opens a transaction)."""
    db.execute(f"BEGIN {mode}")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def user_version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()["user_version"]


def migrate(db: sqlite3.Connection, path: Path, migrations: Sequence[Migration], what: str) -> None:
    """Bring the file at `path` (open as `db`) to version len(migrations); `what` names
    the file in errors ("catalog", "upload ledger")."""
    latest = len(migrations)
    found = user_version(db)
    if found > latest:
        raise SchemaVersionError(
            f"the {what} {path} has schema version {found}, but this crawler knows "
            f"versions up to {latest}: it was written by a newer crawler. Upgrade the "
            f"crawler, or give a different store; the file was not changed"
        )
    for number, step in enumerate(migrations, start=1):
        if number <= found:
            continue
        # IMMEDIATE: take the write lock before reading the version, so two processes
        # opening the same old file do not both run the step.
        with transaction(db, "IMMEDIATE"):
            if user_version(db) >= number:
                continue
            if isinstance(step, str):
                for statement in split_statements(step):
                    db.execute(statement)
            else:
                step(db, path)
            db.execute(f"PRAGMA user_version = {number:d}")


def split_statements(script: str) -> list[str]:
    """The statements of an SQL script. Not executescript(): it commits first, which
    would take a migration out of its transaction. complete_statement() knows that a
    trigger's `;` inside BEGIN ... END does not end the statement."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not _only_comments(pending):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()!r}")
    return statements


def _only_comments(text: str) -> bool:
    return all(not ln.strip() or ln.strip().startswith("--") for ln in text.splitlines())


def has_table(db: sqlite3.Connection, name: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        is not None
    )


def add_missing_columns(
    db: sqlite3.Connection, table: str, columns: Sequence[tuple[str, str]]
) -> None:
    """ALTER TABLE ADD COLUMN for each (name, declaration) the table lacks: catalogs from
    before user_version had some of these columns and not others."""
    have = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
    for name, declaration in columns:
        if name not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
