"""The catalog as an interface: numbered migrations in PRAGMA user_version (from the
unversioned catalogs of earlier releases, and refusing newer ones), the SQL site filter,
the batch insert of captures, and the upload ledger in its own file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.store.catalog import (
    CatalogError,
    SchemaVersionError,
    catalog_exists,
    open_catalog,
)
from crawler.store.catalog_schema import MIGRATIONS
from crawler.store.local import LocalStore
from crawler.store.sqlite_db import connect, migrate, user_version
from crawler.store.upload_ledger import open_ledger

# The schema of the unversioned catalogs (crawler/store/catalog.py before user_version),
# copied as it was: the fixture of "version 0".
SCHEMA_0 = """
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
# What the unversioned code's _migrate() added to captures on every open.
ADDED_0 = """
ALTER TABLE captures ADD COLUMN record_type TEXT NOT NULL DEFAULT 'response';
ALTER TABLE captures ADD COLUMN refers_to TEXT;
ALTER TABLE captures ADD COLUMN etag TEXT;
ALTER TABLE captures ADD COLUMN last_modified TEXT;
"""
TARGET = "s3://bucket/news"


def old_catalog(path: Path, *, added_columns: bool, uploads: bool = True) -> None:
    """A catalog as the unversioned code left it, with a row in every table; without
    the paragraph totals (a catalog from before they existed)."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_0 + (ADDED_0 if added_columns else ""))
    db.execute(
        "INSERT INTO captures (record_id, crawl_id, url, fetched_at, status, "
        "content_type, payload_digest, warc_file, warc_offset, warc_length) VALUES "
        "('<urn:1>', 'c1', 'http://WWW.Example.com:8080/a', '2026-01-01T00:00:00', "
        "200, 'text/html', 'sha1:X', 'warc/a.warc.gz', 10, 20)"
    )
    db.execute(
        "INSERT INTO articles (id, version, crawl_id, url, site, fetched_at, "
        "content_sha256, word_count, shard, warc_record_id) VALUES "
        "('art', 1, 'c1', 'http://www.example.com/a', 'www.example.com', "
        "'2026-01-01T00:00:00', 'h', 3, 'articles/s.jsonl.gz', '<urn:1>')"
    )
    db.execute("INSERT INTO failures VALUES ('c1', 'http://x/', 'now', 'fetch', 'HTTP 404')")
    db.execute(
        "INSERT INTO files VALUES ('articles/s.jsonl.gz', 'articles', 'c1', 5, 'abc', 1, 'now')"
    )
    db.execute(
        "INSERT INTO runs VALUES ('c1', 'crawler archive', 'then', 'now', '{\"archived\": 1}')"
    )
    db.executemany("INSERT INTO site_articles VALUES (?, ?)", [("s", "a1"), ("s", "a2")])
    db.executemany(
        "INSERT INTO paragraphs VALUES (?, ?, ?)",
        [("s", "k1", "a1"), ("s", "k1", "a2"), ("s", "k2", "a1")],
    )
    db.executescript(
        "DROP TRIGGER paragraphs_total; DROP TRIGGER site_articles_total; "
        "DROP TABLE paragraph_totals; DROP TABLE site_totals;"
    )
    if uploads:
        db.executemany(
            "INSERT INTO uploads VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (TARGET, "warc/a.warc.gz", "warc", 5, "s1", "t1", None, None, "S3 unreachable"),
                (TARGET, "runs/c1.json", "manifest", 2, "s2", "t2", "t3", "etag2", None),
            ],
        )
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


def tables(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        db.close()


def raw_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("added_columns", [True, False], ids=["latest", "oldest"])
def test_unversioned_catalog_migrates_keeping_its_data(tmp_path, added_columns):
    path = tmp_path / "catalog.sqlite"
    old_catalog(path, added_columns=added_columns)
    catalog = open_catalog(tmp_path)
    try:
        assert raw_version(path) == len(MIGRATIONS)
        [cap] = catalog.captures(crawl_id="c1")
        assert cap["url"] == "http://WWW.Example.com:8080/a"
        assert cap["host"] == "www.example.com"  # backfilled: lower case, no port
        assert cap["record_type"] == "response" and cap["etag"] is None
        assert (cap["warc_file"], cap["warc_offset"], cap["warc_length"]) == (
            "warc/a.warc.gz",
            10,
            20,
        )
        article = catalog.latest_article("art")
        assert (article["seq"], article["version"], article["warc_record_id"]) == (1, 1, "<urn:1>")
        assert catalog.run_report("c1") == {"archived": 1}
        assert catalog.exportable_through_seq() == (1, 0)  # its shard is in `files`
        # paragraph totals backfilled, and kept by the recreated triggers from now on
        assert catalog.paragraph_counts("s", ["k1", "k2"]) == {"k1": 2, "k2": 1}
        catalog.note_paragraphs("s", "a3", ["k2"])
        assert catalog.paragraph_counts("s", ["k2"]) == {"k2": 2}
        assert catalog.site_article_count("s") == 3
        # the next article gets the next seq (AUTOINCREMENT state survived)
        catalog.add_article(
            {
                "id": "art2",
                "version": 1,
                "crawl_id": "c2",
                "url": "http://www.example.com/b",
                "fetched_at": "t",
                "content_sha256": "h2",
                "word_count": 1,
            },
            "s2",
        )
        assert catalog.latest_article("art2")["seq"] == 2
    finally:
        catalog.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 1
    db.close()
    # the ledger left the catalog for the spool's own file, rows and state intact
    assert "uploads" not in tables(path)
    ledger = open_ledger(tmp_path)
    try:
        assert [e["key"] for e in ledger.pending_uploads(TARGET)] == ["warc/a.warc.gz"]
        assert ledger.pending_uploads(TARGET)[0]["last_error"] == "S3 unreachable"
        assert ledger.upload_entry(TARGET, "runs/c1.json")["etag"] == "etag2"
    finally:
        ledger.close()
    # opening again runs nothing twice
    open_catalog(path).close()
    assert raw_version(path) == len(MIGRATIONS)


def test_ledger_opened_before_the_catalog_adopts_the_old_rows(tmp_path):
    """`crawler upload` on an old spool opens the ledger, not the catalog, first."""
    old_catalog(tmp_path / "catalog.sqlite", added_columns=True)
    ledger = open_ledger(tmp_path)
    assert ledger.upload_keys(TARGET) == {"warc/a.warc.gz", "runs/c1.json"}
    ledger.mark_uploaded(
        target=TARGET, key="warc/a.warc.gz", sha256="s1", etag="e1", uploaded_at="t9"
    )
    ledger.close()
    # The catalog's own migration then drops its copy without undoing the ledger's news.
    open_catalog(tmp_path).close()
    assert "uploads" not in tables(tmp_path / "catalog.sqlite")
    ledger = open_ledger(tmp_path)
    try:
        assert ledger.pending_uploads(TARGET) == []
        assert ledger.upload_entry(TARGET, "warc/a.warc.gz")["uploaded_at"] == "t9"
    finally:
        ledger.close()


def test_local_store_catalog_gets_no_ledger_file(tmp_path):
    old_catalog(tmp_path / "catalog.sqlite", added_columns=True, uploads=False)
    open_catalog(LocalStore(tmp_path)).close()
    assert "uploads" not in tables(tmp_path / "catalog.sqlite")
    assert not (tmp_path / "uploads.sqlite").exists()
    # a new catalog never had the table
    open_catalog(tmp_path / "new" / "catalog.sqlite").close()
    assert "uploads" not in tables(tmp_path / "new" / "catalog.sqlite")


@pytest.mark.parametrize("opener", [open_catalog, open_ledger], ids=["catalog", "ledger"])
def test_a_newer_schema_is_refused_untouched(tmp_path, opener):
    name = "catalog.sqlite" if opener is open_catalog else "uploads.sqlite"
    db = sqlite3.connect(tmp_path / name)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(SchemaVersionError, match=r"schema version 99.*newer crawler"):
        opener(tmp_path)
    assert raw_version(tmp_path / name) == 99
    assert tables(tmp_path / name) == set()


def test_a_failing_migration_leaves_the_file_at_the_last_good_version(tmp_path):
    path = tmp_path / "x.sqlite"

    def broken(db, _path):
        db.execute("CREATE TABLE half (x)")
        raise RuntimeError("step 2 failed")

    steps = ["CREATE TABLE one (x);", broken, "CREATE TABLE three (x);"]
    db = connect(path)
    with pytest.raises(RuntimeError, match="step 2 failed"):
        migrate(db, path, steps, "test file")
    assert user_version(db) == 1
    db.close()
    assert tables(path) == {"one"}  # step 2's table was rolled back with it
    db = connect(path)
    migrate(db, path, [steps[0], "CREATE TABLE two (x);", steps[2]], "test file")
    assert user_version(db) == 3
    db.close()
    assert tables(path) == {"one", "two", "three"}


def capture(
    record_id: str, url: str, fetched_at: str = "2026-01-01T00:00:00+00:00", **extra
) -> dict:
    return {
        "record_id": record_id,
        "crawl_id": "c",
        "url": url,
        "fetched_at": fetched_at,
        "status": 200,
        "content_type": "text/html",
        "payload_digest": "d",
        "warc_file": "w.warc.gz",
        "warc_offset": 0,
        "warc_length": 1,
        "kind": "article",
        **extra,
    }


SITE_URLS = {
    "apex": "http://example.com/a",
    "sub": "https://news.Example.COM:8443/b",
    "deep": "http://a.b.example.com./c",
    "lookalike": "http://notexample.com/d",
    "suffix": "http://example.com.evil.org/e",
    "underscore": "http://a_b.org/f",
    "not_underscore": "http://sub.axb.org/g",
    "percent_host": "http://x.org/100%25",
}


@pytest.fixture(params=["sqlite", "postgres"])
def where(request, tmp_path) -> str | Path:
    """Where an empty catalog of each backend is: a folder (SQLite), or a fresh database
    of the test PostgreSQL server (tests/postgres_server.py)."""
    if request.param == "sqlite":
        return tmp_path
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def filled(where):
    catalog = open_catalog(where)
    catalog.add_captures([capture(name, url) for name, url in SITE_URLS.items()])
    yield catalog
    catalog.close()


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("example.com", {"apex", "sub", "deep"}),
        ("EXAMPLE.com.", {"apex", "sub", "deep"}),
        ("news.example.com", {"sub"}),
        ("b.example.com", {"deep"}),
        ("xample.com", set()),  # notexample.com is not a subdomain of it either
        ("notexample.com", {"lookalike"}),
        ("evil.org", {"suffix"}),
        ("a_b.org", {"underscore"}),  # `_` is a character here, not a wildcard
        ("%", set()),
        ("%.com", set()),
        ("_xample.com", set()),
        ("org", {"suffix", "underscore", "not_underscore", "percent_host"}),
        (None, set(SITE_URLS)),
    ],
)
def test_site_filter_is_host_or_subdomain(filled, site, expected):
    assert {c["record_id"] for c in filled.latest_html_captures(site)} == expected


def test_latest_html_captures_newest_of_each_url_since(where):
    catalog = open_catalog(where)
    try:
        catalog.add_captures(
            [
                capture("old", "http://example.com/a", "2026-01-01T00:00:00+00:00"),
                capture("new", "http://example.com/a", "2026-01-02T00:00:00+00:00"),
                capture("pdf", "http://example.com/r.pdf", content_type="application/pdf"),
                capture("other", "http://example.org/a", "2026-01-03T00:00:00+00:00"),
            ]
        )
        assert [c["record_id"] for c in catalog.latest_html_captures()] == ["new", "other"]
        assert [
            c["record_id"]
            for c in catalog.latest_html_captures("example.com", since="2026-01-01T12:00:00+00:00")
        ] == ["new"]
        assert catalog.latest_html_captures(since="2026-01-04") == []
        # rows are plain dicts: reextract notes a read error on the row itself
        row = catalog.latest_html_captures()[0]
        row["read_error"] = "x"
        assert row["requested_url"] is None
    finally:
        catalog.close()


def test_reextract_takes_only_captures_that_were_articles(where):
    catalog = open_catalog(where)
    try:
        catalog.add_captures(
            [
                capture("story", "http://127.0.0.1/2026/story.html"),
                capture("home", "http://127.0.0.1/", kind="hub"),
                capture("section", "http://127.0.0.1/world/", kind="hub"),
                # kind unknown (older catalogs, rows rebuilt from a WARC): an article if an
                # article record has the URL
                capture("old-story", "http://127.0.0.1/2025/old.html", kind=None),
                capture("old-hub", "http://127.0.0.1/politics/", kind=None),
            ]
        )
        record = {
            "id": "a1",
            "version": 1,
            "crawl_id": "c",
            "url": "http://127.0.0.1/2025/old.html",
            "fetched_at": "2026-01-01T00:00:00+00:00",
            "content_sha256": "0" * 64,
            "word_count": 1,
            "warc": {"record_id": "old-story"},
        }
        catalog.add_article(record, "articles/x.jsonl.gz")
        assert {c["record_id"] for c in catalog.latest_html_captures()} == {"story", "old-story"}
        # the repair of a killed run rebuilds a row without its kind: the crawl's stays
        catalog.add_captures([capture("home", "http://127.0.0.1/", kind=None, status=200)])
        assert [c["kind"] for c in catalog.captures(record_ids=["home"])] == ["hub"]
    finally:
        catalog.close()


def test_add_captures_is_one_transaction(where):
    import psycopg

    catalog = open_catalog(where)
    try:
        rows = [capture(f"r{n:04d}", f"http://h{n % 3}.example.com/{n}") for n in range(1200)]
        catalog.add_captures(rows)
        got = catalog.captures(record_ids=[r["record_id"] for r in rows])
        assert len(got) == 1200  # more than one IN (...) chunk
        assert {c["host"] for c in got} == {"h0.example.com", "h1.example.com", "h2.example.com"}
        assert got[0]["record_type"] == "response" and got[0]["refers_to"] is None
        # a revisit, then a batch with one bad row: none of that batch is written
        catalog.add_captures(
            [
                capture(
                    "rv",
                    "http://h0.example.com/0",
                    record_type="revisit",
                    refers_to="r0000",
                    etag='"e"',
                )
            ]
        )
        bad = [capture("b1", "http://x/"), {**capture("b2", "http://x/"), "status": None}]
        with pytest.raises((sqlite3.IntegrityError, psycopg.errors.IntegrityError)):
            catalog.add_captures(bad)
        assert catalog.captures(record_ids=["b1", "b2"]) == []
        assert catalog.captures(record_ids=["rv"])[0]["etag"] == '"e"'
        # the newest full response of a URL is what a revisit refers to
        assert catalog.last_full_capture("http://h0.example.com/0")["record_id"] == "r0000"
        assert len(catalog.captures(crawl_id="c")) == 1201
    finally:
        catalog.close()


def test_first_record_of_each_version_site_filter(where):
    catalog = open_catalog(where)
    base = {"crawl_id": "c", "fetched_at": "t", "content_sha256": "h", "word_count": 1}
    try:
        for n, site in enumerate(["example.com", "www.example.com", "notexample.com", None]):
            catalog.add_article(
                {**base, "id": f"a{n}", "version": 1, "url": f"http://{site}/", "site": site}, "s"
            )
        assert [r["id"] for r in catalog.first_record_of_each_version(0, 9)] == [
            "a0",
            "a1",
            "a2",
            "a3",
        ]
        assert [r["id"] for r in catalog.first_record_of_each_version(0, 9, "example.com")] == [
            "a0",
            "a1",
        ]
        assert [r["id"] for r in catalog.first_record_of_each_version(1, 9, "example.com")] == [
            "a1"
        ]
    finally:
        catalog.close()


def test_open_catalog_locations(tmp_path):
    assert not catalog_exists(tmp_path)
    open_catalog(LocalStore(tmp_path)).close()
    assert catalog_exists(tmp_path) and catalog_exists(tmp_path / "catalog.sqlite")
    catalog = open_catalog(f"sqlite://{tmp_path / 'catalog.sqlite'}")
    assert catalog.path == tmp_path / "catalog.sqlite"
    catalog.close()
    # a store folder not made yet is a folder, not the name of a catalog file
    open_catalog(tmp_path / "new-store").close()
    assert (tmp_path / "new-store" / "catalog.sqlite").is_file()
    # a PostgreSQL URL is a catalog of its own; one that cannot be reached says so
    with pytest.raises(CatalogError, match=r"catalog postgresql://u:\*\*\*@127.0.0.1:1/c.*connect"):
        open_catalog("postgresql://u:secret@127.0.0.1:1/c")
    with pytest.raises(CatalogError, match="unsupported scheme 'ftp'"):
        open_catalog("ftp://127.0.0.1/catalog.sqlite")


def test_ledger_exists_for_new_and_old_spools(tmp_path):
    from crawler.store.upload_ledger import ledger_exists

    new, old, empty = (LocalStore(tmp_path / name) for name in ("new", "old", "empty"))
    open_ledger(new).close()
    (tmp_path / "old").mkdir()
    old_catalog(tmp_path / "old" / "catalog.sqlite", added_columns=True)
    assert ledger_exists(new) and ledger_exists(old) and not ledger_exists(empty)
    assert not (tmp_path / "new" / "catalog.sqlite").exists()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_catalogs_implement_the_whole_interface(backend):
    """Every method of the Catalog protocol, with the same parameters, on SqliteCatalog
    and PostgresCatalog."""
    import inspect

    from crawler.store.catalog import Catalog
    from crawler.store.postgres_catalog import PostgresCatalog
    from crawler.store.sqlite_catalog import SqliteCatalog

    implementation = SqliteCatalog if backend == "sqlite" else PostgresCatalog

    wanted = {
        name
        for name, member in vars(Catalog).items()
        if callable(member) and not name.startswith("_")
    }
    assert {"add_captures", "latest_html_captures", "close"} <= wanted
    for name in wanted:
        assert inspect.signature(getattr(implementation, name)) == inspect.signature(
            getattr(Catalog, name)
        ), name


def test_processes_opening_an_old_catalog_together_migrate_it_once(tmp_path):
    """A scheduler and a crawl (or a crawl and its writer child) may open the same old
    catalog at the same moment: each step runs once, the ledger rows move once."""
    import subprocess
    import sys

    old_catalog(tmp_path / "catalog.sqlite", added_columns=False)
    script = (
        "import sys; from crawler.store.catalog import open_catalog; "
        "c = open_catalog(sys.argv[1]); print(len(c.captures(crawl_id='c1'))); c.close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=10)
    assert [(p.returncode, out.strip()) for p, (out, _err) in zip(procs, outputs, strict=True)] == [
        (0, "1")
    ] * 3, outputs
    assert raw_version(tmp_path / "catalog.sqlite") == len(MIGRATIONS)
    ledger = open_ledger(tmp_path)
    try:
        assert ledger.upload_keys(TARGET) == {"warc/a.warc.gz", "runs/c1.json"}
    finally:
        ledger.close()
