"""The catalog in PostgreSQL (`--catalog postgresql://...`, CATALOG_URI): one index shared
by every crawler node, behind the `Catalog` interface (crawler/store/catalog.py).

The SQL is the SQLite catalog's (crawler/store/sql_catalog.py), run through `PgConnection`,
which turns its `?` placeholders into psycopg's. The schema is versioned in
crawler/store/postgres_schema.py. psycopg is imported here only: the SQLite default never
needs it installed (the `postgres` extra).

The export watermark and concurrent writers. `articles.seq` is an identity column, so
every node draws from one sequence; but a sequence value is taken when a row is inserted
and becomes visible when its transaction commits, and transactions commit in any order:
node A may take seq 9, node B seq 10, and B commit first. An export that then saw seq 10
would move its watermark past 9, and when A commits, record 9 would never be exported
(`crawler export --incremental` only reads above its watermark). So an article's row is
inserted holding a transaction-level advisory lock (ARTICLE_SEQ_LOCK), released only once
the transaction is committed and visible: seqs are taken and made visible one writer at a
time, in order, and any seq a reader sees has every lower seq already committed or never
to be. The cost is that article inserts of all nodes are serialised, one short statement
each (about a millisecond), far above the rate nodes extract articles at. Captures,
files and the rest are not ordered by anything a reader relies on, and are not locked.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from contextlib import AbstractContextManager

import psycopg
from psycopg.rows import dict_row

from crawler.fetch.credentials import redact_url
from crawler.store import postgres_schema
from crawler.store.sql_catalog import SqlCatalog


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    # The shared SQL has no `?` or `%` but as placeholders and in LIKE patterns.
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """The part of sqlite3.Connection's API that SqlCatalog uses, on a psycopg connection
    in autocommit mode with dict rows."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Iterable = ()) -> psycopg.Cursor:
        return self.conn.execute(_pg_sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable]) -> psycopg.Cursor:
        cur = self.conn.cursor()
        cur.executemany(_pg_sql(sql), [tuple(r) for r in rows])
        return cur

    def close(self) -> None:
        self.conn.close()


class PostgresCatalog(SqlCatalog):
    """Used from one thread (one connection). Each write is its own committed transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redact_url(url)  # no password in messages
        conn = connect(url)
        try:
            postgres_schema.migrate(conn, self.where)
        except BaseException:
            conn.close()
            raise
        self.db = PgConnection(conn)

    def transaction(self) -> AbstractContextManager:
        return self.db.conn.transaction()

    def _insert_article(self, values: tuple) -> None:
        # Seqs taken and committed in order (module docstring): the lock is held until
        # add_article's transaction has committed.
        self.db.execute("SELECT pg_advisory_xact_lock(?)", (postgres_schema.ARTICLE_SEQ_LOCK,))
        super()._insert_article(values)


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection with dict rows; CatalogError-worthy failures say where."""
    return psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=30)


def catalog_in(url: str) -> bool:
    """Whether the database at `url` holds a catalog (a crawler has opened it before)."""
    with connect(url) as conn:
        row = conn.execute("SELECT to_regclass('catalog_schema') AS t").fetchone()
        return row["t"] is not None
