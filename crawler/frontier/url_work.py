"""`crawler worker`'s URL work: when the shared frontier holds URLs, archive a run's worth
of them (FRONTIER_RUN_MAX_URLS) in a crawl of its own.

The crawl is `crawler archive --frontier URI` in a child process: Scrapy's reactor runs
once per process, and a run's report, WARC files and catalog rows stay those of one run.
The child dies with the worker (PR_SET_PDEATHSIG), so a killed node leaves no crawl
running; what it held is leased, and comes back to the queue when the leases expire.
"""

from __future__ import annotations

import logging
import subprocess
import sys

from crawler.frontier import is_shared, open_frontier
from crawler.lifetime import parent_death_signal

logger = logging.getLogger("crawler.worker")


def _unreachable(uri: str) -> tuple[type[Exception], ...]:
    """The errors of a frontier server out of reach (Redis's), to wait out; none locally."""
    if not is_shared(uri):
        return ()
    import redis

    return (redis.RedisError,)


def take_url_work(ctx) -> bool:
    """Archive a batch of the frontier's URLs if it has any; whether there was work."""
    frontier = open_frontier(ctx.frontier, lease_seconds=0.0)
    try:
        frontier.take("", 0)  # puts expired leases (dead nodes' URLs) back on the queue
        queued = frontier.counts()["queued"]
    except _unreachable(ctx.frontier) as exc:  # the worker keeps trying, as for site work
        logger.warning("cannot take URL work from %s: %s; trying again", ctx.frontier, exc)
        return False
    finally:
        frontier.close()
    if not queued or ctx.stopping:
        return False
    command = [sys.executable, "-m", "crawler.cli", "archive", "--frontier", ctx.frontier]
    if ctx.store:
        command += ["--store", ctx.store]
    ctx.child = subprocess.Popen(command + ctx.passed_on, preexec_fn=parent_death_signal())
    try:
        ctx.child.wait()
    finally:
        ctx.child = None
    return True
