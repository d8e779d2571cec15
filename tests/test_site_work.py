"""Scheduled site crawls across nodes (issue 13): `crawler schedule --frontier` queues each
due occurrence once however many schedulers run, `crawler worker` crawls each site on one
node at a time under a lease in Redis, and a site whose node dies is resumed by another
without fetching again what was archived. Real redis-server, real fixture sites."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.scale.site_queue import SiteQueue
from tests.conftest import ROOT
from tests.newsroom import NewsroomSite, default_articles
from tests.test_site_crawl import article_records, site_toml

LEASE = 3.0  # SITE_LEASE_SECONDS in these tests: a dead node's site is free after this
QUICK = "download_delay = 0\nconcurrency = 2\nautothrottle = false"


def newsroom_site() -> NewsroomSite:
    """The newsroom without its rate-limited article: its Retry-After would slow the whole
    crawl to one request per 2 s (crawler.fetch.politeness), which is not what is tested."""
    return NewsroomSite(
        articles=[a for a in default_articles() if not a.path.startswith("/limited/")]
    )


@pytest.fixture
def queue(redis_url):
    site_queue = SiteQueue.from_url(redis_url)
    yield site_queue
    site_queue.close()


def test_site_queue_offers_once_leases_one_node_and_requeues_a_dead_nodes_site(queue):
    occurrence = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
    assert queue.offer("alpha", occurrence, 60, "sched-1")
    assert not queue.offer("alpha", occurrence, 60, "sched-2")  # the same occurrence: once
    assert queue.offer("beta", occurrence, 60, "sched-2")
    assert [e["site"] for e in queue.due()] == ["alpha", "beta"]

    first = queue.take("node-a", LEASE, "t1").taken
    second = queue.take("node-b", LEASE, "t2").taken
    assert (first.site, second.site) == ("alpha", "beta")
    assert queue.take("node-c", LEASE, "t3").taken is None  # both sites are being crawled

    # The next occurrence of alpha falls while alpha is still crawled: skipped, not queued
    # behind it, and never taken by a second node.
    assert queue.offer("alpha", occurrence + timedelta(days=1), 60, "sched-1")
    later = queue.take("node-c", LEASE, "t4")
    assert later.taken is None
    assert [e["site"] for e in later.skipped] == ["alpha"]
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
    resumed = queue.take("node-c", LEASE, "t5")
    assert [o["node"] for o in resumed.requeued] == ["node-a"]
    assert (resumed.taken.site, resumed.taken.occurrence) == ("alpha", occurrence.isoformat())
    assert resumed.taken.resumes == 1
    assert not queue.release(first)  # a late release of the old holder changes nothing
    assert queue.running()["alpha"]["node"] == "node-c"

    # A stopped worker hands its occurrence back for another to resume.
    assert queue.release(resumed.taken, requeue=True)
    assert queue.due() == [{"site": "alpha", "occurrence": occurrence.isoformat(), "resumes": 2}]


# -- nodes as processes -----------------------------------------------------------------


def _start(args: list[str], log: Path) -> subprocess.Popen:
    """A `crawler ...` node process, its stderr in `log`."""
    with open(log, "wb") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=fh,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


def _worker(redis_url: str, store: Path, sites: Path, node: str, idle: float) -> list[str]:
    return [
        "worker",
        "--frontier",
        redis_url,
        "--store",
        str(store),
        "--node-id",
        node,
        "--idle-exit",
        str(idle),
        "-s",
        f"SITES_DIRS={sites}",  # never the real sites of settings/sites
        "-s",
        f"SITE_LEASE_SECONDS={LEASE}",
        "-s",
        "EXTRACT_WORKERS=1",
    ]


def _scheduler(redis_url: str, sites: Path, node: str, *more: str) -> list[str]:
    return ["schedule", "--frontier", redis_url, "--node-id", node, "-s", f"SITES_DIRS={sites}"]


_CRAWL_LINE = re.compile(
    r"^(\S+ \S+) crawler\.worker\.sites INFO: site (\S+): occurrence (\S+): crawl (\S+) "
    r"(started|ended) on node (\S+)"
)


def _crawl_events(log: Path) -> list[tuple[datetime, str, str, str, str]]:
    """(time, site, crawl id, started|ended, node) of each crawl a worker's log tells."""
    events = []
    for line in log.read_text(errors="replace").splitlines():
        m = _CRAWL_LINE.match(line)
        if m:
            when = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f")
            events.append((when, m[2], m[4], m[5], m[6]))
    return events


def _intervals(logs: list[Path]) -> dict[str, list[tuple[datetime, datetime | None, str]]]:
    """site -> [(start, end or None if the node died, node)] from the workers' logs."""
    found: dict[str, dict[str, list]] = {}
    for log in logs:
        for when, site, crawl_id, what, node in _crawl_events(log):
            entry = found.setdefault(site, {}).setdefault(crawl_id, [None, None, node])
            entry[0 if what == "started" else 1] = when
    return {site: sorted(tuple(v) for v in runs.values()) for site, runs in found.items()}


def _catalog(store: Path, sql: str, *params) -> list[tuple]:
    path = store / "catalog.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the first run is still creating the tables
        return []
    finally:
        db.close()


def _article_fetches(site: NewsroomSite) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in site.fetched(200):
        if path.endswith(".html"):
            counts[path] = counts.get(path, 0) + 1
    return counts


def test_two_schedulers_and_two_workers_crawl_each_due_site_once(redis_url, tmp_path):
    sites_dir, store = tmp_path / "sites", tmp_path / "data"
    sites_dir.mkdir()
    procs: list[subprocess.Popen] = []
    with ExitStack() as stack:
        newsrooms = {f"site{i}": stack.enter_context(newsroom_site()) for i in range(4)}
        for name, newsroom in newsrooms.items():
            # daily: the occurrence at 03:00 is due now, the next one is hours away
            site_toml(newsroom, sites_dir, name=name, schedule="0 3 * * *", politeness=QUICK)
        logs = {n: tmp_path / f"{n}.log" for n in ("sched-1", "sched-2", "node-a", "node-b")}
        try:
            schedulers = ("sched-1", "sched-2")
            for node in schedulers:
                procs.append(_start(_scheduler(redis_url, sites_dir, node), logs[node]))
            # both schedulers have looked at all four sites
            _wait_for(
                lambda: all(
                    logs[n].read_text().count("occurrence") >= 4 for n in logs if "sched" in n
                ),
                60,
                "both schedulers to offer the four sites",
            )
            for node in ("node-a", "node-b"):
                procs.append(_start(_worker(redis_url, store, sites_dir, node, 4), logs[node]))
            for worker in procs[2:]:
                assert worker.wait(timeout=300) == 0, logs[worker_node(worker, procs)].read_text()
            # schedulers still running all the while: nothing more was queued
            for scheduler in procs[:2]:
                scheduler.send_signal(signal.SIGTERM)
                assert scheduler.wait(timeout=30) == 0
        finally:
            _stop(procs)

        text = {n: log.read_text() for n, log in logs.items()}
        queued = sum(text[n].count(" queued\n") for n in ("sched-1", "sched-2"))
        by_other = sum(text[n].count("queued by another scheduler") for n in ("sched-1", "sched-2"))
        assert (queued, by_other) == (4, 4), text["sched-1"] + text["sched-2"]

        runs = _intervals([logs["node-a"], logs["node-b"]])
        assert sorted(runs) == sorted(newsrooms)
        for site, crawls in runs.items():
            assert len(crawls) == 1, f"{site} crawled {len(crawls)} times: {crawls}"
            ((start, end, _),) = crawls
            assert end is not None and start <= end
        nodes = {node for crawls in runs.values() for _, _, node in crawls}
        assert nodes == {"node-a", "node-b"}  # the work was shared

        catalog_runs = _catalog(store, "SELECT crawl_id, finished_at FROM runs")
        assert len(catalog_runs) == 4 and all(finished for _, finished in catalog_runs)
        records = article_records(store)
        for name, newsroom in newsrooms.items():
            fetches = _article_fetches(newsroom)
            assert fetches and max(fetches.values()) == 1, (name, fetches)
            wanted = {newsroom.url(p) for p in newsroom.expected_in_window(timedelta(days=7))}
            assert wanted <= {r["url"] for r in records}, name

    check = SiteQueue.from_url(redis_url)
    try:
        assert check.due() == [] and check.running() == {}
    finally:
        check.close()


def worker_node(proc: subprocess.Popen, procs: list[subprocess.Popen]) -> str:
    return "node-a" if proc is procs[2] else "node-b"


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for init to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_nodes_site_is_resumed_by_another_without_refetching(redis_url, tmp_path):
    sites_dir, store = tmp_path / "sites", tmp_path / "data"
    sites_dir.mkdir()
    logs = {n: tmp_path / f"{n}.log" for n in ("node-a", "node-b")}
    procs: list[subprocess.Popen] = []
    with newsroom_site() as newsroom:
        config = site_toml(
            newsroom,
            sites_dir,
            name="site0",
            schedule="0 3 * * *",
            politeness="download_delay = 0.5\nconcurrency = 1\nautothrottle = false",
        )
        # "always": a resumed run that did not know its occurrence would fetch again every
        # article the killed run archived
        config.write_text(config.read_text() + '\n[recrawl]\npolicy = "always"\n')
        queued = subprocess.run(
            [sys.executable, "-m", "crawler.cli", *_scheduler(redis_url, sites_dir, "s"), "--once"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert queued.returncode == 0 and "queued" in queued.stderr, queued.stderr
        try:
            procs.append(_start(_worker(redis_url, store, sites_dir, "node-a", 60), logs["node-a"]))
            _wait_for(lambda: "started on node node-a" in logs["node-a"].read_text(), 60, "node-a")
            started = re.search(
                r"crawl (\S+) started on node node-a \(pid (\d+)", logs["node-a"].read_text()
            )
            crawl_a, child_a = started[1], int(started[2])
            procs.append(
                _start(_worker(redis_url, store, sites_dir, "node-b", 4 * LEASE), logs["node-b"])
            )
            _wait_for(
                lambda: len(_catalog(store, "SELECT url FROM articles")) >= 2,
                120,
                "node-a to archive two articles",
            )
            procs[0].send_signal(signal.SIGKILL)  # the worker only: its crawl must die with it
            killed_at, killed_mono = datetime.now(), time.monotonic()
            procs[0].wait(timeout=10)
            _wait_for(lambda: not _alive(child_a), 10, "node-a's crawl to die with node-a")
            assert procs[1].wait(timeout=240) == 0, logs["node-b"].read_text()[-3000:]
        finally:
            _stop(procs)

        events_b = _crawl_events(logs["node-b"])
        assert [e[3] for e in events_b] == ["started", "ended"], logs["node-b"].read_text()
        start_b, crawl_b = events_b[0][0], events_b[0][2]
        # one node at a time: node-b took the site only after node-a's lease expired
        assert start_b > killed_at
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

    check = SiteQueue.from_url(redis_url)
    try:
        assert check.due() == [] and check.running() == {}
    finally:
        check.close()
