"""Scheduled site crawls across nodes (issue 13): `crawler schedule --frontier` queues each
due occurrence once however many schedulers run, `crawler worker` crawls each site on one
node at a time under a lease in Redis, and a site whose node dies is resumed by another
without fetching again what was archived. Real redis-server, real fixture sites."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.scale.site_queue import FOLDED, OFFERED, QUEUED, SKIPPED, SiteQueue
from tests.conftest import run_cli
from tests.site_nodes import (
    LEASE,
    OFFER_LINE,
    QUICK,
    alive,
    article_fetches,
    catalog_rows,
    crawls_in,
    newsroom_site,
    queue_is_empty,
    scheduler_args,
    start_node,
    stop_nodes,
    wait_for,
    worker_args,
)
from tests.test_site_crawl import article_records, site_toml


@pytest.fixture
def queue(redis_url):
    site_queue = SiteQueue.from_url(redis_url)
    yield site_queue
    site_queue.close()


def test_site_queue_offers_once_leases_one_node_and_requeues_a_dead_nodes_site(queue):
    occurrence = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
    next_day = occurrence + timedelta(days=1)
    assert queue.offer("alpha", occurrence, 60, "sched-1") == QUEUED
    assert queue.offer("alpha", occurrence, 60, "sched-2") == OFFERED  # the same one: once
    assert queue.offer("beta", occurrence, 60, "sched-2") == QUEUED
    # beta falls due again before any worker took it: the waiting entry will do for both
    assert queue.offer("beta", next_day, 60, "sched-1") == FOLDED
    assert [(e["site"], e["occurrence"]) for e in queue.due()] == [
        ("alpha", occurrence.isoformat()),
        ("beta", occurrence.isoformat()),
    ]

    first = queue.take("node-a", LEASE, "t1").taken
    second = queue.take("node-b", LEASE, "t2").taken
    assert (first.site, second.site) == ("alpha", "beta")
    assert queue.take("node-c", LEASE, "t3").taken is None  # both sites are being crawled

    # alpha falls due again while it is crawled: skipped, never queued behind it
    assert queue.offer("alpha", next_day, 60, "sched-1") == SKIPPED
    assert queue.due() == []

    # Only the holder renews or releases; node-b released beta.
    forged = type(first)(first.site, first.occurrence, 0, "node-c/forged")
    assert not queue.renew(forged, LEASE)
    assert not queue.release(forged)
    assert queue.renew(first, LEASE)
    assert queue.release(second)
    assert set(queue.running()) == {"alpha"}

    # node-a dies: its lease expires; the next take re-queues the orphan and resumes it.
    queue.client.pexpire(queue.lease_key("alpha"), 1)
    time.sleep(0.05)
    assert not queue.renew(first, LEASE)  # the dead node's lease is gone for good
    # orphans are looked for once per third of a lease, not on every poll
    assert queue.take("node-c", LEASE, "t4").requeued == []
    time.sleep(LEASE / 3)
    resumed = queue.take("node-c", LEASE, "t5")
    assert [o["node"] for o in resumed.requeued] == ["node-a"]
    assert (resumed.taken.site, resumed.taken.occurrence) == ("alpha", occurrence.isoformat())
    assert resumed.taken.resumes == 1
    assert not queue.release(first)  # a late release of the old holder changes nothing
    assert queue.running()["alpha"]["node"] == "node-c"

    # A stopped worker hands its occurrence back for another to resume.
    assert queue.release(resumed.taken, requeue=True)
    assert queue.due() == [{"site": "alpha", "occurrence": occurrence.isoformat(), "resumes": 2}]


def test_two_schedulers_and_two_workers_crawl_each_occurrence_once_one_node_a_site(
    redis_url, tmp_path
):
    sites_dir, store = tmp_path / "sites", tmp_path / "data"
    sites_dir.mkdir()
    schedulers, workers = ("sched-1", "sched-2"), ("node-a", "node-b")
    logs = {n: tmp_path / f"{n}.log" for n in schedulers + workers}
    procs: dict[str, subprocess.Popen] = {}
    with ExitStack() as stack:
        newsrooms = {f"site{i}": stack.enter_context(newsroom_site()) for i in range(4)}
        for name, newsroom in newsrooms.items():
            # every 15 s: a round of four crawls on two nodes takes about that long, so
            # occurrences fall due while their site is still crawled or waits in the queue
            site_toml(newsroom, sites_dir, name=name, schedule="*/15 * * * * *", politeness=QUICK)
        try:
            for node in schedulers:
                procs[node] = start_node(scheduler_args(redis_url, sites_dir, node), logs[node])
            for node in workers:
                procs[node] = start_node(
                    worker_args(redis_url, store, sites_dir, node, 120), logs[node]
                )
            time.sleep(35)
            for node in schedulers:
                procs[node].send_signal(signal.SIGTERM)
                assert procs[node].wait(timeout=30) == 0, logs[node].read_text()[-3000:]
            wait_for(lambda: queue_is_empty(redis_url), 180, "the workers to empty the queue")
            for node in workers:
                procs[node].send_signal(signal.SIGTERM)
                assert procs[node].wait(timeout=60) == 0, logs[node].read_text()[-3000:]
        finally:
            stop_nodes(list(procs.values()))

        text = {n: log.read_text() for n, log in logs.items()}
        outcomes: dict[tuple[str, str], list[str]] = {}
        for n in schedulers:
            for site, occurrence, said in OFFER_LINE.findall(text[n]):
                outcomes.setdefault((site, occurrence), []).append(said)
        assert len({occurrence for _, occurrence in outcomes}) >= 2, outcomes
        for offered, said in outcomes.items():
            # one scheduler decided (queued, folded or skipped), the other found it decided
            assert said.count("was queued by another scheduler") == len(said) - 1, (offered, said)
        queued = sorted(o for o, said in outcomes.items() if "queued" in said)
        crawls = crawls_in([logs[n] for n in workers])
        crawled = sorted((c.site, c.occurrence) for c in crawls.values())
        assert crawled == queued  # each queued occurrence crawled, once
        assert {c.node for c in crawls.values()} == set(workers)  # the work was shared
        for site in newsrooms:  # never two crawls of one site at once
            spans = sorted((c.start, c.end) for c in crawls.values() if c.site == site)
            assert spans and all(end is not None for _, end in spans)
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert end <= start, f"{site}: crawls overlapped: {spans}"

        catalog_runs = catalog_rows(store, "SELECT crawl_id, finished_at FROM runs")
        assert sorted(c for c, _ in catalog_runs) == sorted(crawls), (catalog_runs, crawls)
        assert all(finished for _, finished in catalog_runs)
        records = article_records(store)
        for name, newsroom in newsrooms.items():
            fetches = article_fetches(newsroom)  # later occurrences fetch no article again
            assert fetches and max(fetches.values()) == 1, (name, fetches)
            wanted = {newsroom.url(p) for p in newsroom.expected_in_window(timedelta(days=7))}
            assert wanted <= {r["url"] for r in records}, name


SLOW = "download_delay = 0.5\nconcurrency = 1\nautothrottle = false"


def _queue_one_slow_site(newsroom, sites_dir: Path, redis_url: str, *, recrawl: str = "") -> None:
    """site0: the newsroom at one request per 0.5 s, its occurrence queued for workers."""
    config = site_toml(newsroom, sites_dir, name="site0", schedule="0 3 * * *", politeness=SLOW)
    if recrawl:
        config.write_text(config.read_text() + f'\n[recrawl]\npolicy = "{recrawl}"\n')
    queued = run_cli(*scheduler_args(redis_url, sites_dir, "s"), "--once", timeout=60)
    assert queued.returncode == 0 and "queued" in queued.stderr, queued.stderr


def _crawling(log: Path, node: str, store: Path, articles: int) -> tuple[str, int]:
    """(crawl id, pid) of the crawl `node` started, once the catalog holds `articles`."""
    wait_for(lambda: f"started on node {node}" in log.read_text(), 60, f"{node} to start")
    started = re.search(rf"crawl (\S+) started on node {node} \(pid (\d+)", log.read_text())
    wait_for(
        lambda: len(catalog_rows(store, "SELECT url FROM articles")) >= articles,
        120,
        f"{node} to archive {articles} article(s)",
    )
    return started[1], int(started[2])


def test_a_killed_nodes_site_is_resumed_by_another_without_refetching(redis_url, tmp_path):
    sites_dir, store = tmp_path / "sites", tmp_path / "data"
    sites_dir.mkdir()
    logs = {n: tmp_path / f"{n}.log" for n in ("node-a", "node-b")}
    procs: list[subprocess.Popen] = []
    with newsroom_site() as newsroom:
        # "always": a resumed run that did not know its occurrence would fetch again every
        # article the killed run archived
        _queue_one_slow_site(newsroom, sites_dir, redis_url, recrawl="always")
        try:
            procs.append(
                start_node(worker_args(redis_url, store, sites_dir, "node-a", 60), logs["node-a"])
            )
            wait_for(lambda: "started on node node-a" in logs["node-a"].read_text(), 60, "node-a")
            procs.append(
                start_node(worker_args(redis_url, store, sites_dir, "node-b", 120), logs["node-b"])
            )
            crawl_a, child_a = _crawling(logs["node-a"], "node-a", store, 2)
            procs[0].send_signal(signal.SIGKILL)  # the worker only: its crawl must die with it
            killed_at, killed_mono = datetime.now(), time.monotonic()
            procs[0].wait(timeout=10)
            wait_for(lambda: not alive(child_a), 10, "node-a's crawl to die with node-a")
            wait_for(lambda: queue_is_empty(redis_url), 240, "node-b to resume site0")
            procs[1].send_signal(signal.SIGTERM)
            assert procs[1].wait(timeout=60) == 0, logs["node-b"].read_text()[-3000:]
        finally:
            stop_nodes(procs)

        ((crawl_b, resumed),) = crawls_in([logs["node-b"]]).items()
        assert resumed.end is not None and crawls_in([logs["node-a"]])[crawl_a].end is None
        # one node at a time: node-b took the site only after node-a's lease expired
        assert resumed.start > killed_at
        text_b = logs["node-b"].read_text()
        assert "lease of node node-a expired" in text_b
        assert "resuming after 1 unfinished attempt(s)" in text_b

        records = article_records(store)  # the killed run's shard included (repaired)
        per_url: dict[str, int] = {}
        for record in records:
            per_url[record["url"]] = per_url.get(record["url"], 0) + 1
        assert max(per_url.values()) == 1, per_url  # each article archived once
        wanted = {newsroom.url(p) for p in newsroom.expected_in_window(timedelta(days=7))}
        assert wanted <= set(per_url)
        from_a = {r["url"] for r in records if r["crawl_id"] == crawl_a}
        from_b = {r["url"] for r in records if r["crawl_id"] == crawl_b}
        assert len(from_a) >= 2 and from_b and from_a | from_b == set(per_url)
        with newsroom._lock:
            served = list(zip(newsroom.requests, newsroom.request_times, strict=True))
        fetched_again = [
            path for (path, _), at in served if at > killed_mono and newsroom.url(path) in from_a
        ]
        assert fetched_again == []

    assert queue_is_empty(redis_url)


def test_a_stopped_worker_hands_its_site_back_and_exits_0(redis_url, tmp_path):
    sites_dir, store, log = tmp_path / "sites", tmp_path / "data", tmp_path / "node-a.log"
    sites_dir.mkdir()
    with newsroom_site() as newsroom:
        _queue_one_slow_site(newsroom, sites_dir, redis_url)
        worker = start_node(worker_args(redis_url, store, sites_dir, "node-a", 60), log)
        try:
            crawl_id, _ = _crawling(log, "node-a", store, 1)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=120) == 0, log.read_text()[-3000:]
        finally:
            stop_nodes([worker])
    assert "re-queued for another worker" in log.read_text()
    queue = SiteQueue.from_url(redis_url)
    try:
        ((entry,), running) = queue.due(), queue.running()
    finally:
        queue.close()
    assert running == {}
    assert (entry["site"], entry["resumes"]) == ("site0", 1)  # the next worker resumes it
    manifest = json.loads((store / "runs" / f"{crawl_id}.json").read_text())
    assert manifest["finish_reason"] == "shutdown"  # the crawl closed its files
    assert not list(store.rglob("*.open"))


def test_a_worker_that_lost_its_lease_stops_crawling_at_once(redis_url, tmp_path):
    sites_dir, store, log = tmp_path / "sites", tmp_path / "data", tmp_path / "node-a.log"
    sites_dir.mkdir()
    with newsroom_site() as newsroom:
        _queue_one_slow_site(newsroom, sites_dir, redis_url)
        worker = start_node(worker_args(redis_url, store, sites_dir, "node-a", 2), log)
        try:
            _, child = _crawling(log, "node-a", store, 1)
            # as if node-a had stalled past its lease and node-x had taken the site since
            queue = SiteQueue.from_url(redis_url)
            try:
                queue.client.set(queue.lease_key("site0"), "node-x/taken", px=60_000)
            finally:
                queue.close()
            lost_at = time.monotonic()
            wait_for(lambda: not alive(child), LEASE, "node-a to stop its crawl")
            stopped_at = time.monotonic()
            assert worker.wait(timeout=60) == 0, log.read_text()[-3000:]
        finally:
            stop_nodes([worker])
        with newsroom._lock:
            late = [t for t in newsroom.request_times if t > stopped_at]
    assert late == []
    assert stopped_at - lost_at < LEASE
    assert "the lease expired and another node may crawl it now" in log.read_text()
    queue = SiteQueue.from_url(redis_url)
    try:
        # node-a let go without touching what is node-x's now
        assert queue.client.get(queue.lease_key("site0")) == "node-x/taken"
        assert queue.running()["site0"]["node"] == "node-a"
    finally:
        queue.close()


def test_bad_frontier_and_occurrence_are_usage_errors(tmp_path):
    worker = run_cli("worker", "--frontier", "http://127.0.0.1:1/", "--store", str(tmp_path))
    assert worker.returncode == 2 and "redis://host:port/db" in worker.stderr
    with newsroom_site() as newsroom:
        config = site_toml(newsroom, tmp_path, name="site0")
        for bad in ("yesterday", "2026-01-31T03:00:00"):  # not a time; no offset
            crawl = run_cli("crawl", str(config), "--occurrence", bad, "--store", str(tmp_path))
            assert crawl.returncode == 2 and "ISO 8601 with its offset" in crawl.stderr
        assert newsroom.requests == []


def test_a_redis_out_of_reach_is_said_and_waited_for(tmp_path):
    from tests.redis_server import _free_port

    nowhere = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    worker = run_cli("worker", "--frontier", nowhere, "--store", str(tmp_path), "--idle-exit", "1")
    assert worker.returncode == 0, worker.stderr[-3000:]
    assert "cannot take site work from" in worker.stderr
    with newsroom_site() as newsroom:
        site_toml(newsroom, tmp_path, name="site0", schedule="0 3 * * *")
        once = run_cli("schedule", "--frontier", nowhere, "--once", "-s", f"SITES_DIRS={tmp_path}")
    assert once.returncode == 1 and "cannot reach" in once.stderr, once.stderr[-3000:]
