"""The catalog in one SQLite file (`catalog.sqlite` at the store root): the embedded
default behind the `Catalog` interface (crawler/store/catalog.py).

Every WARC response record gets a `captures` row (URL, host, time, status, payload
digest, WARC file/offset/length), every article record an `articles` row, every URL a
run could not archive a `failures` row, every closed file a `files` row, every run a
`runs` row. WAL mode: readers (export, `sqlite3` by hand) never block the crawl, and a
killed process loses at most the transaction in flight. The schema is versioned in
`PRAGMA user_version` (crawler/store/sqlite_db.py); crawler/store/catalog_schema.py
holds the versions. The SQL itself is shared with PostgreSQL (crawler/store/sql_catalog.py).

The export watermark needs nothing more here: SQLite has one writer at a time and an
article's seq is taken inside its committing transaction, so seqs become visible in order.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from crawler.store.catalog_schema import MIGRATIONS
from crawler.store.sql_catalog import SqlCatalog, host_condition
from crawler.store.sqlite_db import connect, migrate, transaction

__all__ = ["SqliteCatalog", "host_condition"]


class SqliteCatalog(SqlCatalog):
    """Used from one thread. Each write is its own committed transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = connect(self.path)
        try:
            migrate(self.db, self.path, MIGRATIONS, "catalog")
        except BaseException:
            self.db.close()
            raise

    def transaction(self) -> AbstractContextManager[None]:
        return transaction(self.db)
