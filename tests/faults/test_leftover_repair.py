"""Repair at start (issue 12, "Killed processes"): what a run killed after a file closed
leaves is made whole by the next run, locally and in an S3 store's spool.

The kill window (after the writer closed a file, before the run registered and indexed
it) is reproduced exactly by undoing what the run did after the close: its `files` rows
(and, for S3, its upload-ledger row) and its `.cdxj` index."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from crawler.capture.cdxj import cdxj_lines
from tests.conftest import run_cli
from tests.s3_server import S3_ENV, MotoServer
from tests.warc_tools import warc_files


def _archive(*args: str) -> subprocess.CompletedProcess:
    done = run_cli("archive", *args, "--progress-interval", "0", env=S3_ENV)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done


def _unregister(root: Path, key: str, *, ledger: bool = False) -> None:
    """Undo what the run did after closing `key`: its files rows, its index (and ledger)."""
    db = sqlite3.connect(root / "catalog.sqlite")
    db.execute("DELETE FROM files WHERE key IN (?, ?)", (key, key + ".cdxj"))
    db.commit()
    db.close()
    (root / (key + ".cdxj")).unlink()
    if ledger:
        db = sqlite3.connect(root / "uploads.sqlite")
        db.execute("DELETE FROM uploads WHERE key IN (?, ?)", (key, key + ".cdxj"))
        db.commit()
        db.close()


def _files(root: Path) -> dict[str, dict]:
    db = sqlite3.connect(root / "catalog.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return {r["key"]: dict(r) for r in db.execute("SELECT * FROM files")}
    finally:
        db.close()


def _last_manifest(root: Path, stdout: str) -> dict:
    crawl_id = stdout.rsplit("run report runs/", 1)[1].split(".json", 1)[0]
    return json.loads((root / "runs" / f"{crawl_id}.json").read_text())


def test_closed_but_unregistered_warc_and_missing_index_are_repaired(site, tmp_path):
    store = tmp_path / "store"
    first, second, third = (site.url(p) for p in site.article_paths()[:3])
    _archive(first, "--store", str(store))
    (warc,) = warc_files(store)
    key = warc.relative_to(store).as_posix()
    _unregister(store, key)  # killed right after the WARC closed
    _archive(second, "--store", str(store))
    files = _files(store)
    assert files[key]["kind"] == "warc" and files[key]["size"] == warc.stat().st_size
    assert files[key + ".cdxj"]["kind"] == "cdxj"
    assert (store / (key + ".cdxj")).read_bytes() == cdxj_lines(warc)

    # A registered WARC whose index is gone, or was left empty: indexed again.
    (later,) = [w for w in warc_files(store) if w != warc]
    later_key = later.relative_to(store).as_posix()
    (store / (later_key + ".cdxj")).unlink()
    (store / (key + ".cdxj")).write_bytes(b"")
    done = _archive(third, "--store", str(store))
    for path in (warc, later):
        assert (path.parent / (path.name + ".cdxj")).read_bytes() == cdxj_lines(path)
    repaired = _last_manifest(store, done.stdout)["repaired_files"]
    assert {(r["key"], r["kind"]) for r in repaired} == {
        (key + ".cdxj", "cdxj"),
        (later_key + ".cdxj", "cdxj"),
    }


def test_closed_but_unregistered_shard_is_catalogued_and_registered(site, tmp_path):
    store = tmp_path / "store"
    first, second = (site.url(p) for p in site.article_paths()[:2])
    _archive(first, "--store", str(store))
    (shard,) = (store / "articles").rglob("*.jsonl.gz")
    key = shard.relative_to(store).as_posix()
    db = sqlite3.connect(store / "catalog.sqlite")  # killed between close and register
    db.execute("DELETE FROM files WHERE key=?", (key,))
    db.execute("DELETE FROM articles WHERE shard=?", (key,))
    db.commit()
    db.close()
    done = _archive(second, "--store", str(store))
    assert _files(store)[key]["kind"] == "articles"
    db = sqlite3.connect(store / "catalog.sqlite")
    assert db.execute("SELECT url FROM articles WHERE shard=?", (key,)).fetchall() == [(first,)]
    db.close()
    (entry,) = _last_manifest(store, done.stdout)["repaired_files"]
    assert entry == {"key": key, "kind": "articles", "unregistered": True, "catalogued": 1}


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


def test_spool_warc_never_queued_for_upload_is_indexed_and_uploaded(site, moto, tmp_path):
    bucket, spool = "unqueued", tmp_path / "spool"
    moto.create_bucket(bucket)
    s3 = ["--store", f"s3://{bucket}/news", "--s3-endpoint-url", moto.endpoint]
    s3 += ["--spool-dir", str(spool)]
    first, second = (site.url(p) for p in site.article_paths()[:2])
    # Files stay in the spool, so the first run's WARC can be put back in the kill window.
    _archive(first, *s3, "-s", "STORE_S3_KEEP_LOCAL=True")
    (warc,) = warc_files(spool)
    key = warc.relative_to(spool).as_posix()
    expected = cdxj_lines(warc)
    _unregister(spool, key, ledger=True)
    client = moto.client()
    for gone in (key, key + ".cdxj"):
        client.delete_object(Bucket=bucket, Key=f"news/{gone}")
    _archive(second, *s3)
    stored = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"news/{key}", f"news/{key}.cdxj"} <= stored
    index = client.get_object(Bucket=bucket, Key=f"news/{key}.cdxj")["Body"].read()
    assert index == expected and index
    assert {key, key + ".cdxj"} <= set(_files(spool))
