"""The SQLite catalog's schema as numbered migrations (`PRAGMA user_version`, applied by
crawler/store/sqlite_db.py): MIGRATIONS[n - 1] takes a catalog from version n - 1 to n.
A new column or table is a new function at the end of the list, never an edit of one
that has shipped."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from crawler.store.sqlite_db import add_missing_columns, split_statements
from crawler.store.upload_ledger import move_catalog_uploads

# Version 1: the tables of the catalogs made before user_version existed (less the
# upload ledger, which version 3 moves out). IF NOT EXISTS: such a catalog has them.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS captures (
    record_id      TEXT PRIMARY KEY,
    crawl_id       TEXT NOT NULL,
    url            TEXT NOT NULL,
    fetched_at     TEXT NOT NULL,
    status         INTEGER NOT NULL,
    content_type   TEXT,
    payload_digest TEXT,
    warc_file      TEXT NOT NULL,
    warc_offset    INTEGER NOT NULL,
    warc_length    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS captures_url ON captures (url, fetched_at);
CREATE TABLE IF NOT EXISTS articles (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL,
    version         INTEGER NOT NULL,
    crawl_id        TEXT NOT NULL,
    url             TEXT NOT NULL,
    canonical_url   TEXT,
    site            TEXT,
    title           TEXT,
    published       TEXT,
    fetched_at      TEXT NOT NULL,
    content_sha256  TEXT NOT NULL,
    word_count      INTEGER NOT NULL,
    shard           TEXT NOT NULL,
    warc_record_id  TEXT
);
CREATE INDEX IF NOT EXISTS articles_id ON articles (id, version);
CREATE INDEX IF NOT EXISTS articles_site ON articles (site, fetched_at);
CREATE TABLE IF NOT EXISTS failures (
    crawl_id   TEXT NOT NULL,
    url        TEXT NOT NULL,
    at         TEXT NOT NULL,
    stage      TEXT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    crawl_id   TEXT,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    records    INTEGER,
    closed_at  TEXT NOT NULL
);
-- learned site-level repeats: which normalised paragraphs appear in which articles
CREATE TABLE IF NOT EXISTS paragraphs (
    site       TEXT NOT NULL,
    key        TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (site, key, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_articles (
    site       TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (site, article_id)
) WITHOUT ROWID;
-- running totals of the two tables above, kept by triggers (which fire only for rows
-- really inserted, not for INSERT OR IGNORE duplicates): a count is one lookup, not a
-- scan of every article that has the paragraph (O(N) per article, O(N^2) per site)
CREATE TABLE IF NOT EXISTS paragraph_totals (
    site TEXT NOT NULL,
    key  TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (site, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_totals (
    site TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS paragraphs_total AFTER INSERT ON paragraphs BEGIN
    INSERT INTO paragraph_totals VALUES (NEW.site, NEW.key, 1)
        ON CONFLICT (site, key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS site_articles_total AFTER INSERT ON site_articles BEGIN
    INSERT INTO site_totals VALUES (NEW.site, 1)
        ON CONFLICT (site) DO UPDATE SET n = n + 1;
END;
CREATE TABLE IF NOT EXISTS runs (
    crawl_id    TEXT PRIMARY KEY,
    command     TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    report      TEXT
);
"""


def _version_1(db: sqlite3.Connection, path: Path) -> None:
    """The tables, plus what unversioned catalogs got on open as the code grew: the
    capture columns of site crawls (revisits, validators for conditional refetches) and
    the paragraph totals of catalogs older than their triggers."""
    for statement in split_statements(SCHEMA_1):
        db.execute(statement)
    add_missing_columns(
        db,
        "captures",
        [
            ("record_type", "TEXT NOT NULL DEFAULT 'response'"),
            ("refers_to", "TEXT"),
            ("etag", "TEXT"),
            ("last_modified", "TEXT"),
        ],
    )
    if db.execute("SELECT 1 FROM site_totals LIMIT 1").fetchone() is None:
        db.execute(
            "INSERT INTO paragraph_totals SELECT site, key, count(*) "
            "FROM paragraphs GROUP BY site, key"
        )
        db.execute("INSERT INTO site_totals SELECT site, count(*) FROM site_articles GROUP BY site")


def url_host(url: str) -> str:
    """The host a capture is filed under: lower case, no port, no trailing dot."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # an unparsable URL (bad port, bad IPv6 literal) has no host
        return ""


def _version_2(db: sqlite3.Connection, path: Path) -> None:
    """captures.host, so that a site filter is a WHERE clause, not a scan in Python."""
    add_missing_columns(db, "captures", [("host", "TEXT NOT NULL DEFAULT ''")])
    db.create_function("url_host", 1, url_host, deterministic=True)
    db.execute("UPDATE captures SET host = url_host(url)")


def _version_4(db: sqlite3.Connection, path: Path) -> None:
    """Extraction health per site and run (crawler/health.py); paragraph totals are now
    upserted directly (note_paragraphs_many), so the per-row trigger goes."""
    # One statement at a time: executescript() would commit the migration's transaction.
    db.execute("""
    CREATE TABLE IF NOT EXISTS site_health (
        crawl_id      TEXT NOT NULL,
        site          TEXT NOT NULL,
        seq           INTEGER NOT NULL,  -- order of writing: the latest runs are the highest
        articles      INTEGER NOT NULL,
        median_words  REAL NOT NULL,
        title_share   REAL NOT NULL,
        author_share  REAL NOT NULL,
        date_share    REAL NOT NULL,
        removed_share REAL NOT NULL,
        flags         TEXT NOT NULL,      -- JSON list of what jumped
        PRIMARY KEY (crawl_id, site)
    )""")
    db.execute("CREATE INDEX IF NOT EXISTS site_health_site ON site_health (site, seq)")
    db.execute("DROP TRIGGER IF EXISTS paragraphs_total")


# Version 5: the version numbers of each article, unique per (id, version), so that two
# writers storing different texts of one article at once cannot both take the next number
# (SqlCatalog.claim_version inserts with ON CONFLICT DO NOTHING). `articles` keeps one row
# per record written (a refetch of the same text is another row of the same version).
# Filled from the articles already catalogued, the first text of a version winning.
SCHEMA_5 = """
CREATE TABLE IF NOT EXISTS article_versions (
    id             TEXT NOT NULL,
    version        INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;
INSERT OR IGNORE INTO article_versions (id, version, content_sha256)
    SELECT id, version, content_sha256 FROM articles ORDER BY seq;
"""


def _version_6(db: sqlite3.Connection, path: Path) -> None:
    """captures.kind: what the crawl fetched the URL as (`article`, `hub`, `feed`,
    `sitemap`, ...), so that `crawler reextract` re-derives articles only from captures
    that were articles; NULL where not known (rows of older catalogs)."""
    add_missing_columns(db, "captures", [("kind", "TEXT")])


MIGRATIONS = [
    _version_1,
    _version_2,
    # 3: the upload ledger is the spool's, not the archive index's (uploads.sqlite)
    move_catalog_uploads,
    _version_4,
    SCHEMA_5,
    _version_6,
]
