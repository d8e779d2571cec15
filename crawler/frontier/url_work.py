"""`crawler worker`'s URL work: when the shared frontier holds URLs, archive a run's worth
of them (FRONTIER_RUN_MAX_URLS) in a crawl of its own.

The crawl is `crawler archive --frontier URI` in a child process: Scrapy's reactor runs
once per process, and a run's report, WARC files and catalog rows stay those of one run.
The child dies with the worker (PR_SET_PDEATHSIG), so a killed node leaves no crawl
running; what it held is leased, and comes back to the queue when the leases expire.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

from crawler.frontier import open_frontier

PR_SET_PDEATHSIG = 1


def take_url_work(ctx) -> bool:
    """Archive a batch of the frontier's URLs if it has any; whether there was work."""
    frontier = open_frontier(ctx.frontier, lease_seconds=0.0)
    try:
        frontier.take("", 0)  # puts expired leases (dead nodes' URLs) back on the queue
        queued = frontier.counts()["queued"]
    finally:
        frontier.close()
    if not queued or ctx.stopping:
        return False
    command = [sys.executable, "-m", "crawler.cli", "archive", "--frontier", ctx.frontier]
    if ctx.store:
        command += ["--store", ctx.store]
    ctx.child = subprocess.Popen(command + ctx.passed_on, preexec_fn=_die_with_parent)
    try:
        ctx.child.wait()
    finally:
        ctx.child = None
    return True


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the worker dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: a killed worker's crawl finishes its batch alone
