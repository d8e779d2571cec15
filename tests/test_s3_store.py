"""S3 storage against a real S3 API server on loopback (moto in server mode, a subprocess).

End to end through the real CLI: objects, sizes and sha256 metadata against the run
manifest, WARC files read back from S3 with warcio, article pointers resolved with ranged
GETs; S3 stopped before and during a run (the crawl goes on, the run exits 1, nothing is
marked uploaded, `crawler upload` / the next run upload it); a multipart upload cut off
by the server dying and redone; two uploaders racing for one key.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.warc_reader import parse_record_member
from crawler.store.catalog import open_catalog
from crawler.store.s3 import S3Store
from crawler.store.s3_uploads import BackgroundUploads, S3Uploader
from crawler.store.upload_ledger import open_ledger
from crawler.store.uri import open_store
from tests.conftest import ROOT, run_cli
from tests.s3_server import FAKE_KEY_ID, FAKE_SECRET, S3_ENV, MotoServer

PREFIX = "news"
KEY_LAYOUT = re.compile(
    r"news/(warc/\d{4}/\d{2}/\d{2}/crawl-\d{17}-\d{5}-[^/]+\.warc\.gz(\.cdxj)?"
    r"|articles/\d{4}/\d{2}/\d{2}/[0-9TZ]+-[0-9a-f]{6}-[A-Za-z0-9._-]+-[0-9a-f]{6}-\d{5}"
    r"\.jsonl\.gz"
    r"|runs/[0-9TZ]+-[0-9a-f]{6}\.json)"
)


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def own_moto(tmp_path):
    """A server this test may kill and start again."""
    server = MotoServer(tmp_path / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def s3_env(monkeypatch):
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def store_args(server: MotoServer, bucket: str, spool: Path) -> list[str]:
    return [
        "--store",
        f"s3://{bucket}/{PREFIX}",
        "--s3-endpoint-url",
        server.endpoint,
        "--spool-dir",
        str(spool),
    ]


# Fail fast while S3 is down: one attempt, short connect timeout.
FAST_FAIL = ["-s", "STORE_S3_MAX_ATTEMPTS=1", "-s", "STORE_S3_CONNECT_TIMEOUT=2"]


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return run_cli(*args, env=S3_ENV, timeout=timeout)


def objects(server: MotoServer, bucket: str) -> dict[str, dict]:
    client = server.client()
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            head = client.head_object(Bucket=bucket, Key=obj["Key"])
            out[obj["Key"]] = {
                "size": obj["Size"],
                "sha256": head["Metadata"].get("sha256"),
                "etag": head["ETag"].strip('"'),
            }
    return out


def get_bytes(server: MotoServer, bucket: str, key: str) -> bytes:
    return server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def ledger(spool: Path) -> dict[str, dict]:
    db = sqlite3.connect(spool / "uploads.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return {r["key"]: dict(r) for r in db.execute("SELECT * FROM uploads")}
    finally:
        db.close()


def spool_files(spool: Path) -> dict[str, str]:
    """key -> sha256 of every data file in the spool (the catalog aside)."""
    out = {}
    for folder in ("warc", "articles", "runs"):
        for path in sorted((spool / folder).rglob("*")) if (spool / folder).exists() else []:
            if path.is_file():
                out[path.relative_to(spool).as_posix()] = sha256(path.read_bytes())
    return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def crawl_id_of(stdout: str) -> str:
    found = re.findall(r"runs/([0-9TZ]+-[0-9a-f]{6})\.json", stdout)
    assert found, stdout
    return found[-1]


# -- end to end --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archived_to_s3(moto, site, tmp_path_factory):
    bucket = "e2e-archive"
    moto.create_bucket(bucket)
    spool = tmp_path_factory.mktemp("spool")
    urls = [
        site.url(p)
        for p in site.article_paths()
        + ["/gzip/article.html", "/chunked/article.html", "/non-html/report.pdf", "/redirect/2"]
    ]
    # Small WARC files: several rotate (and upload) while the crawl is running. DEBUG
    # logging on: botocore must still not print signed headers.
    result = cli(
        "archive",
        *urls,
        *store_args(moto, bucket, spool),
        "-s",
        "WARC_MAX_SIZE=8000",
        "--log-level",
        "DEBUG",
        "--ignore-robots",
    )
    return {"bucket": bucket, "spool": spool, "urls": urls, "result": result}


def test_archive_to_s3_uploads_every_file_verified(archived_to_s3, moto):
    result, bucket, spool = (archived_to_s3[k] for k in ("result", "bucket", "spool"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"store s3://{bucket}/{PREFIX};" in result.stdout
    crawl_id = crawl_id_of(result.stdout)
    stored = objects(moto, bucket)
    manifest_key = f"{PREFIX}/runs/{crawl_id}.json"
    manifest_bytes = get_bytes(moto, bucket, manifest_key)
    manifest = json.loads(manifest_bytes)
    assert stored[manifest_key]["sha256"] == sha256(manifest_bytes)
    assert manifest["store"] == f"s3://{bucket}/{PREFIX}"
    assert manifest["upload"]["pending"] == []
    files = manifest["files"]
    assert sum(f["kind"] == "warc" for f in files) >= 3, files  # rotation happened
    assert any(f["kind"] == "articles" for f in files)
    # Exactly the run's files and its manifest, under the local key layout.
    assert set(stored) == {f"{PREFIX}/{f['key']}" for f in files} | {manifest_key}
    for key in stored:
        assert KEY_LAYOUT.fullmatch(key), key
    for f in files:
        obj = stored[f"{PREFIX}/{f['key']}"]
        assert (obj["size"], obj["sha256"]) == (f["size"], f["sha256"]), f
        assert sha256(get_bytes(moto, bucket, f"{PREFIX}/{f['key']}")) == f["sha256"]
    # The ledger says uploaded (with the ETag) only for what is there; the spool copies
    # are gone (STORE_S3_KEEP_LOCAL is off by default), the catalog stays.
    rows = ledger(spool)
    assert set(rows) == {f["key"] for f in files} | {f"runs/{crawl_id}.json"}
    for key, row in rows.items():
        assert row["uploaded_at"] and row["etag"] == stored[f"{PREFIX}/{key}"]["etag"], row
    assert spool_files(spool) == {}
    assert (spool / "catalog.sqlite").exists()


def test_export_and_wacz_read_from_s3_once_the_spool_is_empty(archived_to_s3, moto, tmp_path):
    bucket, spool = archived_to_s3["bucket"], archived_to_s3["spool"]
    assert spool_files(spool) == {}  # every shard and WARC is only in S3 now
    stored = objects(moto, bucket)
    # every WARC went up with its CDXJ index
    warcs = [k for k in stored if k.endswith(".warc.gz")]
    assert warcs and all(k + ".cdxj" in stored for k in warcs)
    dest, wacz = tmp_path / "feed", tmp_path / "s3.wacz"
    result = cli(
        "export", *store_args(moto, bucket, spool), "--to", str(dest), "--wet", "--wacz", str(wacz)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (manifest_path,) = dest.glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    with gzip.open(manifest_path.parent / "part-00000.jsonl.gz", "rt") as fh:
        records = [json.loads(line) for line in fh]
    assert manifest["store"] == f"s3://{bucket}/{PREFIX}"
    assert manifest["record_count"] == len(records) >= 3
    shards = {k for k in stored if "/articles/" in k}
    assert {r["crawl_id"] for r in records} and shards
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    import zipfile

    with zipfile.ZipFile(wacz) as zf:
        inside = {n for n in zf.namelist() if n.startswith("archive/")}
    assert inside == {"archive/" + r["warc"]["filename"].rsplit("/", 1)[-1] for r in records}


def test_incremental_export_to_an_s3_destination(archived_to_s3, moto, tmp_path):
    bucket, spool = archived_to_s3["bucket"], archived_to_s3["spool"]
    moto.create_bucket("feeds")
    args = [
        "export",
        *store_args(moto, bucket, spool),
        "--to",
        "s3://feeds/daily",
        "--incremental",
        "--format",
        "parquet",
    ]
    first = cli(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    again = cli(*args)
    assert again.returncode == 0 and "nothing new" in again.stdout, again.stdout + again.stderr
    stored = objects(moto, "feeds")
    (manifest_key,) = [k for k in stored if k.endswith("/manifest.json")]
    assert manifest_key.startswith("daily/") and manifest_key.count("/") == 2
    manifest = json.loads(get_bytes(moto, "feeds", manifest_key))
    folder = manifest_key.rsplit("/", 1)[0]
    assert set(stored) == {manifest_key} | {f"{folder}/{f['name']}" for f in manifest["files"]}
    import pyarrow.parquet as pq

    rows = 0
    for entry in manifest["files"]:
        data = get_bytes(moto, "feeds", f"{folder}/{entry['name']}")
        assert sha256(data) == entry["sha256"] == stored[f"{folder}/{entry['name']}"]["sha256"]
        if entry["kind"] == "records":  # the other file is the dataset card, README.md
            rows += pq.read_table(io.BytesIO(data)).num_rows
    assert rows == manifest["record_count"] > 0
    # the destination's bucket must exist: a clear failure, nothing half-claimed
    missing = cli("export", *store_args(moto, bucket, spool), "--to", "s3://no-such-bucket/x")
    assert missing.returncode == 1 and "cannot write to s3://no-such-bucket/x" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_warc_read_back_from_s3(archived_to_s3, moto):
    bucket = archived_to_s3["bucket"]
    targets = set()
    types = set()
    for key in objects(moto, bucket):
        if not key.endswith(".warc.gz"):
            continue
        for record in ArchiveIterator(io.BytesIO(get_bytes(moto, bucket, key))):
            types.add(record.rec_type)
            if record.rec_type == "response":
                targets.add(record.rec_headers.get_header("WARC-Target-URI"))
                record.content_stream().read()
    assert {"warcinfo", "request", "response"} <= types
    for url in archived_to_s3["urls"]:
        assert url in targets, url


def test_article_pointers_resolve_with_ranged_gets(archived_to_s3, moto):
    bucket, spool = archived_to_s3["bucket"], archived_to_s3["spool"]
    articles = []
    for key in objects(moto, bucket):
        if key.endswith(".jsonl.gz"):
            text = gzip.decompress(get_bytes(moto, bucket, key)).decode("utf-8")
            articles += [json.loads(line) for line in text.splitlines()]
    assert len(articles) >= 4
    # The spool copies are deleted, so this S3Store reads with ranged GETs.
    store = open_store(
        f"s3://{bucket}/{PREFIX}",
        Settings({"STORE_SPOOL_DIR": str(spool), "STORE_S3_ENDPOINT_URL": moto.endpoint}),
    )
    with pytest.MonkeyPatch.context() as mp:
        for name, value in S3_ENV.items():
            mp.setenv(name, value)
        for article in articles:
            ptr = article["warc"]
            assert not store.path(ptr["filename"]).exists()
            record = parse_record_member(
                store.read_range(ptr["filename"], ptr["offset"], ptr["length"])
            )
            assert record.rec_headers.get_header("WARC-Record-ID") == ptr["record_id"]
            assert record.rec_headers.get_header("WARC-Target-URI") == article["final_url"]


def test_no_credentials_in_logs(archived_to_s3):
    result = archived_to_s3["result"]
    output = result.stdout + result.stderr
    assert "DEBUG" in output  # the run did log at DEBUG
    assert FAKE_SECRET not in output
    assert FAKE_KEY_ID not in output
    assert "Authorization" not in output


def test_reextract_reads_warc_records_from_s3(archived_to_s3, moto):
    bucket, spool = archived_to_s3["bucket"], archived_to_s3["spool"]
    before = set(objects(moto, bucket))
    result = cli("reextract", *store_args(moto, bucket, spool), "--workers", "1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    match = re.search(
        r"reextract: (\d+) captures, (\d+) new article versions, "
        r"(\d+) unchanged, (\d+) failed",
        result.stdout,
    )
    assert match, result.stdout
    captures, _, _, failed = map(int, match.groups())
    assert captures >= 4 and failed == 0
    # Its own run manifest went to S3 too.
    new = set(objects(moto, bucket)) - before
    assert f"{PREFIX}/runs/{crawl_id_of(result.stdout)}.json" in new


# -- S3 failing --------------------------------------------------------------------------


def test_s3_down_for_a_whole_run_then_next_run_uploads(own_moto, site, tmp_path):
    bucket, spool = "down-bucket", tmp_path / "spool"
    own_moto.create_bucket(bucket)
    own_moto.stop()
    urls = [site.url(p) for p in site.article_paths()[:2]]
    result = cli("archive", *urls, *store_args(own_moto, bucket, spool), *FAST_FAIL)
    # The crawl itself went on: every URL archived; the run still fails, and says why.
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    for url in urls:
        assert re.search(rf"^archived +200 +{re.escape(url)} ", result.stdout, re.M), url
    hint = (
        f"run `crawler upload --store s3://{bucket}/{PREFIX} --s3-endpoint-url "
        f"{own_moto.endpoint} --spool-dir {spool.resolve()}` to retry"
    )
    line = next(ln for ln in result.stdout.splitlines() if "not uploaded" in ln)
    assert re.match(rf"\d+ files not uploaded to s3://{bucket}/{PREFIX}: S3 unreachable", line)
    assert hint in line
    assert "Traceback" not in result.stderr
    # Everything is in the spool, nothing marked uploaded.
    kept = spool_files(spool)
    first_id = crawl_id_of(result.stdout)
    assert f"runs/{first_id}.json" in kept
    assert any(k.startswith("warc/") for k in kept) and any(k.startswith("articles/") for k in kept)
    rows = ledger(spool)
    assert set(rows) == set(kept)
    assert all(r["uploaded_at"] is None and r["last_error"] for r in rows.values())
    assert line.startswith(f"{len(kept)} files not uploaded")
    manifest = json.loads((spool / f"runs/{first_id}.json").read_text())
    assert {p["key"] for p in manifest["upload"]["pending"]} == set(kept) - {
        f"runs/{first_id}.json"
    }

    # The hinted command, as printed, while S3 is still down: it finds the files (the
    # spool is in the hint) and fails clearly, still nothing lost.
    hinted = shlex.split(re.search(r"run `([^`]+)` to retry", line).group(1))
    assert hinted[:2] == ["crawler", "upload"]
    retry = cli(*hinted[1:], *FAST_FAIL)
    assert retry.returncode == 1
    assert (
        f"{len(kept)} files not uploaded to s3://{bucket}/{PREFIX}: S3 unreachable" in retry.stderr
    )
    assert spool_files(spool) == kept

    # S3 is back (moto starts empty: the bucket again); the next run uploads the
    # leftovers along with its own files.
    own_moto.start()
    own_moto.create_bucket(bucket)
    second = cli("archive", site.url(site.article_paths()[2]), *store_args(own_moto, bucket, spool))
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = objects(own_moto, bucket)
    for key, digest in kept.items():
        assert stored[f"{PREFIX}/{key}"]["sha256"] == digest, key
        assert sha256(get_bytes(own_moto, bucket, f"{PREFIX}/{key}")) == digest
    assert f"{PREFIX}/runs/{crawl_id_of(second.stdout)}.json" in stored
    assert all(r["uploaded_at"] for r in ledger(spool).values())
    assert spool_files(spool) == {}
    again = cli("upload", *store_args(own_moto, bucket, spool))
    assert again.returncode == 0 and "0 uploaded and verified, 0 still pending" in again.stdout


def test_s3_dies_mid_run_crawl_goes_on(own_moto, site, tmp_path):
    bucket, spool = "midrun-bucket", tmp_path / "spool"
    own_moto.create_bucket(bucket)
    slow = site.url("/slow?delay=6")
    urls = [site.url(p) for p in site.article_paths()] + [slow]
    # Every WARC record rotates the file: early files upload while `slow` is pending.
    args = [
        "archive",
        *urls,
        *store_args(own_moto, bucket, spool),
        *FAST_FAIL,
        "-s",
        "WARC_MAX_SIZE=2000",
        "-s",
        "STORE_S3_KEEP_LOCAL=true",
        "--ignore-robots",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        env={**os.environ, **S3_ENV, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen: dict = {}
        deadline = time.monotonic() + 30
        while not any(k.endswith(".warc.gz") for k in seen) and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = objects(own_moto, bucket)
        assert seen, "no upload happened while the crawl ran"
        own_moto.stop()
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 1, stdout + stderr[-3000:]
    assert re.search(rf"^archived +200 +{re.escape(slow)} ", stdout, re.M), stdout
    assert f"files not uploaded to s3://{bucket}/{PREFIX}: S3 unreachable" in stdout
    rows = ledger(spool)
    uploaded = {k for k, r in rows.items() if r["uploaded_at"]}
    pending = {k for k, r in rows.items() if not r["uploaded_at"]}
    assert {k.removeprefix(f"{PREFIX}/") for k in seen} <= uploaded
    assert f"runs/{crawl_id_of(stdout)}.json" in pending
    assert any(k.startswith("warc/") for k in pending)  # the file holding `slow`
    kept = spool_files(spool)
    assert set(rows) == set(kept)  # STORE_S3_KEEP_LOCAL: uploaded copies stay too

    own_moto.start()
    own_moto.create_bucket(bucket)
    result = cli("upload", *store_args(own_moto, bucket, spool))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(pending)} uploaded and verified, 0 still pending" in result.stdout
    stored = objects(own_moto, bucket)
    assert {k.removeprefix(f"{PREFIX}/") for k in stored} == pending
    for key in pending:
        assert stored[f"{PREFIX}/{key}"]["sha256"] == kept[key]
    assert all(r["uploaded_at"] for r in ledger(spool).values())


# -- multipart and races (the uploader in this process, S3 still a real server) -----------

PART = 5 * 1024 * 1024


def make_store(server: MotoServer, bucket: str, spool: Path, **settings) -> S3Store:
    values = {
        "STORE_SPOOL_DIR": str(spool),
        "STORE_S3_ENDPOINT_URL": server.endpoint,
        "STORE_S3_PART_SIZE": PART,
        **settings,
    }
    return open_store(f"s3://{bucket}/{PREFIX}", Settings(values))


def spool_file(store: S3Store, key: str, data: bytes) -> None:
    """A closed file in the spool, ledgered as pending (what ArchiveRun.file_closed does)."""
    path = store.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    ledger = open_ledger(store)
    try:
        ledger.queue_upload(
            target=store.uri,
            key=key,
            kind="warc",
            size=len(data),
            sha256=sha256(data),
            queued_at="2026-01-01T00:00:00+00:00",
        )
    finally:
        ledger.close()


def test_multipart_upload_cut_off_then_redone(own_moto, tmp_path, s3_env):
    bucket = "multipart-bucket"
    own_moto.create_bucket(bucket)
    data = os.urandom(3 * PART + 12345)  # 4 parts
    key = "warc/2026/01/01/crawl-20260101000000000-00000-test.warc.gz"
    # One part at a time at 4 MiB/s: the upload takes ~4 s, long enough to kill S3 in it.
    store = make_store(
        own_moto,
        bucket,
        tmp_path / "spool",
        STORE_S3_CONCURRENCY=1,
        STORE_S3_MAX_BANDWIDTH=4 * 1024 * 1024,
        STORE_S3_MAX_ATTEMPTS=1,
        STORE_S3_CONNECT_TIMEOUT=2,
        STORE_S3_READ_TIMEOUT=5,
    )
    spool_file(store, key, data)
    uploader = S3Uploader(store)
    results = []
    thread = threading.Thread(target=lambda: results.append(uploader.upload(key)))
    thread.start()
    try:
        client = own_moto.client()
        parts = 0
        deadline = time.monotonic() + 20
        while parts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                parts = len(
                    client.list_parts(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    ).get("Parts", [])
                )
        assert 1 <= parts < 4, parts  # killed mid-multipart
        own_moto.stop()
    finally:
        thread.join(timeout=120)
    uploader.close_thread_ledger()
    assert not thread.is_alive()
    [result] = results
    assert not result.ok and result.s3_unavailable, result
    row = ledger(store.root)[key]
    assert row["uploaded_at"] is None and "unreachable" in row["last_error"]
    assert store.path(key).read_bytes() == data

    own_moto.start()
    own_moto.create_bucket(bucket)
    redo = cli(
        "upload", *store_args(own_moto, bucket, store.root), "-s", f"STORE_S3_PART_SIZE={PART}"
    )
    assert redo.returncode == 0, redo.stdout + redo.stderr
    obj = objects(own_moto, bucket)[f"{PREFIX}/{key}"]
    assert obj["etag"].endswith("-4")  # a 4-part multipart upload
    assert obj["sha256"] == sha256(data)
    assert get_bytes(own_moto, bucket, f"{PREFIX}/{key}") == data
    assert ledger(store.root)[key]["uploaded_at"]
    assert not store.path(key).exists()


def race(stores: list[S3Store], key: str) -> list:
    """Upload `key` from every store at once (each its own spool and ledger: two
    machines writing the same prefix)."""
    barrier = threading.Barrier(len(stores))
    results: list = [None] * len(stores)

    def one(i: int) -> None:
        uploader = S3Uploader(stores[i])
        barrier.wait(timeout=30)
        try:
            results[i] = uploader.upload(key)
        finally:
            uploader.close_thread_ledger()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def versions(server: MotoServer, bucket: str, key: str) -> list[dict]:
    listing = server.client().list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in listing.get("Versions", []) if v["Key"] == key]


@pytest.mark.parametrize("size", [1000, 2 * PART + 1], ids=["single-put", "multipart"])
def test_two_uploaders_race_same_content(moto, tmp_path, s3_env, size):
    bucket = f"race-same-{size}"
    moto.create_bucket(bucket, versioned=True)  # every write would leave a version
    data = os.urandom(size)
    key = "articles/2026/01/01/race-00000.jsonl.gz"
    stores = [make_store(moto, bucket, tmp_path / f"spool{i}") for i in range(2)]
    for store in stores:
        spool_file(store, key, data)
    results = race(stores, key)
    assert all(r.ok for r in results), results
    assert sorted(r.already_there for r in results) == [False, True]  # one wrote
    assert len(versions(moto, bucket, f"{PREFIX}/{key}")) == 1
    assert get_bytes(moto, bucket, f"{PREFIX}/{key}") == data
    for store in stores:
        assert ledger(store.root)[key]["uploaded_at"]


@pytest.mark.parametrize("size", [1000, 2 * PART + 1], ids=["single-put", "multipart"])
def test_two_uploaders_race_different_content(moto, tmp_path, s3_env, size):
    bucket = f"race-diff-{size}"
    moto.create_bucket(bucket, versioned=True)
    key = "warc/2026/01/01/crawl-20260101000000000-00000-race.warc.gz"
    contents = [os.urandom(size), os.urandom(size)]
    stores = [make_store(moto, bucket, tmp_path / f"spool{i}") for i in range(2)]
    for store, data in zip(stores, contents, strict=True):
        spool_file(store, key, data)
    results = race(stores, key)
    winners = [i for i, r in enumerate(results) if r.ok]
    assert len(winners) == 1, results
    loser = 1 - winners[0]
    error = results[loser].error
    assert "already exists with different content" in error and "not overwritten" in error
    assert sha256(contents[loser]) in error and not results[loser].s3_unavailable
    # One write; it holds the winner's bytes; the loser keeps its file, pending.
    assert len(versions(moto, bucket, f"{PREFIX}/{key}")) == 1
    assert get_bytes(moto, bucket, f"{PREFIX}/{key}") == contents[winners[0]]
    assert stores[loser].path(key).read_bytes() == contents[loser]
    row = ledger(stores[loser].root)[key]
    assert row["uploaded_at"] is None and "different content" in row["last_error"]


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["archive", "http://127.0.0.1:1/x", "--store", "s3://Bad_Bucket/x"],
            "is not an S3 bucket name",
        ),
        (
            [
                "archive",
                "http://127.0.0.1:1/x",
                "--store",
                "s3://good-bucket/x",
                "--s3-endpoint-url",
                "127.0.0.1:9000",
            ],
            "must start with http:// or https://",
        ),
        (
            [
                "archive",
                "http://127.0.0.1:1/x",
                "--store",
                "s3://good-bucket/x",
                "-s",
                "STORE_S3_PART_SIZE=1000",
            ],
            "below S3's minimum part size",
        ),
        (["upload", "--store", "./somewhere"], "is a local store: nothing to upload"),
        # a spool no run used (a wrong --spool-dir) is an error, not "nothing pending"
        (
            ["upload", "--store", "s3://good-bucket/x", "--s3-endpoint-url", "http://127.0.0.1:1"],
            "no upload ledger (and no catalog) in spool",
        ),
    ],
)
def test_bad_s3_input_is_a_usage_error(args, message, tmp_path):
    result = cli(*args, "--spool-dir", str(tmp_path / "spool"), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_background_uploads_catch_up_when_s3_returns(own_moto, tmp_path, s3_env):
    """During a run: files closed while S3 is down stay pending; the first upload that
    works again brings them along, without waiting for the end of the run."""
    bucket = "catch-up-bucket"
    own_moto.create_bucket(bucket)
    own_moto.stop()
    store = make_store(
        own_moto,
        bucket,
        tmp_path / "spool",
        STORE_S3_MAX_ATTEMPTS=1,
        STORE_S3_CONNECT_TIMEOUT=2,
        STORE_S3_RETRY_AFTER=0,
    )
    data = {f"articles/2026/01/01/run-{i:05d}.jsonl.gz": os.urandom(100 + i) for i in range(3)}
    keys = list(data)
    uploads = BackgroundUploads(S3Uploader(store))
    try:
        for key in keys[:2]:
            spool_file(store, key, data[key])
            uploads.submit(key)
        uploads.drain()
        assert not any(r.ok for r in uploads.results)
        assert all(row["uploaded_at"] is None for row in ledger(store.root).values())
        own_moto.start()
        own_moto.create_bucket(bucket)
        spool_file(store, keys[2], data[keys[2]])
        uploads.submit(keys[2])
        uploads.drain()
    finally:
        uploads.stop()
    stored = objects(own_moto, bucket)
    assert {k.removeprefix(f"{PREFIX}/") for k in stored} == set(keys)
    for key in keys:
        assert stored[f"{PREFIX}/{key}"]["sha256"] == sha256(data[key])
    assert all(row["uploaded_at"] for row in ledger(store.root).values())


def test_killed_run_leftovers_upload_with_next_run(moto, site, tmp_path):
    """A run killed with SIGKILL leaves closed-but-not-uploaded files and `.open` files
    in the spool; the next run closes the `.open` ones and uploads all of it."""
    bucket, spool = "killed-run", tmp_path / "spool"
    moto.create_bucket(bucket)
    urls = [site.url(p) for p in site.article_paths()] + [site.url("/slow?delay=30")]
    args = [
        "archive",
        *urls,
        *store_args(moto, bucket, spool),
        "--ignore-robots",
        "-s",
        "WARC_MAX_SIZE=2000",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        env={**os.environ, **S3_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(spool.glob("articles/*/*/*/*.open")):
            time.sleep(0.2)  # an article shard is being written: the crawl is under way
        assert list(spool.glob("articles/*/*/*/*.open"))
        time.sleep(1)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    left = spool_files(spool)
    assert any(k.endswith(".open") for k in left)

    result = cli("archive", site.url("/gzip/article.html"), *store_args(moto, bucket, spool))
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert spool_files(spool) == {}  # everything uploaded, verified, and dropped locally
    stored = objects(moto, bucket)
    rows = ledger(spool)
    assert all(r["uploaded_at"] for r in rows.values())
    assert {f"{PREFIX}/{k}" for k in rows} == set(stored)
    for key, row in rows.items():
        assert stored[f"{PREFIX}/{key}"]["sha256"] == row["sha256"]
    # The killed run's shard, cut back to whole records, is there under its final name.
    killed_shards = [k for k in left if k.startswith("articles/") and k.endswith(".open")]
    for key in killed_shards:
        final = f"{PREFIX}/{key.removesuffix('.open')}"
        assert final in stored
        lines = gzip.decompress(get_bytes(moto, bucket, final)).decode().splitlines()
        assert lines and all(json.loads(line)["url"] for line in lines)


@pytest.mark.parametrize("when_required", [False, True])
def test_checksums_only_when_required_setting(moto, tmp_path, s3_env, when_required):
    """STORE_S3_CHECKSUMS_WHEN_REQUIRED reaches botocore: by default a CRC32 checksum goes
    with the upload (S3 checks and keeps it); when_required sends none."""
    bucket = f"checksums-{str(when_required).lower()}"
    moto.create_bucket(bucket)
    store = make_store(
        moto, bucket, tmp_path / "spool", STORE_S3_CHECKSUMS_WHEN_REQUIRED=when_required
    )
    key = "runs/20260101T000000Z-abcdef.json"
    spool_file(store, key, b'{"ok": true}')
    uploader = S3Uploader(store)
    try:
        assert uploader.upload(key).ok
    finally:
        uploader.close_thread_ledger()
    head = moto.client().head_object(Bucket=bucket, Key=f"{PREFIX}/{key}", ChecksumMode="ENABLED")
    assert ("ChecksumCRC32" in head) is not when_required, head


# -- site crawls and the scheduler on an S3 store ------------------------------------------


def read_warc_types(server: MotoServer, bucket: str) -> list[str]:
    types = []
    for key in objects(server, bucket):
        if key.endswith(".warc.gz"):
            types += [
                r.rec_type for r in ArchiveIterator(io.BytesIO(get_bytes(server, bucket, key)))
            ]
    return types


def test_site_crawl_and_schedule_on_s3(moto, tmp_path):
    """`crawl` twice and `schedule --once` with an s3:// store. The second crawl's hubs
    answer 304, so their archived bodies (no longer in the spool) are read back from S3
    with ranged GETs to find the new articles."""
    from tests.newsroom import NewsroomSite
    from tests.test_site_crawl import WINDOW, site_toml

    bucket, spool = "site-crawls", tmp_path / "spool"
    moto.create_bucket(bucket)
    sites = tmp_path / "sites"
    sites.mkdir()
    with NewsroomSite() as newsroom:
        config = site_toml(newsroom, sites)
        expected = newsroom.expected_in_window(WINDOW)
        first = cli("crawl", str(config), *store_args(moto, bucket, spool))
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert spool_files(spool) == {}

        new = [newsroom.add_article("fresh-report-one")]
        second = cli("crawl", str(config), *store_args(moto, bucket, spool))
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        # the 304 hubs were parsed from their S3 copies, not lost to an exception
        assert "Spider error" not in second.stderr, second.stderr[-3000:]
        assert "revisit" in " ".join(read_warc_types(moto, bucket))

        scheduled = cli(
            "schedule", "--once", *store_args(moto, bucket, spool), "-s", f"SITES_DIRS={sites}"
        )
        assert scheduled.returncode == 0, scheduled.stdout + scheduled.stderr[-3000:]
    assert '"manifest": "missing"' not in scheduled.stderr
    assert re.search(r"run \S+ finished, exit 0", scheduled.stderr), scheduled.stderr[-3000:]

    stored = objects(moto, bucket)
    rows = ledger(spool)
    assert all(r["uploaded_at"] for r in rows.values())
    assert {f"{PREFIX}/{k}" for k in rows} == set(stored)
    assert sum(k.startswith(f"{PREFIX}/runs/") for k in stored) == 3
    urls = set()
    for key in stored:
        if key.endswith(".jsonl.gz"):
            text = gzip.decompress(get_bytes(moto, bucket, key)).decode("utf-8")
            urls |= {json.loads(line)["url"] for line in text.splitlines()}
    assert {u.replace(newsroom.base_url, "") for u in urls} == expected | {a.path for a in new}


def test_no_credentials_is_a_clear_failure_and_nothing_is_lost(moto, site, tmp_path):
    bucket, spool = "no-credentials", tmp_path / "spool"
    moto.create_bucket(bucket)
    env = {**S3_ENV, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    url = site.url(site.article_paths()[0])
    result = run_cli(
        "archive", url, *store_args(moto, bucket, spool), *FAST_FAIL, env=env, timeout=180
    )
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert re.search(rf"^archived +200 +{re.escape(url)} ", result.stdout, re.M)
    assert (
        f"files not uploaded to s3://{bucket}/{PREFIX}: no usable AWS credentials" in result.stdout
    )
    assert "Traceback" not in result.stderr
    assert spool_files(spool) and set(spool_files(spool)) == set(ledger(spool))
    assert objects(moto, bucket) == {}


def test_upload_adopts_spool_files_missing_from_the_ledger(moto, tmp_path):
    """A run killed between publishing a file and recording it leaves a complete file the
    ledger does not know; `crawler upload` (and every run start) picks it up."""
    bucket, spool = "adopt-bucket", tmp_path / "spool"
    moto.create_bucket(bucket)
    key = "articles/2026/01/01/20260101T000000Z-abcdef-00000.jsonl.gz"
    data = gzip.compress(b'{"url": "http://example.org/"}\n')
    (spool / key).parent.mkdir(parents=True)
    (spool / key).write_bytes(data)
    (spool / (key + ".open")).write_bytes(b"torn")  # a live writer's file: not adopted
    open_catalog(spool).close()
    result = cli("upload", *store_args(moto, bucket, spool))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 uploaded and verified, 0 still pending" in result.stdout
    assert objects(moto, bucket)[f"{PREFIX}/{key}"]["sha256"] == sha256(data)
    assert set(ledger(spool)) == {key}
