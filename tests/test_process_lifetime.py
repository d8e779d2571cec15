"""Every process a crawler starts ends with it, even when the crawler is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT, SESSION_TOKEN
from tests.process_tools import descendants, kill, session_processes, wait_gone


def _helpers_running(pid: int) -> list:
    """The crawler's descendants once its extraction workers and index worker are up."""
    procs = descendants(pid)
    workers = [
        p
        for p in procs
        if "multiprocessing.forkserver" in p.cmdline
        and any(q.pid == p.ppid and "multiprocessing.forkserver" in q.cmdline for q in procs)
    ]
    indexer = [p for p in procs if "multiprocessing.spawn" in p.cmdline]
    return procs if workers and indexer else []


def test_sigkill_of_archive_leaves_no_process(site, tmp_path):
    # slow pages keep the run busy; a tiny WARC_MAX_SIZE rotates on the first record, so the
    # CDXJ index worker is up too when the kill comes
    urls = [site.url(site.article_paths()[0])]
    urls += [site.url(f"/slow?delay=2&lifetime={i}") for i in range(40)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "archive",
            *urls,
            "--store",
            str(tmp_path),
            "--concurrency",
            "2",
            "--warc-max-size",
            "1000",
            "--progress-interval",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    helpers: list = []
    try:
        deadline = time.monotonic() + 90
        while not helpers and time.monotonic() < deadline:
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.2)
            helpers = _helpers_running(proc.pid)
        assert helpers, "the extraction and index workers never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        left = wait_gone([p.pid for p in helpers], 10.0)
        assert not left, [p.cmdline[:120] for p in helpers if p.pid in left]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        kill([p.pid for p in helpers])


def test_session_check_finds_a_process_reparented_to_init():
    # the shell exits at once, its background sleep is orphaned: no longer below pytest,
    # found by the session's mark (what the conftest check relies on)
    subprocess.run(["sh", "-c", "sleep 57 >/dev/null 2>&1 &"], timeout=10, check=True)
    found = []
    try:
        deadline = time.monotonic() + 10
        while not found and time.monotonic() < deadline:
            found = [
                p for p in session_processes(os.getpid(), SESSION_TOKEN) if p.cmdline == "sleep 57"
            ]
            time.sleep(0.05)
        assert found and found[0].ppid != os.getpid()
        assert found[0].pid not in {p.pid for p in descendants(os.getpid())}
    finally:
        kill([p.pid for p in found])
    assert wait_gone([p.pid for p in found], 5.0) == []
