"""The frontier end to end, on the fixture server and a real redis-server (loopback):
a killed `crawler archive` resumes where it was, and three `crawler worker`s on one
shared frontier archive every URL exactly once, also when one of them is SIGKILLed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.capture.warc_reader import read_record_at
from tests.conftest import ROOT, run_cli
from tests.process_tools import wait_for
from tests.warc_tools import records

NO_EXTRACTION = ["-s", "EXTRACT_ENABLED=False"]  # what is measured here is fetch + WARC
WORKER_URLS = 3000


def _captures(store: Path, catalog: str | None = None) -> list[dict]:
    if catalog:  # a shared PostgreSQL catalog
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(catalog, row_factory=dict_row) as db:
            return db.execute("SELECT * FROM captures").fetchall()
    if not (store / "catalog.sqlite").exists():
        return []
    db = sqlite3.connect(f"file:{store}/catalog.sqlite?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM captures")]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def _start(args: list[str], log: Path) -> subprocess.Popen:
    """`crawler ARGS` in a session of its own (killpg kills its whole tree: a dead node)."""
    out = open(log, "wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    finally:
        out.close()


def _kill_tree(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def assert_archived_exactly_once(store: Path, urls: list[str], catalog: str | None = None) -> None:
    """One catalog capture and one WARC response record per URL; every pointer reads back
    the record of its URL; no half-written file left."""
    wanted = set(urls)
    caps = [c for c in _captures(store, catalog) if c["url"] in wanted]
    per_url: dict[str, int] = {}
    for c in caps:
        per_url[c["url"]] = per_url.get(c["url"], 0) + 1
    assert set(per_url) == wanted, f"{len(wanted - set(per_url))} URLs never captured"
    twice = {u: n for u, n in per_url.items() if n != 1}
    assert not twice, f"captured more than once: {sorted(twice.items())[:5]}"
    responses = [r["uri"] for r in records(store) if r["type"] == "response"]
    assert sorted(u for u in responses if u in wanted) == sorted(wanted)
    for c in caps:
        record = read_record_at(store / c["warc_file"], c["warc_offset"], c["warc_length"])
        assert record.rec_headers.get_header("WARC-Target-URI") == c["url"]
    assert not list(store.rglob("*.open"))


@pytest.mark.timeout(240)
def test_killed_archive_resumes_and_reports_what_it_skipped(site, tmp_path):
    urls = [site.url(f"/slow?delay=0.3&resume={i}") for i in range(60)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    store = tmp_path / "store"
    args = ["archive", "--input", str(listing), "--store", str(store), "--concurrency", "4"]
    first = _start([*args, *NO_EXTRACTION], tmp_path / "first.log")
    try:
        wait_for(lambda: len(_captures(store)) >= 12, 120, "the first captures")
    finally:
        _kill_tree(first)
    assert first.returncode == -signal.SIGKILL
    assert list((store / "tmp").glob("frontier-*.sqlite"))  # the killed run's frontier file

    again = run_cli(*args, *NO_EXTRACTION, "--progress-interval", "0")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_archived_exactly_once(store, urls)
    (manifest,) = [
        json.loads(p.read_text())
        for p in (store / "runs").glob("*.json")
        if json.loads(p.read_text())["counts"]["requested"]
    ]
    skipped = manifest["counts"]["already_archived"]
    assert skipped >= 12 and manifest["counts"]["requested"] == len(urls) - skipped
    assert f"{skipped} already archived in this store: skipped" in again.stdout
    assert not list((store / "tmp").glob("frontier-*"))  # the stale file went too

    refetched = run_cli("archive", urls[0], "--refetch", "--store", str(store), *NO_EXTRACTION)
    assert refetched.returncode == 0, refetched.stdout + refetched.stderr
    assert sum(c["url"] == urls[0] for c in _captures(store)) == 2


def _enqueue(redis_url: str, urls: list[str], tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    queued = run_cli("archive", "--frontier", redis_url, "--input", str(listing))
    assert queued.returncode == 0, queued.stdout + queued.stderr
    assert f"queued {len(urls)} URLs" in queued.stdout


def _worker(redis_url: str, store: Path, name: str, tmp_path: Path, *settings: str):
    return _start(
        [
            "worker",
            "--frontier",
            redis_url,
            "--store",
            str(store),
            "--node-id",
            name,
            "--idle-exit",
            "6",
            *NO_EXTRACTION,
            "-s",
            "REPORT_PROGRESS_INTERVAL=0",
            *settings,
        ],
        tmp_path / f"{name}.log",
    )


def _frontier(redis_url: str):
    from crawler.frontier import open_frontier

    return open_frontier(redis_url, 1.0)


@pytest.mark.timeout(300)
def test_three_workers_archive_each_url_exactly_once(site, redis_url, tmp_path):
    urls = [site.url(f"/query.html?worker={i}") for i in range(WORKER_URLS)]
    _enqueue(redis_url, urls, tmp_path)
    store = tmp_path / "store"
    workers = [_worker(redis_url, store, f"node{i}", tmp_path) for i in range(3)]
    try:
        # queued again: the seen-set has them; --wait returns once the workers are done
        waited = run_cli(
            "archive",
            "--frontier",
            redis_url,
            "--input",
            str(tmp_path / "urls.txt"),
            "--wait",
            "--progress-interval",
            "1",
            timeout=240,
        )
        assert waited.returncode == 0, waited.stdout + waited.stderr
        assert f"queued 0 URLs on {redis_url}; {WORKER_URLS} were queued" in waited.stdout
        assert f"frontier empty: {WORKER_URLS} done" in waited.stdout
        assert "progress: " in waited.stderr
        for w in workers:
            assert w.wait(timeout=240) == 0, (tmp_path / "node0.log").read_text()[-3000:]
    finally:
        for w in workers:
            _kill_tree(w)
    frontier = _frontier(redis_url)
    counts = frontier.counts()
    frontier.close()
    assert (counts["queued"], counts["leased"], counts["done"]) == (0, 0, WORKER_URLS)
    assert_archived_exactly_once(store, urls)
    crawls = {c["crawl_id"] for c in _captures(store) if c["url"] in set(urls)}
    assert len(crawls) >= 3  # each worker's run(s) took a share


@pytest.mark.timeout(300)
def test_a_killed_worker_loses_nothing_and_its_leases_come_back(site, redis_url, tmp_path):
    urls = [site.url(f"/query.html?killed={i}") for i in range(WORKER_URLS)]
    _enqueue(redis_url, urls, tmp_path)
    store = tmp_path / "store"
    # Short leases: the victim's come back while the survivors' crawls still run, and are
    # taken by them (not by a new crawl, which would repair the victim's WARC at its start)
    short = ["-s", "FRONTIER_LEASE_SECONDS=4"]
    frontier = _frontier(redis_url)
    owners = frontier.keys["owners"]
    victim_leases = lambda: sum(  # noqa: E731
        v.startswith(b"victim/") for v in frontier.server.hvals(owners)
    )
    workers = [_worker(redis_url, store, "victim", tmp_path, *short)]
    workers += [_worker(redis_url, store, f"node{i}", tmp_path, *short) for i in range(2)]
    try:
        wait_for(
            lambda: frontier.counts()["done"] >= WORKER_URLS // 5 and victim_leases(),
            180,
            "a fifth done while the victim holds leases",
        )
        held = victim_leases()
        _kill_tree(workers[0])  # the node dies: worker, its crawl, the crawl's WARC writer
        for w in workers[1:]:
            assert w.wait(timeout=240) == 0, (tmp_path / "node0.log").read_text()[-3000:]
    finally:
        for w in workers:
            _kill_tree(w)
    counts = frontier.counts()
    frontier.close()
    assert held > 0 and counts["requeued"] >= held
    assert (counts["queued"], counts["leased"], counts["done"]) == (0, 0, WORKER_URLS)
    assert_archived_exactly_once(store, urls)


@pytest.mark.timeout(300)
def test_three_workers_on_redis_and_postgresql(site, redis_url, postgres_url, tmp_path):
    """The scaled-out set-up: Redis frontier, PostgreSQL catalog, one store; nothing in the
    store's own SQLite catalog, every URL once in the shared one."""
    urls = [site.url(f"/query.html?pg={i}") for i in range(1000)]
    _enqueue(redis_url, urls, tmp_path)
    store = tmp_path / "store"
    shared = ["--catalog", postgres_url]
    workers = [_worker(redis_url, store, f"node{i}", tmp_path, *shared) for i in range(3)]
    try:
        for w in workers:
            assert w.wait(timeout=240) == 0, (tmp_path / "node0.log").read_text()[-3000:]
    finally:
        for w in workers:
            _kill_tree(w)
    frontier = _frontier(redis_url)
    counts = frontier.counts()
    frontier.close()
    assert (counts["queued"], counts["leased"], counts["done"]) == (0, 0, len(urls))
    assert_archived_exactly_once(store, urls, postgres_url)
    assert not (store / "catalog.sqlite").exists()
    crawls = {c["crawl_id"] for c in _captures(store, postgres_url)}
    assert len(crawls) >= 3  # each worker's run(s) took a share
