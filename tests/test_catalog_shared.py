"""The catalog with several writers: article versions claimed with a conflict rule (both
backends), the PostgreSQL export watermark that never passes a seq still in flight, and
PostgreSQL migrations that concurrent openers apply once."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crawler.store.catalog import SchemaVersionError, open_catalog
from tests.conftest import ROOT

# Each process stores `rounds` texts of one article, each claimed then written, as the
# article sink does (crawler/articles.py).
WRITER = """
import sys
from crawler.store.catalog import open_catalog
where, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
catalog = open_catalog(where)
for n in range(rounds):
    sha = f"{name}-{n}"
    version = catalog.claim_version("article-1", sha)
    catalog.add_article({"id": "article-1", "version": version, "crawl_id": name,
                         "url": "http://127.0.0.1/a", "fetched_at": f"t{n}",
                         "content_sha256": sha, "word_count": 1}, "shard-" + name)
catalog.close()
"""


@pytest.fixture(params=["sqlite", "postgres"])
def where(request, tmp_path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path
    return request.getfixturevalue("postgres_url")


def test_two_processes_storing_texts_of_one_article_get_distinct_versions(where):
    rounds = 40
    open_catalog(where).close()  # created (and migrated) before the race
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(where), name, str(rounds)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("node-a", "node-b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    catalog = open_catalog(where)
    try:
        rows = catalog.db.execute("SELECT version, content_sha256 FROM articles").fetchall()
        versions = catalog.db.execute(
            "SELECT version, content_sha256 FROM article_versions WHERE id = 'article-1'"
        ).fetchall()
    finally:
        catalog.close()
    # every text written once, each with a version of its own: exactly one text per
    # (id, version), and the numbers 1..80 with no gap
    assert len(rows) == 2 * rounds
    assert sorted(r["version"] for r in rows) == list(range(1, 2 * rounds + 1))
    assert {(r["version"], r["content_sha256"]) for r in rows} == {
        (v["version"], v["content_sha256"]) for v in versions
    }


def test_claim_version_same_text_same_number(where):
    catalog = open_catalog(where)
    try:
        assert catalog.claim_version("a", "h1") == 1
        assert catalog.claim_version("a", "h1") == 1  # a refetch of the same text
        assert catalog.claim_version("a", "h2") == 2
        assert catalog.claim_version("a", "h1") == 3  # back to the old text: a new version
        assert catalog.claim_version("b", "h1") == 1
    finally:
        catalog.close()


def article(n: int) -> dict:
    return {
        "id": f"a{n}",
        "version": 1,
        "crawl_id": "c",
        "url": f"http://127.0.0.1/{n}",
        "fetched_at": "t",
        "content_sha256": f"h{n}",
        "word_count": 1,
    }


def test_postgres_watermark_never_passes_a_seq_in_flight(postgres_url):
    """Writer A takes a seq and has not committed; writer B adds an article meanwhile. B
    must not become visible before A (its seq is higher): else an export seeing B would
    move its watermark past A's seq, and A's record would never be exported."""
    a, b, reader = (open_catalog(postgres_url) for _ in range(3))
    try:
        reader.add_file(
            key="s", kind="articles", crawl_id="c", size=1, sha256="x", records=2, closed_at="t"
        )
        a_inserted, a_commit = threading.Event(), threading.Event()

        def writer_a():
            with a.transaction():
                a._insert_article(tuple(_values(article(1))))
                a_inserted.set()
                a_commit.wait(30)

        thread_a = threading.Thread(target=writer_a)
        thread_a.start()
        assert a_inserted.wait(30)
        thread_b = threading.Thread(target=b.add_article, args=(article(2), "s"))
        thread_b.start()
        thread_b.join(1.5)
        seen_while_a_open = reader.exportable_through_seq()
        b_done_while_a_open = not thread_b.is_alive()
        a_commit.set()
        thread_a.join(30)
        thread_b.join(30)
        assert seen_while_a_open == (0, 0)
        assert not b_done_while_a_open  # B waited for A's commit
        assert reader.exportable_through_seq() == (2, 0)
        assert [r["id"] for r in reader.first_record_of_each_version(0, 2)] == ["a1", "a2"]
    finally:
        for catalog in (a, b, reader):
            catalog.close()


def _values(record: dict) -> list:
    return [
        record["id"],
        record["version"],
        record["crawl_id"],
        record["url"],
        None,
        None,
        None,
        None,
        record["fetched_at"],
        record["content_sha256"],
        record["word_count"],
        "s",
        None,
    ]


OPENER = """
import sys
from crawler.store.catalog import open_catalog
open_catalog(sys.argv[1]).close()
"""


def test_postgres_openers_together_migrate_once(postgres_url):
    import psycopg

    from crawler.store.postgres_schema import MIGRATIONS

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, postgres_url],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with psycopg.connect(postgres_url) as db:
        rows = db.execute("SELECT version FROM catalog_schema ORDER BY version").fetchall()
    assert [v for (v,) in rows] == list(range(1, len(MIGRATIONS) + 1))


def test_postgres_newer_schema_is_refused_untouched(postgres_url):
    import psycopg

    open_catalog(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("INSERT INTO catalog_schema VALUES (99)")
    with pytest.raises(SchemaVersionError, match=r"schema version 99.*newer crawler"):
        open_catalog(postgres_url)
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT max(version) FROM catalog_schema").fetchone() == (99,)


def test_sqlite_migration_5_registers_the_versions_already_catalogued(tmp_path):
    """Catalogs from before version 5: article_versions filled from `articles`, the first
    text of a version winning, so the next claim continues after the highest version."""
    from crawler.store.catalog_schema import MIGRATIONS
    from crawler.store.sqlite_db import connect, migrate

    path = tmp_path / "catalog.sqlite"
    db = connect(path)
    migrate(db, path, MIGRATIONS[:4], "catalog")
    for n, (version, sha) in enumerate([(1, "h1"), (1, "h1"), (2, "h2")]):
        db.execute(
            "INSERT INTO articles (id, version, crawl_id, url, fetched_at, content_sha256, "
            "word_count, shard) VALUES ('a', ?, 'c', 'u', ?, ?, 1, 's')",
            (version, f"t{n}", sha),
        )
    db.close()
    catalog = open_catalog(path)
    try:
        assert catalog.claim_version("a", "h2") == 2
        assert catalog.claim_version("a", "h3") == 3
    finally:
        catalog.close()


WITHOUT_PSYCOPG = """
import sys
sys.modules["psycopg"] = None  # not installed: importing it raises ImportError
from crawler.store.catalog import CatalogError, open_catalog
open_catalog(sys.argv[1]).close()
try:
    open_catalog("postgresql://127.0.0.1:1/x")
except CatalogError as exc:
    print(exc)
assert "psycopg" not in sys.modules or sys.modules["psycopg"] is None
"""


def test_the_sqlite_default_needs_no_psycopg(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "needs psycopg 3: pip install 'news-archive-crawler[postgres]'" in result.stdout
    assert (tmp_path / "catalog.sqlite").is_file()
