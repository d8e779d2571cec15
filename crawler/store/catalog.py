"""The catalog: the index of what was captured when, and where it is stored.

`Catalog` is the interface every caller uses; `open_catalog()` is the one way to get
one. The embedded default is one SQLite file at the store root (`SqliteCatalog`,
crawler/store/sqlite_catalog.py); a catalog shared by several machines is a PostgreSQL
database (`PostgresCatalog`, crawler/store/postgres_catalog.py, `--catalog
postgresql://...`). Both run the SQL of crawler/store/sql_catalog.py.

What is not here: the upload ledger of an S3 store's spool (which files still wait for
upload) belongs to one machine, not to the shared index: crawler/store/upload_ledger.py.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from crawler.fetch.credentials import redact_url
from crawler.store.local import LocalStore
from crawler.store.sqlite_catalog import SqliteCatalog
from crawler.store.sqlite_db import SchemaVersionError
from settings import CATALOG_FILENAME

__all__ = [
    "Catalog",
    "CatalogError",
    "SchemaVersionError",
    "catalog_exists",
    "catalog_location",
    "open_catalog",
]


POSTGRES_SCHEMES = ("postgresql", "postgres")


class CatalogError(ValueError):
    """A catalog location that cannot be used; the message says what to give instead."""


class Catalog(Protocol):
    """What the crawler, the commands and the export need from the index. Rows are plain
    dicts keyed by column name. Every write is committed when the method returns."""

    def close(self) -> None: ...

    # runs, files, failures
    def start_run(self, crawl_id: str, command: str, started_at: str) -> None: ...
    def finish_run(self, crawl_id: str, finished_at: str, report: dict) -> None: ...
    def run_report(self, crawl_id: str) -> dict | None: ...
    def add_file(
        self,
        *,
        key: str,
        kind: str,
        crawl_id: str,
        size: int,
        sha256: str,
        records: int | None,
        closed_at: str,
    ) -> None: ...
    def registered_files(self, kind: str) -> dict[str, int]: ...
    def add_failure(self, *, crawl_id: str, url: str, at: str, stage: str, reason: str) -> None: ...

    # captures: one row per WARC response or revisit record
    def add_captures(self, rows: list[dict]) -> None: ...
    def captures(
        self, *, crawl_id: str | None = None, record_ids: list[str] | None = None
    ) -> list[dict]: ...
    def last_full_capture(self, url: str) -> dict | None: ...
    def archived_urls(self, urls: list[str], *, need_article: bool = False) -> set[str]: ...
    def latest_html_captures(
        self, site: str | None = None, since: str | None = None
    ) -> list[dict]: ...

    # articles: one row per article record written to a shard
    def claim_version(self, article_id: str, content_sha256: str) -> int: ...
    def add_article(self, record: dict, shard: str) -> None: ...
    def has_article(self, article_id: str, version: int, content_sha256: str) -> bool: ...
    def latest_article(self, article_id: str) -> dict | None: ...
    def archived_articles(self) -> dict[str, dict]: ...

    # the dataset export
    def unregistered_shards(self) -> dict[str, int]: ...
    def exportable_through_seq(self, skip_shards: Collection[str] = ()) -> tuple[int, int]: ...
    def first_record_of_each_version(
        self, after_seq: int, through_seq: int, site: str | None = None
    ) -> list[dict]: ...

    # paragraph statistics of learned repeats (crawler.extract.repeats.ParagraphStats)
    def note_paragraphs(self, site: str, article_id: str, keys: list[str]) -> None: ...
    def paragraph_counts(self, site: str, keys: list[str]) -> dict[str, int]: ...
    def note_paragraphs_many(self, notes: list[tuple[str, str, list[str]]]) -> None: ...
    def has_site_article(self, site: str, article_id: str) -> bool: ...
    def site_article_count(self, site: str) -> int: ...

    # extraction health per site and run (crawler.health)
    def add_site_health(self, crawl_id: str, site: str, figures: dict) -> None: ...
    def site_health_history(self, site: str, crawl_id: str, limit: int) -> list[dict]: ...


def catalog_location(where: LocalStore | str | os.PathLike[str]) -> str | Path:
    """A PostgreSQL URL, or the SQLite file of `where`: a store's catalog URI if it was
    given one (CATALOG_URI, `--catalog`), else the file at the store's root (an S3 store:
    its spool); a `sqlite:///path` URI, a folder holding `catalog.sqlite` (also one not
    made yet: a path without a suffix), or the path of the file itself."""
    if isinstance(where, LocalStore):
        if not where.catalog_uri:
            return where.path(CATALOG_FILENAME)
        where = where.catalog_uri
    text = os.fspath(where)
    scheme = urlsplit(text).scheme if "://" in text else ""
    if scheme in POSTGRES_SCHEMES:
        return text
    if scheme == "sqlite":
        text = unquote(urlsplit(text).path)
    elif scheme:
        raise CatalogError(
            f"catalog {text!r} has unsupported scheme {scheme!r}; give a store, a "
            "folder, a .sqlite file, sqlite:///path or postgresql://user@host/database"
        )
    path = Path(text).expanduser()
    folder = path.is_dir() or (not path.exists() and not path.suffix)
    return path / CATALOG_FILENAME if folder else path


def _postgres():
    """crawler.store.postgres_catalog, or CatalogError when psycopg is not installed."""
    try:
        from crawler.store import postgres_catalog
    except ImportError as exc:
        raise CatalogError(
            "a postgresql:// catalog needs psycopg 3: pip install 'news-archive-crawler[postgres]'"
            f" ({exc})"
        ) from exc
    return postgres_catalog


def open_catalog(where: LocalStore | str | os.PathLike[str]) -> Catalog:
    """Open (creating or migrating it if need be) the catalog of `where`: a store, a
    folder, a file path or a catalog URI. SchemaVersionError if a newer crawler wrote it;
    CatalogError if `where` names no catalog this crawler can open (or reach)."""
    location = catalog_location(where)
    if isinstance(location, Path):
        return SqliteCatalog(location)
    postgres = _postgres()
    with _reaching(location, postgres):
        return postgres.PostgresCatalog(location)


def catalog_exists(where: LocalStore | str | os.PathLike[str]) -> bool:
    """Whether anything was ever archived into `where` (its catalog exists)."""
    location = catalog_location(where)
    if isinstance(location, Path):
        return location.exists()
    postgres = _postgres()
    with _reaching(location, postgres):
        return postgres.catalog_in(location)


@contextmanager
def _reaching(url: str, postgres) -> Iterator[None]:
    """A database that cannot be reached is a CatalogError naming it (no password)."""
    try:
        yield
    except postgres.psycopg.OperationalError as exc:
        raise CatalogError(f"catalog {redact_url(url)}: cannot connect: {exc}".strip()) from exc
