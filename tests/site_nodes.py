"""Nodes of the many-node tests as processes (`crawler schedule --frontier`, `crawler
worker`) and what they leave to look at: their logs, the catalog, the fixture sites."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crawler.scale.site_queue import SiteQueue
from tests.conftest import ROOT
from tests.newsroom import NewsroomSite, default_articles
from tests.process_tools import wait_for  # noqa: F401 - the many-node tests' helper

LEASE = 3.0  # SITE_LEASE_SECONDS in these tests: a dead node's site is free after this
QUICK = "download_delay = 0\nconcurrency = 2\nautothrottle = false"


def newsroom_site() -> NewsroomSite:
    """The newsroom without its rate-limited article: its Retry-After would slow the whole
    crawl to one request per 2 s (crawler.fetch.politeness), which is not what is tested."""
    return NewsroomSite(
        articles=[a for a in default_articles() if not a.path.startswith("/limited/")]
    )


def start_node(args: list[str], log: Path) -> subprocess.Popen:
    """A `crawler ...` node process, its stderr in `log`."""
    with open(log, "wb") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=fh,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def stop_nodes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def worker_args(redis_url: str, store: Path, sites: Path, node: str, idle: float) -> list[str]:
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


def scheduler_args(redis_url: str, sites: Path, node: str, *more: str) -> list[str]:
    return ["schedule", "--frontier", redis_url, "--node-id", node, "-s", f"SITES_DIRS={sites}"]


CRAWL_LINE = re.compile(
    r"^(\S+ \S+) crawler\.worker\.sites INFO: site (\S+): occurrence (\S+): crawl (\S+) "
    r"(started|ended) on node (\S+)"
)
OFFER_LINE = re.compile(r"crawler\.scheduler INFO: site (\S+): occurrence (\S+) (.*)$", re.M)


@dataclass
class Crawl:
    site: str
    occurrence: str
    node: str
    start: datetime
    end: datetime | None = None  # None: the node died


def crawls_in(logs: list[Path]) -> dict[str, Crawl]:
    """crawl id -> the crawl, as the workers' logs tell it."""
    found: dict[str, Crawl] = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            m = CRAWL_LINE.match(line)
            if not m:
                continue
            when = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f")
            if m[5] == "started":
                found[m[4]] = Crawl(m[2], m[3], m[6], when)
            else:
                found[m[4]].end = when
    return found


def catalog_rows(store: Path, sql: str, *params) -> list[tuple]:
    path = store / "catalog.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the first run is still creating the tables
            return []
        raise
    finally:
        db.close()


def article_fetches(site: NewsroomSite) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in site.fetched(200):
        if path.endswith(".html"):
            counts[path] = counts.get(path, 0) + 1
    return counts


def queue_is_empty(redis_url: str) -> bool:
    check = SiteQueue.from_url(redis_url)
    try:
        return check.due() == [] and check.running() == {}
    finally:
        check.close()


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for init to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
