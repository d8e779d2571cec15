"""The catalog's SQL that SQLite and PostgreSQL both run: `SqlCatalog`, the base of
`SqliteCatalog` (crawler/store/sqlite_catalog.py) and `PostgresCatalog`
(crawler/store/postgres_catalog.py).

Statements are written once, with `?` placeholders and SQL both engines accept (upserts
with ON CONFLICT, `excluded.` and table-qualified columns, no `INSERT OR ...`); the
PostgreSQL connection adapter turns `?` into psycopg's `%s`. A backend provides `db` (with
`execute`/`executemany` returning cursors of dict rows), `transaction()`, and what only it
can do: opening and migrating, and the export watermark.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager

from crawler.store.catalog_schema import url_host

_CAPTURE_COLUMNS = (
    "record_id",
    "crawl_id",
    "url",
    "host",
    "fetched_at",
    "status",
    "content_type",
    "payload_digest",
    "warc_file",
    "warc_offset",
    "warc_length",
    "record_type",
    "refers_to",
    "etag",
    "last_modified",
    "kind",
)
_CAPTURE_OPTIONAL = {
    "content_type": None,
    "payload_digest": None,
    "record_type": "response",
    "refers_to": None,
    "etag": None,
    "last_modified": None,
    "kind": None,
}
# A record id seen before is replaced (the repair of a killed run writes its rows again).
# A record id seen before is replaced, but for a `kind` the new row does not know (a row
# rebuilt from the WARC file by the repair of a killed run): the crawl's own stays.
_INSERT_CAPTURE = (
    f"INSERT INTO captures ({','.join(_CAPTURE_COLUMNS)}) "
    f"VALUES ({','.join('?' * len(_CAPTURE_COLUMNS))}) ON CONFLICT (record_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _CAPTURE_COLUMNS if c not in ("record_id", "kind"))
    + ", kind = coalesce(excluded.kind, captures.kind)"
)
_BATCH = 500  # ids per IN (...): under SQLite's variable limit
# Tries of claim_version when other writers keep taking the next number meanwhile.
_CLAIM_TRIES = 50


def host_condition(column: str, site: str) -> tuple[str, tuple[str, str]]:
    """SQL for "`column` is the host `site` or one of its subdomains", and its parameters.
    LIKE wildcards in `site` are escaped: `%` and `_` match only themselves."""
    site = site.lower().strip(".")
    pattern = "%." + site.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"({column} = ? OR {column} LIKE ? ESCAPE '\\')", (site, pattern)


class SqlCatalog:
    """The `Catalog` methods whose SQL is the same on every backend. Used from one
    thread. Each write is its own committed transaction."""

    db: object  # sqlite3.Connection, or crawler.store.postgres_catalog.PgConnection

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def close(self) -> None:
        self.db.close()

    # -- runs, files, failures -----------------------------------------------------------

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

    def run_report(self, crawl_id: str) -> dict | None:
        """What finish_run stored for the run, or None (unknown, or not finished)."""
        row = self.db.execute("SELECT report FROM runs WHERE crawl_id=?", (crawl_id,)).fetchone()
        return json.loads(row["report"]) if row and row["report"] else None

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
    ) -> None:
        self.db.execute(
            "INSERT INTO files (key, kind, crawl_id, size, sha256, records, closed_at) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, "
            "crawl_id = excluded.crawl_id, size = excluded.size, sha256 = excluded.sha256, "
            "records = excluded.records, closed_at = excluded.closed_at",
            (key, kind, crawl_id, size, sha256, records, closed_at),
        )

    def registered_files(self, kind: str) -> dict[str, int]:
        """Key -> size of every registered (closed) file of `kind`: warc, cdxj, articles..."""
        return {
            row["key"]: row["size"]
            for row in self.db.execute("SELECT key, size FROM files WHERE kind=?", (kind,))
        }

    def add_failure(self, *, crawl_id: str, url: str, at: str, stage: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO failures (crawl_id, url, at, stage, reason) VALUES (?,?,?,?,?)",
            (crawl_id, url, at, stage, reason),
        )

    # -- captures ------------------------------------------------------------------------

    def add_captures(self, rows: list[dict]) -> None:
        """Capture rows (the `captures` columns but `host`, which comes from the URL), in
        one transaction. A record id seen before is replaced."""
        values = []
        for row in rows:
            row = {**_CAPTURE_OPTIONAL, **row, "host": url_host(row["url"])}
            values.append(tuple(row[c] for c in _CAPTURE_COLUMNS))
        if len(values) == 1:  # one statement in autocommit mode is its own transaction
            self.db.execute(_INSERT_CAPTURE, values[0])
            return
        with self.transaction():
            self.db.executemany(_INSERT_CAPTURE, values)

    def captures(
        self, *, crawl_id: str | None = None, record_ids: list[str] | None = None
    ) -> list[dict]:
        """Capture rows of one run, or with these WARC record ids; in fetch order."""
        if record_ids is None:
            return self.db.execute(
                "SELECT * FROM captures WHERE crawl_id=? ORDER BY fetched_at", (crawl_id,)
            ).fetchall()
        rows = []
        for start in range(0, len(record_ids), _BATCH):
            chunk = record_ids[start : start + _BATCH]
            rows += self.db.execute(
                f"SELECT * FROM captures WHERE record_id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
        return sorted(rows, key=lambda r: r["fetched_at"])

    def archived_urls(self, urls: list[str], *, need_article: bool = False) -> set[str]:
        """Those of `urls` archived in this catalog: with a capture whose HTTP status is a
        final answer (below 500; a 5xx or no response at all is worth another try). With
        `need_article`, a 200 HTML capture counts only with its article record: a run
        killed after the capture but before the article leaves the URL to fetch again (an
        HTML page with no article in it is fetched again too)."""
        found: set[str] = set()
        article = (
            " AND (c.status <> 200 OR NOT (lower(c.content_type) LIKE 'text/html%'"
            " OR lower(c.content_type) LIKE 'application/xhtml+xml%')"
            " OR EXISTS (SELECT 1 FROM articles a WHERE a.url = c.url"
            " OR a.warc_record_id = c.record_id))"
            if need_article
            else ""
        )
        for start in range(0, len(urls), _BATCH):
            chunk = urls[start : start + _BATCH]
            found.update(
                row["url"]
                for row in self.db.execute(
                    f"SELECT DISTINCT c.url FROM captures c WHERE c.status < 500 "
                    f"AND c.url IN ({','.join('?' * len(chunk))}){article}",
                    chunk,
                )
            )
        return found

    def last_full_capture(self, url: str) -> dict | None:
        """The newest 200 `response` record of `url` (the body a revisit refers to)."""
        return self.db.execute(
            "SELECT * FROM captures WHERE url=? AND status=200 AND record_type='response' "
            "ORDER BY fetched_at DESC LIMIT 1",
            (url,),
        ).fetchone()

    def latest_html_captures(self, site: str | None = None, since: str | None = None) -> list[dict]:
        """The newest 200 HTML capture of each URL fetched as an article (what `crawler
        reextract` re-derives; not hub pages), on host `site` or its subdomains, fetched at
        or after `since`; with the URL originally requested when an article record knows
        it. A capture of unknown kind (an older catalog, a row rebuilt from a WARC file)
        counts as an article when an article record has its URL or its WARC record."""
        on_site, site_params = host_condition("c.host", site) if site else ("1=1", ())
        after, since_params = ("c.fetched_at >= ?", (since,)) if since is not None else ("1=1", ())
        return self.db.execute(
            f"""
            SELECT c.url, c.record_id, c.warc_file, c.warc_offset, c.warc_length,
                   c.fetched_at, c.status, c.content_type, c.payload_digest,
                   (SELECT a.url FROM articles a WHERE a.warc_record_id = c.record_id
                    LIMIT 1) AS requested_url
            FROM captures c
            WHERE c.status = 200 AND {on_site}
              AND (c.content_type IS NULL OR lower(c.content_type) LIKE 'text/html%'
                   OR lower(c.content_type) LIKE 'application/xhtml+xml%')
              AND c.fetched_at = (SELECT max(c2.fetched_at) FROM captures c2
                                  WHERE c2.url = c.url AND c2.status = 200)
              AND (c.kind = 'article'
                   OR (c.kind IS NULL AND EXISTS (SELECT 1 FROM articles a
                                                  WHERE a.url = c.url
                                                     OR a.warc_record_id = c.record_id)))
              AND {after}
            ORDER BY c.fetched_at
            """,
            (*site_params, *since_params),
        ).fetchall()

    # -- articles ------------------------------------------------------------------------

    def claim_version(self, article_id: str, content_sha256: str) -> int:
        """The version number of this text of the article: the latest version's if it has
        this text, else the next number, claimed with INSERT ... ON CONFLICT DO NOTHING on
        `article_versions` (PRIMARY KEY (id, version)): two writers storing different texts
        of one article at once never get the same number; the loser reads again and takes
        the next. (A writer killed between the claim and its record leaves a number with
        no record: the next fetch of that text uses it, another text takes the next.)"""
        for _ in range(_CLAIM_TRIES):
            latest = self.db.execute(
                "SELECT version, content_sha256 FROM article_versions WHERE id=? "
                "ORDER BY version DESC LIMIT 1",
                (article_id,),
            ).fetchone()
            if latest is not None and latest["content_sha256"] == content_sha256:
                return latest["version"]
            version = 1 if latest is None else latest["version"] + 1
            cur = self.db.execute(
                "INSERT INTO article_versions (id, version, content_sha256) VALUES (?,?,?) "
                "ON CONFLICT (id, version) DO NOTHING",
                (article_id, version, content_sha256),
            )
            if cur.rowcount == 1:
                return version
        raise RuntimeError(
            f"article {article_id}: no version number claimed in {_CLAIM_TRIES} tries "
            "(other writers kept taking the next one)"
        )

    def add_article(self, record: dict, shard: str) -> None:
        """One article record written to `shard`. Its (id, version) is registered in
        `article_versions` too if it is not yet (a record from a shard: repair, rebuild)."""
        warc = record.get("warc") or {}
        with self.transaction():
            self.db.execute(
                "INSERT INTO article_versions (id, version, content_sha256) VALUES (?,?,?) "
                "ON CONFLICT (id, version) DO NOTHING",
                (record["id"], record["version"], record["content_sha256"]),
            )
            self._insert_article(
                (
                    record["id"],
                    record["version"],
                    record["crawl_id"],
                    record["url"],
                    record.get("canonical_url"),
                    record.get("site"),
                    record.get("title"),
                    record.get("published"),
                    record["fetched_at"],
                    record["content_sha256"],
                    record["word_count"],
                    shard,
                    warc.get("record_id"),
                )
            )

    def _insert_article(self, values: tuple) -> None:
        """Inside add_article's transaction (PostgreSQL orders the seqs here)."""
        self.db.execute(
            "INSERT INTO articles (id, version, crawl_id, url, canonical_url, site, title, "
            "published, fetched_at, content_sha256, word_count, shard, warc_record_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            values,
        )

    def has_article(self, article_id: str, version: int, content_sha256: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM articles WHERE id=? AND version=? AND content_sha256=? LIMIT 1",
                (article_id, version, content_sha256),
            ).fetchone()
            is not None
        )

    def latest_article(self, article_id: str) -> dict | None:
        """The row of the article's highest version (its latest fetch of that version)."""
        return self.db.execute(
            "SELECT * FROM articles WHERE id=? ORDER BY version DESC, seq DESC LIMIT 1",
            (article_id,),
        ).fetchone()

    def archived_articles(self) -> dict[str, dict]:
        """Requested URL -> {"fetched_at": of its latest article, "capture": the captures
        row of the response it came from, or None}. A site crawl skips (or conditionally
        refetches) these."""
        found = {}
        for values in self.db.execute(
            """
            SELECT a.url AS article_url, a.fetched_at AS article_fetched_at, c.*
            FROM articles a LEFT JOIN captures c ON c.record_id = a.warc_record_id
            WHERE a.seq = (SELECT max(a2.seq) FROM articles a2 WHERE a2.url = a.url)
            """
        ):
            url, fetched_at = values.pop("article_url"), values.pop("article_fetched_at")
            found[url] = {
                "fetched_at": fetched_at,
                "capture": values if values["record_id"] else None,
            }
        return found

    # -- what the dataset export reads ---------------------------------------------------

    def unregistered_shards(self) -> dict[str, int]:
        """Shards that article rows name but no `files` row registers, with their record
        counts: being written now, or left unfinished by a killed or stopped run."""
        return {
            row["shard"]: row["n"]
            for row in self.db.execute(
                "SELECT shard, count(*) AS n FROM articles WHERE shard NOT IN "
                "(SELECT key FROM files WHERE kind = 'articles') GROUP BY shard"
            )
        }

    def exportable_through_seq(self, skip_shards: Collection[str] = ()) -> tuple[int, int]:
        """(highest seq whose record and every earlier one sit in closed shards, how many
        records wait in shards still being written or left `.open` by a killed run).
        Unregistered shards in `skip_shards` (damaged ones, `export` reports them) do not
        hold the rest back."""
        skip = list(skip_shards)
        # `NOT IN ()` is SQLite's alone: no condition at all when nothing is skipped
        not_skipped = f" AND shard NOT IN ({','.join('?' * len(skip))})" if skip else ""
        first_open = self.db.execute(
            "SELECT min(seq) AS seq FROM articles WHERE shard NOT IN "
            "(SELECT key FROM files WHERE kind = 'articles')" + not_skipped,
            skip,
        ).fetchone()["seq"]
        if first_open is None:
            return self.db.execute("SELECT coalesce(max(seq), 0) AS seq FROM articles").fetchone()[
                "seq"
            ], 0
        waiting = self.db.execute(
            "SELECT count(*) AS n FROM articles WHERE seq >= ?" + not_skipped,
            (first_open, *skip),
        ).fetchone()["n"]
        return first_open - 1, waiting

    def first_record_of_each_version(
        self, after_seq: int, through_seq: int, site: str | None = None
    ) -> list[dict]:
        """Per (id, version), the row of the capture where that text first appeared, if
        that row's seq is in (after_seq, through_seq] (and its site is `site` or one of
        its subdomains); in seq order. A refetch with the same text is not a new version,
        so it is not exported again."""
        on_site, site_params = host_condition("lower(a.site)", site) if site else ("1=1", ())
        return self.db.execute(
            f"""
            SELECT a.* FROM articles a
            JOIN (SELECT id, version, min(seq) AS seq FROM articles
                  GROUP BY id, version) f ON a.seq = f.seq
            WHERE a.seq > ? AND a.seq <= ? AND {on_site}
            ORDER BY a.seq
            """,
            (after_seq, through_seq, *site_params),
        ).fetchall()

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
        with self.transaction():
            for site, article_id, keys in notes:
                cur = self.db.execute(
                    "INSERT INTO site_articles VALUES (?,?) ON CONFLICT DO NOTHING",
                    (site, article_id),
                )
                if cur.rowcount == 1:  # new to the catalog
                    for key in set(keys):
                        added[site, key] = added.get((site, key), 0) + 1
            if added:
                self.db.executemany(
                    "INSERT INTO paragraph_totals VALUES (?,?,?) ON CONFLICT (site, key) "
                    "DO UPDATE SET n = paragraph_totals.n + excluded.n",
                    sorted((site, key, n) for (site, key), n in added.items()),
                )

    def has_site_article(self, site: str, article_id: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM site_articles WHERE site=? AND article_id=?", (site, article_id)
            ).fetchone()
            is not None
        )

    def paragraph_counts(self, site: str, keys: list[str]) -> dict[str, int]:
        """In how many distinct articles of `site` each key appears."""
        counts: dict[str, int] = {}
        for chunk in _chunks(list(set(keys))):
            marks = ",".join("?" * len(chunk))
            counts.update(
                (row["key"], row["n"])
                for row in self.db.execute(
                    f"SELECT key, n FROM paragraph_totals WHERE site=? AND key IN ({marks})",
                    (site, *chunk),
                )
            )
        return counts

    def site_article_count(self, site: str) -> int:
        row = self.db.execute("SELECT n FROM site_totals WHERE site=?", (site,)).fetchone()
        return row["n"] if row else 0

    # -- extraction health per site (crawler/health.py) ----------------------------------

    def add_site_health(self, crawl_id: str, site: str, figures: dict) -> None:
        self.db.execute(
            "INSERT INTO site_health VALUES (?,?,"
            "(SELECT coalesce(max(seq), 0) + 1 FROM site_health),?,?,?,?,?,?,?) "
            "ON CONFLICT (crawl_id, site) DO UPDATE SET seq = excluded.seq, "
            "articles = excluded.articles, median_words = excluded.median_words, "
            "title_share = excluded.title_share, author_share = excluded.author_share, "
            "date_share = excluded.date_share, removed_share = excluded.removed_share, "
            "flags = excluded.flags",
            (
                crawl_id,
                site,
                figures["articles"],
                figures["median_words"],
                figures["title_share"],
                figures["author_share"],
                figures["date_share"],
                figures["removed_share"],
                json.dumps(figures.get("flags") or []),
            ),
        )

    def site_health_history(self, site: str, crawl_id: str, limit: int) -> list[dict]:
        """The figures of `site` in its last `limit` runs other than `crawl_id`."""
        return self.db.execute(
            "SELECT * FROM site_health WHERE site=? AND crawl_id != ? ORDER BY seq DESC LIMIT ?",
            (site, crawl_id, limit),
        ).fetchall()


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _BATCH):  # stay under SQLite's variable limit
        yield items[start : start + _BATCH]
