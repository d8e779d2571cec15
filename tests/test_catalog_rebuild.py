"""A PostgreSQL catalog end to end, node ids in names, and `crawler catalog rebuild`: the
store alone (local or S3 on a moto server) gives back the catalog that wrote it, and a
second machine with an empty spool exports from it."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from crawler.store.catalog import open_catalog
from tests.conftest import run_cli
from tests.s3_server import S3_ENV, MotoServer

PREFIX = "news"
EXTRA = ["/gzip/article.html", "/redirect/2", "/status/404"]


def archive(site, *store_args: str, node: str = "") -> dict:
    urls = [site.url(p) for p in site.article_paths() + EXTRA]
    result = run_cli(
        "archive",
        *urls,
        *store_args,
        "-s",
        "WARC_MAX_SIZE=8000",  # several WARC files
        "-s",
        "STORE_SHARD_MAX_RECORDS=2",  # several shards
        *(["-s", f"NODE_ID={node}"] if node else []),
        "--ignore-robots",
        env=S3_ENV,
        timeout=300,
    )
    # 1: the 404 is reported as a failure, the rest archived
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "FAILED" in result.stdout and "/status/404" in result.stdout
    return {"urls": urls, "result": result}


def tables(where) -> dict[str, list]:
    """The catalog's rows that a rebuild must give back, comparable across backends: seqs
    and closing times (new numbers, the manifest's time) left out, and what the crawl
    fetched a capture as (`kind`: no WARC record says; a rebuilt row's is unknown, which
    `reextract` reads as "an article if an article record names it")."""
    catalog = open_catalog(where)
    try:
        query = catalog.db.execute

        def rows(sql: str, drop=()) -> list:
            kept = [{k: v for k, v in r.items() if k not in drop} for r in query(sql).fetchall()]
            return sorted(kept, key=lambda r: json.dumps(r, sort_keys=True))

        return {
            "captures": rows("SELECT * FROM captures", drop=("kind",)),
            "articles": rows("SELECT * FROM articles", drop=("seq",)),
            "article_versions": rows("SELECT * FROM article_versions"),
            "runs": rows("SELECT * FROM runs"),
            "files": rows("SELECT * FROM files", drop=("closed_at",)),
            "failures": rows("SELECT crawl_id, url, stage, reason FROM failures"),
            "site_health": rows("SELECT * FROM site_health", drop=("seq",)),
        }
    finally:
        catalog.close()


def exported(store_args: list[str], dest: Path) -> list[dict]:
    result = run_cli("export", *store_args, "--to", str(dest), env=S3_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    records = []
    for part in sorted(dest.glob("*/part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            records += [json.loads(line) for line in fh]
    return sorted(records, key=lambda r: (r["id"], r["version"]))


def test_archive_and_export_with_a_postgres_catalog(site, tmp_path, postgres_url):
    store = tmp_path / "store"
    args = ["--store", str(store), "--catalog", postgres_url]
    archive(site, *args, node="node-7")
    assert not (store / "catalog.sqlite").exists()  # the catalog is the database
    (manifest_path,) = (store / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["node"] == "node-7"
    shards = sorted((store / "articles").rglob("*.jsonl.gz"))
    assert len(shards) >= 2
    assert all(f"{manifest['crawl_id']}-node-7-" in p.name for p in shards), shards
    catalog = open_catalog(postgres_url)
    try:
        assert catalog.run_report(manifest["crawl_id"]) == manifest["counts"]
        assert catalog.exportable_through_seq() == (manifest["counts"]["articles"], 0)
        ids = catalog.db.execute("SELECT DISTINCT id FROM articles").fetchall()
    finally:
        catalog.close()
    records = exported(args, tmp_path / "feed")
    assert sorted(r["id"] for r in records) == sorted(row["id"] for row in ids)
    assert len(records) >= 3
    # every record read back from the store's shards, its pointer from the PG catalog
    assert {r["url"] for r in records} <= set(site.url(p) for p in site.article_paths())
    # without --catalog the store has none of its own
    result = run_cli("export", "--store", str(store), "--to", str(tmp_path / "no"))
    assert result.returncode == 2 and "no catalog" in result.stderr


def test_a_postgres_url_given_to_a_command_is_checked_first(tmp_path):
    result = run_cli(
        "export", "--store", str(tmp_path), "--catalog", "mysql://x/y", "--to", str(tmp_path)
    )
    assert result.returncode == 2 and "unsupported scheme 'mysql'" in result.stderr


def test_rebuild_a_local_store_gives_back_its_catalog(site, tmp_path):
    store = tmp_path / "store"
    archive(site, "--store", str(store))
    before = tables(store)
    (store / "catalog.sqlite").rename(tmp_path / "written.sqlite")
    for wal in store.glob("catalog.sqlite-*"):
        wal.unlink()
    result = run_cli("catalog", "rebuild", "--store", str(store))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 runs" in result.stdout
    after = tables(store)
    assert after == before
    assert len(after["captures"]) >= 6 and len(after["articles"]) >= 3 and after["failures"]
    # a second rebuild would mix two catalogs: refused
    again = run_cli("catalog", "rebuild", "--store", str(store))
    assert again.returncode == 2 and "exists already" in again.stderr


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_archive(moto, site, tmp_path_factory):
    """An archive in S3 written by one machine, whose spool kept only the catalog."""
    bucket = "rebuild-archive"
    moto.create_bucket(bucket)
    spool = tmp_path_factory.mktemp("spool-a")
    store = ["--store", f"s3://{bucket}/{PREFIX}", "--s3-endpoint-url", moto.endpoint]
    archive(site, *store, "--spool-dir", str(spool))
    assert not list((spool / "warc").rglob("*.warc.gz"))  # all of it is in S3 only
    return {"store": store, "spool": spool}


def test_rebuild_from_s3_on_a_second_machine_and_export(s3_archive, tmp_path):
    store, written = s3_archive["store"], s3_archive["spool"]
    second = tmp_path / "spool-b"
    args = [*store, "--spool-dir", str(second)]
    result = run_cli("export", *args, "--to", str(tmp_path / "none"), env=S3_ENV)
    assert result.returncode == 2 and "nothing has been archived there" in result.stderr
    result = run_cli("catalog", "rebuild", *args, env=S3_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tables(second) == tables(written)
    # the second machine's export is the first one's
    assert exported(args, tmp_path / "b") == exported(
        [*store, "--spool-dir", str(written)], tmp_path / "a"
    )


def test_rebuild_from_s3_into_postgres(s3_archive, tmp_path, postgres_url):
    store, written = s3_archive["store"], s3_archive["spool"]
    args = [*store, "--spool-dir", str(tmp_path / "spool-c"), "--catalog", postgres_url]
    result = run_cli("catalog", "rebuild", *args, env=S3_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tables(postgres_url) == tables(written)
    records = exported(args, tmp_path / "feed")
    assert records and all(r["text"] for r in records)
    shutil.rmtree(tmp_path / "spool-c", ignore_errors=True)


@pytest.mark.parametrize("command", ["archive", "crawl", "schedule", "export", "reextract"])
def test_catalog_flag_reaches_the_store_of_every_command(command, tmp_path):
    """--catalog travels with the store (open_store), so every open_catalog(store) of the
    command opens it; `crawler schedule` passes it on to its crawls."""
    from crawler import cli
    from crawler.commands.options import plain_settings
    from crawler.commands.schedule import _child_args
    from crawler.store.catalog import catalog_location
    from crawler.store.uri import open_store

    url = "postgresql://crawler@127.0.0.1:5/news"
    extra = {"archive": ["http://127.0.0.1/a"], "crawl": ["site"], "export": ["--to", "x"]}
    args = cli.build_parser().parse_args(
        [command, *extra.get(command, []), "--store", str(tmp_path), "--catalog", url]
    )
    settings = plain_settings(args)
    assert settings.get("CATALOG_URI") == url
    store = open_store(settings.get("STORE_URI"), settings)
    assert catalog_location(store) == url
    assert catalog_location(open_store(str(tmp_path))) == tmp_path.resolve() / "catalog.sqlite"
    if command == "schedule":
        child = _child_args(args, settings)
        assert child[child.index("--catalog") + 1] == url
