"""`crawler schedule`: cron runs in their own processes, never two of one site at once,
locks that die with their process, SIGTERM finishing cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest

from crawler.scheduler import SiteLock
from tests.conftest import ROOT, run_cli
from tests.newsroom import NewsroomSite
from tests.test_site_crawl import site_toml
from tests.warc_tools import warcio_check


@pytest.fixture
def newsroom():
    with NewsroomSite() as site:
        yield site


def only(sites) -> list[str]:
    """This folder of site configs instead of settings/sites (whose real sites the tests
    must never contact)."""
    return ["-s", f"SITES_DIRS={sites}"]


def scheduled_site(newsroom, tmp_path, **site) -> tuple:
    """A sites folder holding one newsroom site (`site_toml` keywords), and a store path."""
    sites = tmp_path / "sites"
    sites.mkdir()
    site_toml(newsroom, sites, **site)
    return sites, tmp_path / "data"


def runs(store) -> list[tuple[datetime, datetime | None, str]]:
    db = sqlite3.connect(store / "catalog.sqlite")
    rows = db.execute(
        "SELECT started_at, finished_at, crawl_id FROM runs ORDER BY started_at"
    ).fetchall()
    db.close()
    return [
        (datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None, c) for a, b, c in rows
    ]


def test_scheduler_runs_a_site_twice_without_overlap(newsroom, tmp_path):
    # due every 2 s; a run takes longer than that, so occurrences fall while one runs
    sites, store = scheduled_site(
        newsroom,
        tmp_path,
        schedule="*/2 * * * * *",
        politeness="download_delay = 0.25\nconcurrency = 1\nautothrottle = false",
    )
    result = run_cli(
        "schedule", *only(sites), "--store", str(store), "--max-runs", "2", timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    done = runs(store)
    assert len(done) == 2
    (s1, f1, _), (s2, f2, _) = done
    assert f1 is not None and f2 is not None
    assert s2 >= f1, f"runs overlapped: {done}"
    assert (f1 - s1).total_seconds() > 2  # the schedule was due again during run 1
    assert "still going; skipped" in result.stderr
    assert result.stderr.count("finished, exit 0") == 2
    assert '"articles": ' in result.stderr  # the log says the counts of each run
    state = json.loads((store / "schedule" / "newsroom.json").read_text())
    assert state["last_exit"] == 0


def test_schedule_once_runs_what_is_due_then_exits(newsroom, tmp_path):
    sites, store = scheduled_site(newsroom, tmp_path, schedule="0 3 * * *")
    first = run_cli("schedule", "--once", *only(sites), "--store", str(store))
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(runs(store)) == 1  # never ran before: due now
    again = run_cli("schedule", "--once", *only(sites), "--store", str(store))
    assert again.returncode == 0
    assert "no site is due" in again.stderr
    assert len(runs(store)) == 1


def test_site_lock_blocks_a_second_run_and_dies_with_its_holder(newsroom, tmp_path):
    store = tmp_path / "data"
    config = site_toml(newsroom, tmp_path)
    lock = SiteLock(store / "locks", "newsroom")
    assert lock.acquire()
    try:
        blocked = run_cli("crawl", str(config), "--store", str(store))
    finally:
        lock.release()
    assert blocked.returncode == 1
    assert f"already being crawled (pid {os.getpid()})" in blocked.stderr
    assert newsroom.requests == []
    # A holder killed with SIGKILL leaves no stuck lock behind.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from crawler.scheduler import SiteLock;"
            f"lock = SiteLock(Path({str(store / 'locks')!r}), 'newsroom'); assert lock.acquire();"
            "print('held', flush=True); time.sleep(60)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not SiteLock(store / "locks", "newsroom").acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    ok = run_cli("crawl", str(config), "--store", str(store))
    assert ok.returncode == 0, ok.stderr[-3000:]


def test_sigterm_lets_the_running_crawl_finish_its_records(newsroom, tmp_path):
    sites, store = scheduled_site(
        newsroom,
        tmp_path,
        schedule="0 3 * * *",
        politeness="download_delay = 0.5\nconcurrency = 1\nautothrottle = false",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "schedule", *only(sites), "--store", str(store)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            p.endswith(".html") for p, _ in newsroom.requests
        ):
            time.sleep(0.2)
        assert any(p.endswith(".html") for p, _ in newsroom.requests), "no run started"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 1), err[-3000:]
    assert "no new runs" in err
    ((started, finished, crawl_id),) = runs(store)
    assert finished is not None
    report = json.loads((store / "runs" / f"{crawl_id}.json").read_text())
    assert report["finish_reason"] == "shutdown"
    assert not list(store.rglob("*.open"))  # WARC and shard files closed, not torn
    check = warcio_check((store / "warc").rglob("*.warc.gz"))
    assert check.returncode == 0, check.stdout + check.stderr
