"""A full disk (issue 12): on a small tmpfs mounted by the test.

The writers keep every record whole or leave it out; the run stops fetching at the first
"no space", closes what it can, records every URL, says so in one line and exits 1; the
next run, with room again, repairs and finishes; export does not wait for a shard that no
writer will close."""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import sqlite3
from datetime import UTC, datetime

import pytest

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import WarcFileWriter
from crawler.run.disk_stop import DiskFullStop
from crawler.store.catalog import open_catalog
from crawler.store.disk import DiskReserve, is_disk_full
from crawler.store.local import LocalStore
from crawler.store.shards import ShardWriter
from tests.conftest import run_cli
from tests.faults.conftest import fill, resize
from tests.warc_tools import records, warc_files, warcio_check


def _exchange(n: int, body: bytes) -> HttpExchange:
    return HttpExchange(
        url=f"http://127.0.0.1:9/page/{n}",
        status=200,
        response_headers=[("Content-Type", "application/octet-stream")],
        body=body,
        request_method="GET",
        request_target=f"/page/{n}",
        request_headers=[("Host", "127.0.0.1:9")],
        fetched_at=datetime.now(UTC),
    )


def _noise(n: int) -> bytes:
    return random.Random(n).randbytes(n)  # incompressible: it takes its size on disk


def test_warc_writer_leaves_out_a_record_that_does_not_fit(tmpfs):
    point = tmpfs("2m")
    store = LocalStore(point / "store")
    closed = []
    writer = WarcFileWriter(store, max_size=1 << 30, on_close=closed.append)
    for n in range(3):
        writer.write_exchange(_exchange(n, b"small page %d" % n))
    fill(point, leave=64 * 1024)
    with pytest.raises(OSError) as failed:
        writer.write_exchange(_exchange(9, _noise(300_000)))
    assert is_disk_full(failed.value)
    writer.close()
    # Published whole: the three pages, not a torn fourth (old code: a torn tail under
    # the file's final name, which `warcio check` rejects).
    (warc,) = warc_files(store.root)
    assert not list(store.root.rglob("*.open"))
    check = warcio_check([warc])
    assert check.returncode == 0, check.stdout + check.stderr
    responses = [r["uri"] for r in records(store.root) if r["type"] == "response"]
    assert responses == [f"http://127.0.0.1:9/page/{n}" for n in range(3)]
    assert closed and closed[0].size == warc.stat().st_size


def test_shard_writer_leaves_out_a_record_that_does_not_fit(tmpfs):
    point = tmpfs("2m")
    store = LocalStore(point / "store")
    shards = ShardWriter(store, "crawl-x", max_records=1000)
    for n in range(3):
        key = shards.append({"n": n, "text": "short"})
    fill(point, leave=32 * 1024)
    big = base64.b64encode(_noise(200_000)).decode()
    with pytest.raises(OSError) as failed:
        shards.append({"n": 9, "text": big})
    assert is_disk_full(failed.value) and failed.value.filename.endswith(".jsonl.gz.open")
    shards.close()
    with gzip.open(store.path(key), "rt") as fh:  # the whole file reads, three records
        assert [json.loads(line)["n"] for line in fh] == [0, 1, 2]


def test_atomic_write_leaves_no_temporary_file_on_a_full_disk(tmpfs):
    point = tmpfs("1m")
    store = LocalStore(point / "store")
    fill(point, leave=4096)
    with pytest.raises(OSError) as failed:
        store.write_atomic("warc/x.warc.gz.cdxj", _noise(200_000))
    assert is_disk_full(failed.value)
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == []


def test_reserve_gives_the_catalog_room_once_the_disk_is_full(tmpfs):
    point = tmpfs("2m")
    store = LocalStore(point / "store")
    store.root.mkdir()
    catalog = open_catalog(store)
    disk = DiskFullStop(DiskReserve(store.root, "run-1", 256 * 1024))
    fill(point, leave=0)

    def failure(n: int) -> None:
        catalog.add_failure(
            crawl_id="run-1", url=f"http://127.0.0.1:9/{n}", at="t", stage="x", reason="y" * 2000
        )

    with pytest.raises(sqlite3.Error) as full:  # no reserve in the way: the disk is full
        for n in range(500):
            failure(n)
    assert is_disk_full(full.value)
    disk.write(catalog.path, failure, 999)  # frees the reserve, then fits
    assert disk.message.startswith(f"disk full writing {catalog.path}")
    assert not disk.reserve.held and not disk.reserve.path.exists()
    catalog.close()
    db = sqlite3.connect(store.path("catalog.sqlite"))
    assert db.execute("SELECT count(*) FROM failures WHERE url LIKE '%/999'").fetchone()[0] == 1


def _store_files(store) -> list[str]:
    return sorted(p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file())


def test_archive_onto_a_full_disk_then_again_with_room(tmpfs, site):
    point = tmpfs("5m")
    store = point / "store"
    articles = [site.url(p) for p in site.article_paths()]
    noise = [site.url(f"/random?kb=300&seed={n}") for n in range(24)]
    urls = articles[:2] + noise + articles[2:]
    reserve = ["-s", f"STORE_DISK_RESERVE={512 * 1024}", "--concurrency", "2"]
    first = run_cli("archive", *urls, "--store", str(store), "--progress-interval", "0", *reserve)
    assert first.returncode == 1, first.stdout + first.stderr[-3000:]
    # One clear line, no traceback.
    said = [ln for ln in first.stderr.splitlines() if ln.startswith("crawler: disk full writing")]
    assert len(said) == 1 and said[0].endswith("No space left on device"), first.stderr
    assert str(store) in said[0]
    assert "Traceback" not in first.stderr
    assert "run stopped early: disk full" in first.stdout
    # Every URL taken has an outcome: archived, or failed with the reason (the input is read
    # lazily into the run's frontier: URLs not taken before the stop wait for the next run).
    (manifest_path,) = (store / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["finish_reason"] == "disk full"
    outcomes = {o["url"]: o for o in manifest["outcomes"]}
    assert outcomes and set(outcomes) <= set(urls)
    db = sqlite3.connect(store / "catalog.sqlite")
    captured = {u for (u,) in db.execute("SELECT url FROM captures")}
    db.close()
    # and the site's own files (robots.txt, the TDMRep file of crawler/rights), per host
    per_host = {site.url("/robots.txt"), site.url("/.well-known/tdmrep.json")}
    assert captured - per_host <= set(outcomes)
    assert all(o["archived"] or o["reason"] for o in outcomes.values())
    assert any("disk full" in (o["reason"] or "") for o in outcomes.values())
    failed = {o["url"] for o in outcomes.values() if not o["archived"]}
    db = sqlite3.connect(store / "catalog.sqlite")
    assert {u for (u,) in db.execute("SELECT url FROM failures")} == failed
    db.close()
    # Nothing damaged under a final name, no temporary leftovers, no reserve left.
    left = _store_files(store)
    assert not [f for f in left if f.endswith(".tmp") or ".disk-reserve-" in f], left
    for warc in warc_files(store):
        check = warcio_check([warc])
        assert check.returncode == 0, (warc, check.stdout + check.stderr)
    for shard in (store / "articles").rglob("*.jsonl.gz"):
        with gzip.open(shard, "rt") as fh:
            assert all(json.loads(line)["url"] for line in fh)

    resize(point, "40m")
    second = run_cli("archive", *urls, "--store", str(store), "--progress-interval", "0")
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    assert not list(store.rglob("*.open")) and not list(store.rglob("*.tmp"))
    check = warcio_check(warc_files(store))
    assert check.returncode == 0, check.stdout + check.stderr
    for warc in warc_files(store):  # each closed WARC indexed and registered
        assert (warc.parent / (warc.name + ".cdxj")).stat().st_size > 0
    rerun = json.loads((store / "runs" / f"{_crawl_id(second.stdout)}.json").read_text())
    # the second run resumes: what the first archived is skipped, the rest archived
    counts = rerun["counts"]
    assert counts["archived"] + counts.get("already_archived", 0) == len(urls), counts


def _crawl_id(stdout: str) -> str:
    return stdout.rsplit("run report runs/", 1)[1].split(".json", 1)[0]


def test_export_reports_a_damaged_shard_and_exports_the_rest(site, tmp_path):
    store = tmp_path / "store"
    first, second = (site.url(p) for p in site.article_paths()[:2])
    for url in (first, second):  # two runs: two shards
        done = run_cli("archive", url, "--store", str(store), "--progress-interval", "0")
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    db = sqlite3.connect(store / "catalog.sqlite")
    (damaged,) = db.execute("SELECT shard FROM articles WHERE url=?", (first,)).fetchone()
    # What a run that lost its disk mid-shard left: the shard unregistered, torn, `.open`.
    db.execute("DELETE FROM files WHERE key=?", (damaged,))
    db.commit()
    db.close()
    path = store / damaged
    torn = gzip.compress(b'{"url": "never finished"}\n')[:20]
    path.with_name(path.name + ".open").write_bytes(path.read_bytes() + torn)
    path.unlink()

    out = tmp_path / "export"
    result = run_cli("export", "--store", str(store), "--to", str(out))
    # Old code: "no records match", exit 0, for as long as the shard stays unregistered.
    assert result.returncode == 1, result.stdout + result.stderr
    assert damaged in result.stderr and "1 record(s) left out" in result.stderr
    (manifest_path,) = out.glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["record_count"] == 1
    assert manifest["skipped_damaged_shards"] == [{"shard": damaged, "records": 1}]
    (part,) = [f["name"] for f in manifest["files"] if f["kind"] == "records"]
    with gzip.open(manifest_path.parent / part, "rt") as fh:
        assert [json.loads(line)["url"] for line in fh] == [second]

    # A crawl run repairs the shard; the next export has everything, exit 0.
    repair = run_cli("archive", second, "--store", str(store), "--progress-interval", "0")
    assert repair.returncode == 0, repair.stdout + repair.stderr[-3000:]
    again = run_cli("export", "--store", str(store), "--to", str(tmp_path / "export2"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "left out" not in again.stderr
    assert os.path.exists(store / damaged)


def test_no_room_for_the_reserve_is_one_line_before_fetching(tmpfs, site):
    store = tmpfs("5m") / "store"
    path = site.article_paths()[3]
    before = site.hits(path)
    result = run_cli("archive", site.url(path), "--store", str(store))  # reserve: 8 MiB
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"crawler: disk full writing {store}/.disk-reserve-{_reserve_id(result.stderr)}: "
        "No space left on device"
    ]
    assert site.hits(path) == before
    # nothing but the run's scratch folder (its frontier file, deleted; the repair lock)
    assert {p.name for p in store.iterdir()} <= {"tmp"}
    assert not [p for p in store.rglob("*") if p.is_file() and p.name != "repair.lock"]


def _reserve_id(stderr: str) -> str:
    return stderr.split(".disk-reserve-", 1)[1].split(":", 1)[0]
