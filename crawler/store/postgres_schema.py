"""The PostgreSQL catalog's schema as numbered migrations, and the migrator.

MIGRATIONS[n - 1] takes a catalog from version n - 1 to n; the versions applied are rows
of `catalog_schema`. Every node opening the catalog migrates it if need be: the migrator
holds a transaction-level advisory lock while it reads the version and applies what is
missing, so concurrent openers migrate once (the others wait, then find nothing to do),
and PostgreSQL's transactional DDL applies a version wholly or not at all.

The tables are those of the SQLite catalog (crawler/store/catalog_schema.py) at its
version 6, in PostgreSQL types: the same columns under the same names, so that the SQL of
crawler/store/sql_catalog.py runs on both. Times stay ISO 8601 text, as in SQLite: the
export and the site crawls compare them as text.
"""

from __future__ import annotations

from crawler.store.sqlite_db import SchemaVersionError

# pg_advisory_xact_lock keys: any constant the crawler alone uses in its database.
MIGRATION_LOCK = 0x63617461_6C6F6701  # "catalog" + 1
ARTICLE_SEQ_LOCK = 0x63617461_6C6F6702

SCHEMA_1 = """
CREATE TABLE captures (
    record_id      TEXT PRIMARY KEY,
    crawl_id       TEXT NOT NULL,
    url            TEXT NOT NULL,
    fetched_at     TEXT NOT NULL,
    status         INTEGER NOT NULL,
    content_type   TEXT,
    payload_digest TEXT,
    warc_file      TEXT NOT NULL,
    warc_offset    BIGINT NOT NULL,
    warc_length    BIGINT NOT NULL,
    record_type    TEXT NOT NULL DEFAULT 'response',
    refers_to      TEXT,
    etag           TEXT,
    last_modified  TEXT,
    host           TEXT NOT NULL DEFAULT '',
    kind           TEXT
);
CREATE INDEX captures_url ON captures (url, fetched_at);
CREATE INDEX captures_crawl ON captures (crawl_id);
CREATE INDEX captures_host ON captures (host);
-- seq: the export watermark, one sequence for every node (see PostgresCatalog on gaps)
CREATE TABLE articles (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
CREATE INDEX articles_id ON articles (id, version);
CREATE INDEX articles_site ON articles (site, fetched_at);
CREATE INDEX articles_url ON articles (url, seq);
CREATE INDEX articles_shard ON articles (shard);
CREATE INDEX articles_record ON articles (warc_record_id);
CREATE TABLE article_versions (
    id             TEXT NOT NULL,
    version        INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE failures (
    crawl_id   TEXT NOT NULL,
    url        TEXT NOT NULL,
    at         TEXT NOT NULL,
    stage      TEXT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE TABLE files (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    crawl_id   TEXT,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    records    BIGINT,
    closed_at  TEXT NOT NULL
);
CREATE TABLE site_articles (
    site       TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (site, article_id)
);
CREATE TABLE paragraph_totals (
    site TEXT NOT NULL,
    key  TEXT NOT NULL,
    n    BIGINT NOT NULL,
    PRIMARY KEY (site, key)
);
CREATE TABLE site_totals (
    site TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
);
-- the running total of site_articles, as SQLite's trigger keeps it: fires only for rows
-- really inserted (not for ON CONFLICT DO NOTHING duplicates)
CREATE FUNCTION site_articles_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO site_totals VALUES (NEW.site, 1)
        ON CONFLICT (site) DO UPDATE SET n = site_totals.n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER site_articles_total AFTER INSERT ON site_articles
    FOR EACH ROW EXECUTE FUNCTION site_articles_total();
CREATE TABLE runs (
    crawl_id    TEXT PRIMARY KEY,
    command     TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    report      TEXT
);
CREATE TABLE site_health (
    crawl_id      TEXT NOT NULL,
    site          TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    articles      INTEGER NOT NULL,
    median_words  DOUBLE PRECISION NOT NULL,
    title_share   DOUBLE PRECISION NOT NULL,
    author_share  DOUBLE PRECISION NOT NULL,
    date_share    DOUBLE PRECISION NOT NULL,
    removed_share DOUBLE PRECISION NOT NULL,
    flags         TEXT NOT NULL,
    PRIMARY KEY (crawl_id, site)
);
CREATE INDEX site_health_site ON site_health (site, seq);
"""

MIGRATIONS = [SCHEMA_1]


def migrate(conn, where: str, migrations: list[str] = MIGRATIONS) -> None:
    """Bring the catalog behind `conn` (a psycopg connection in autocommit mode, dict rows)
        to version
    len(migrations); `where` names it in errors (no password in it)."""
    latest = len(migrations)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS catalog_schema (version INTEGER PRIMARY KEY)")
        found = conn.execute(
            "SELECT coalesce(max(version), 0) AS v FROM catalog_schema"
        ).fetchone()["v"]
        if found > latest:
            raise SchemaVersionError(
                f"the catalog {where} has schema version {found}, but this crawler knows "
                f"versions up to {latest}: it was written by a newer crawler. Upgrade the "
                f"crawler, or give a different catalog; the database was not changed"
            )
        for number, step in enumerate(migrations, start=1):
            if number > found:
                conn.execute(step)  # no parameters: several statements in one go
                conn.execute("INSERT INTO catalog_schema VALUES (%s)", (number,))
