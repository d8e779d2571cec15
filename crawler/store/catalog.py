"""SQLite catalog: the ledger of what was captured when, and where it is stored.

One file, `catalog.sqlite`, at the store root. Every WARC response record gets a
`captures` row (URL, time, status, payload digest, WARC file/offset/length), every
article record an `articles` row, every URL a run could not archive a `failures` row,
every closed file a `files` row. WAL mode: readers (export, `sqlite3` by hand) never
block the crawl, and a killed process loses at most the transaction in flight.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

SCHEMA = """
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
-- the upload ledger of an S3 store (the catalog lives in its local spool directory):
-- a row per closed file; `uploaded_at` is set only once the object was verified in S3
CREATE TABLE IF NOT EXISTS uploads (
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
CREATE TABLE IF NOT EXISTS runs (
    crawl_id    TEXT PRIMARY KEY,
    command     TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    report      TEXT
);
"""


# Extraction health per site and run (crawler/health.py). A schema addition of issue 11,
# kept apart so that it can move into a numbered migration as it stands.
SITE_HEALTH_SCHEMA = """
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
);
CREATE INDEX IF NOT EXISTS site_health_site ON site_health (site, seq);
"""


# Site crawls: revisit records, and the validators for conditional refetches.
_CAPTURE_COLUMNS_ADDED = (
    ("record_type", "TEXT NOT NULL DEFAULT 'response'"),
    ("refers_to", "TEXT"),
    ("etag", "TEXT"),
    ("last_modified", "TEXT"),
)


class Catalog:
    """Used from one thread (the reactor's). Each write is its own committed transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: durable against process death (the kill -9 case);
        # only an OS crash can lose the last commits.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.executescript(SITE_HEALTH_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Columns and tables added after the first release; older catalogs get them on
        open."""
        if self.db.execute("SELECT 1 FROM site_totals LIMIT 1").fetchone() is None and \
                self.db.execute("SELECT 1 FROM site_articles LIMIT 1").fetchone():
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO paragraph_totals SELECT site, key, count(*) "
                            "FROM paragraphs GROUP BY site, key")
            self.db.execute("INSERT INTO site_totals SELECT site, count(*) "
                            "FROM site_articles GROUP BY site")
            self.db.execute("COMMIT")
        have = {row[1] for row in self.db.execute("PRAGMA table_info(captures)")}
        for column, decl in _CAPTURE_COLUMNS_ADDED:
            if column not in have:
                self.db.execute(f"ALTER TABLE captures ADD COLUMN {column} {decl}")

    def close(self) -> None:
        self.db.close()

    def add_capture(
        self, *, record_id: str, crawl_id: str, url: str, fetched_at: str, status: int,
        content_type: str | None, payload_digest: str | None, warc_file: str,
        warc_offset: int, warc_length: int, record_type: str = "response",
        refers_to: str | None = None, etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO captures (record_id, crawl_id, url, fetched_at, status, "
            "content_type, payload_digest, warc_file, warc_offset, warc_length, record_type, "
            "refers_to, etag, last_modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record_id, crawl_id, url, fetched_at, status, content_type, payload_digest,
             warc_file, warc_offset, warc_length, record_type, refers_to, etag,
             last_modified),
        )

    def last_full_capture(self, url: str) -> dict | None:
        """The newest 200 `response` record of `url` (the body a revisit refers to)."""
        cur = self.db.execute(
            "SELECT * FROM captures WHERE url=? AND status=200 AND record_type='response' "
            "ORDER BY fetched_at DESC LIMIT 1", (url,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None

    def archived_articles(self) -> dict[str, dict]:
        """Requested URL -> {"fetched_at": of its latest article, "capture": the captures
        row of the response it came from, or None}. A site crawl skips (or conditionally
        refetches) these."""
        cur = self.db.execute(
            """
            SELECT a.url AS article_url, a.fetched_at AS article_fetched_at, c.*
            FROM articles a LEFT JOIN captures c ON c.record_id = a.warc_record_id
            WHERE a.seq = (SELECT max(a2.seq) FROM articles a2 WHERE a2.url = a.url)
            """)
        cols = [c[0] for c in cur.description]
        found = {}
        for row in cur.fetchall():
            values = dict(zip(cols, row, strict=True))
            url, fetched_at = values.pop("article_url"), values.pop("article_fetched_at")
            found[url] = {"fetched_at": fetched_at,
                          "capture": values if values["record_id"] else None}
        return found

    def has_article(self, article_id: str, version: int, content_sha256: str) -> bool:
        return self.db.execute(
            "SELECT 1 FROM articles WHERE id=? AND version=? AND content_sha256=? LIMIT 1",
            (article_id, version, content_sha256)).fetchone() is not None

    def next_article_version(self, article_id: str, content_sha256: str) -> int:
        """Same text as the latest version: same number; changed text: one more."""
        row = self.db.execute(
            "SELECT version, content_sha256 FROM articles WHERE id=? "
            "ORDER BY version DESC, seq DESC LIMIT 1",
            (article_id,),
        ).fetchone()
        if row is None:
            return 1
        return row[0] if row[1] == content_sha256 else row[0] + 1

    def add_article(self, record: dict, shard: str) -> None:
        warc = record.get("warc") or {}
        self.db.execute(
            "INSERT INTO articles (id, version, crawl_id, url, canonical_url, site, title, "
            "published, fetched_at, content_sha256, word_count, shard, warc_record_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record["id"], record["version"], record["crawl_id"], record["url"],
             record.get("canonical_url"), record.get("site"), record.get("title"),
             record.get("published"), record["fetched_at"], record["content_sha256"],
             record["word_count"], shard, warc.get("record_id")),
        )

    def add_failure(self, *, crawl_id: str, url: str, at: str, stage: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO failures VALUES (?,?,?,?,?)", (crawl_id, url, at, stage, reason)
        )

    def add_file(self, *, key: str, kind: str, crawl_id: str, size: int, sha256: str,
                 records: int | None, closed_at: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?)",
            (key, kind, crawl_id, size, sha256, records, closed_at),
        )

    def start_run(self, crawl_id: str, command: str, started_at: str) -> None:
        self.db.execute(
            "INSERT INTO runs (crawl_id, command, started_at) VALUES (?,?,?)",
            (crawl_id, command, started_at),
        )

    def finish_run(self, crawl_id: str, finished_at: str, report: dict) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at=?, report=? WHERE crawl_id=?",
            (finished_at, json.dumps(report, sort_keys=True), crawl_id),
        )

    # -- upload ledger (S3 stores) ----------------------------------------------------------

    def queue_upload(self, *, target: str, key: str, kind: str, size: int, sha256: str,
                     queued_at: str) -> None:
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
        cur = self.db.execute(
            "SELECT key, kind, size, sha256, last_error FROM uploads "
            "WHERE target=? AND uploaded_at IS NULL ORDER BY queued_at, key", (target,))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def upload_keys(self, target: str) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT key FROM uploads WHERE target=?",
                                              (target,))}

    def upload_entry(self, target: str, key: str) -> dict | None:
        cur = self.db.execute("SELECT * FROM uploads WHERE target=? AND key=?", (target, key))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None

    def mark_uploaded(self, *, target: str, key: str, sha256: str, etag: str,
                      uploaded_at: str) -> None:
        # Guarded by sha256: a newer, different file under the key stays pending.
        self.db.execute(
            "UPDATE uploads SET uploaded_at=?, etag=?, last_error=NULL "
            "WHERE target=? AND key=? AND sha256=?", (uploaded_at, etag, target, key, sha256))

    def note_upload_error(self, *, target: str, key: str, error: str) -> None:
        self.db.execute("UPDATE uploads SET last_error=? WHERE target=? AND key=? "
                        "AND uploaded_at IS NULL", (error, target, key))

    # -- paragraph statistics for learned repeats ----------------------------------------

    def note_paragraphs(self, site: str, article_id: str, keys: list[str]) -> None:
        """Remember that `article_id` has these paragraphs: the first time only (a refetch,
        even with changed text, adds nothing: counts are of distinct articles)."""
        self.note_paragraphs_many([(site, article_id, keys)])

    def note_paragraphs_many(self, notes: list[tuple[str, str, list[str]]]) -> None:
        """`note_paragraphs` for many (site, article_id, keys), in one transaction. The
        totals are upserted directly, once per distinct key of the batch: one membership
        row per paragraph plus a trigger per row cost ~16 us a row, most of the crawler
        process's learned-repeats time (bench/learned_repeats.py)."""
        added: dict[tuple[str, str], int] = {}
        self.db.execute("BEGIN")
        try:
            for site, article_id, keys in notes:
                cur = self.db.execute("INSERT OR IGNORE INTO site_articles VALUES (?,?)",
                                      (site, article_id))
                if cur.rowcount == 1:  # new to the catalog
                    for key in set(keys):
                        added[site, key] = added.get((site, key), 0) + 1
            self.db.executemany(
                "INSERT INTO paragraph_totals VALUES (?,?,?) ON CONFLICT (site, key) "
                "DO UPDATE SET n = n + excluded.n",
                [(site, key, n) for (site, key), n in added.items()])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def has_site_article(self, site: str, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM site_articles WHERE site=? AND article_id=?",
                               (site, article_id)).fetchone() is not None

    def paragraph_counts(self, site: str, keys: list[str]) -> dict[str, int]:
        """In how many distinct articles of `site` each key appears."""
        counts: dict[str, int] = {}
        unique = list(set(keys))
        for start in range(0, len(unique), 500):  # stay under SQLite's variable limit
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            counts.update(self.db.execute(
                f"SELECT key, n FROM paragraph_totals WHERE site=? AND key IN ({marks})",
                (site, *chunk)).fetchall())
        return counts

    def site_article_count(self, site: str) -> int:
        row = self.db.execute("SELECT n FROM site_totals WHERE site=?", (site,)).fetchone()
        return row[0] if row else 0

    # -- extraction health per site (crawler/health.py) -------------------------------------

    def add_site_health(self, crawl_id: str, site: str, figures: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO site_health VALUES (?,?,"
            "(SELECT coalesce(max(seq), 0) + 1 FROM site_health),?,?,?,?,?,?,?)",
            (crawl_id, site, figures["articles"], figures["median_words"],
             figures["title_share"], figures["author_share"], figures["date_share"],
             figures["removed_share"], json.dumps(figures.get("flags") or [])))

    def site_health_history(self, site: str, crawl_id: str, limit: int) -> list[dict]:
        """The figures of `site` in its last `limit` runs other than `crawl_id`."""
        return self._dicts(
            "SELECT * FROM site_health WHERE site=? AND crawl_id != ? "
            "ORDER BY seq DESC LIMIT ?", (site, crawl_id, limit))

    def latest_html_captures(self, site: str | None = None, since: str | None = None
                             ) -> list[dict]:
        """The newest 200 HTML capture of each URL (what `crawler reextract` re-derives),
        with the URL originally requested when an article record knows it."""
        cur = self.db.execute(
            """
            SELECT c.url, c.record_id, c.warc_file, c.warc_offset, c.warc_length,
                   c.fetched_at, c.status, c.content_type, c.payload_digest,
                   (SELECT a.url FROM articles a WHERE a.warc_record_id = c.record_id
                    LIMIT 1) AS requested_url
            FROM captures c
            WHERE c.status = 200
              AND (c.content_type IS NULL OR lower(c.content_type) LIKE 'text/html%'
                   OR lower(c.content_type) LIKE 'application/xhtml+xml%')
              AND c.fetched_at = (SELECT max(c2.fetched_at) FROM captures c2
                                  WHERE c2.url = c.url AND c2.status = 200)
              AND (? IS NULL OR c.fetched_at >= ?)
            ORDER BY c.fetched_at
            """,
            (since, since),
        )
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        if site:
            from urllib.parse import urlsplit

            site = site.lower()
            rows = [r for r in rows if (urlsplit(r["url"]).hostname or "") in
                    (site,) or (urlsplit(r["url"]).hostname or "").endswith("." + site)]
        return rows

    # -- what the dataset export reads ---------------------------------------------------

    def exportable_through_seq(self) -> tuple[int, int]:
        """(highest seq whose record and every earlier one sit in closed shards, how many
        records wait in shards still being written or left `.open` by a killed run)."""
        first_open = self.db.execute(
            "SELECT min(seq) FROM articles WHERE shard NOT IN "
            "(SELECT key FROM files WHERE kind = 'articles')").fetchone()[0]
        if first_open is None:
            return self.db.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0], 0
        waiting = self.db.execute("SELECT count(*) FROM articles WHERE seq >= ?",
                                  (first_open,)).fetchone()[0]
        return first_open - 1, waiting

    def first_record_of_each_version(self, after_seq: int, through_seq: int) -> list[dict]:
        """Per (id, version), the row of the capture where that text first appeared, if
        that row's seq is in (after_seq, through_seq]; in seq order. A refetch with the
        same text is not a new version, so it is not exported again."""
        cur = self.db.execute(
            """
            SELECT a.* FROM articles a
            JOIN (SELECT id, version, min(seq) AS seq FROM articles
                  GROUP BY id, version) f ON a.seq = f.seq
            WHERE a.seq > ? AND a.seq <= ?
            ORDER BY a.seq
            """, (after_seq, through_seq))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def captures(self, *, crawl_id: str | None = None,
                 record_ids: list[str] | None = None) -> list[dict]:
        """Capture rows of one run, or with these WARC record ids; in fetch order."""
        if record_ids is not None:
            rows = []
            for start in range(0, len(record_ids), 500):  # SQLite's variable limit
                chunk = record_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows += self._dicts(f"SELECT * FROM captures WHERE record_id IN ({marks})",
                                    chunk)
            return sorted(rows, key=lambda r: r["fetched_at"])
        return self._dicts("SELECT * FROM captures WHERE crawl_id=? ORDER BY fetched_at",
                           (crawl_id,))

    def _dicts(self, sql: str, params) -> list[dict]:
        cur = self.db.execute(sql, tuple(params))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def latest_article(self, article_id: str) -> dict | None:
        cur = self.db.execute("SELECT * FROM articles WHERE id=? ORDER BY version DESC, "
                              "seq DESC LIMIT 1", (article_id,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None
