"""Site work for `crawler worker`: take a due site crawl from Redis, hold the site's lease
while a `crawler crawl` child runs it, and let go at the end.

The lease is renewed every third of `SITE_LEASE_SECONDS` from this loop. If it cannot be
renewed (Redis unreachable until the lease is about to expire, or it expired and another
node holds the site now) the child is killed at once: a site is crawled by one node at a
time, whatever happens. The child gets SIGKILL when this process dies (a parent-death
signal), so a dead worker leaves no crawl behind that would overlap the node taking over.

When a worker is stopped (SIGTERM/SIGINT) its child gets SIGTERM, finishes the responses
in flight and closes its files; the occurrence goes back to the front of the queue, and
the next worker resumes it. A node that dies without a word leaves an orphan whose lease
expires; the next `take` re-queues it. Either way the resuming crawl gets `--occurrence`:
articles the catalog got since the occurrence's cron time are not fetched again, whatever
the site's recrawl policy, and the run repairs and catalogues what a killed run left.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import redis

from crawler.lifetime import parent_death_signal
from crawler.scale.site_queue import SiteQueue, SiteTake
from crawler.scale.worker_context import WorkerContext
from crawler.scheduler import site_crawl_id

logger = logging.getLogger("crawler.worker.sites")

_POLL_SECONDS = 0.2  # how often the child is looked at while it runs


def site_queue(ctx: WorkerContext) -> SiteQueue:
    """The worker's SiteQueue, made on first use. A Redis call that hangs must not keep
    the lease watch from killing the crawl before the lease runs out: calls give up
    after a twentieth of the lease."""
    if ctx.site_queue is None:
        lease = ctx.settings.getfloat("SITE_LEASE_SECONDS")
        ctx.site_queue = SiteQueue.from_url(ctx.frontier, timeout=max(lease / 20, 0.25))
    return ctx.site_queue


def take_site_work(ctx: WorkerContext) -> bool:
    """Take one due site crawl and run it to its end (True), or find none (False; also
    while Redis cannot be reached: the worker keeps trying)."""
    queue = site_queue(ctx)
    lease = ctx.settings.getfloat("SITE_LEASE_SECONDS")
    try:
        result = queue.take(ctx.node_id, lease, datetime.now(UTC).isoformat())
    except redis.RedisError as exc:
        logger.warning("cannot take site work from %s: %s; trying again", ctx.frontier, exc)
        return False
    for orphan in result.requeued:
        logger.warning(
            "site %s: occurrence %s: lease of node %s expired (the node died?); re-queued",
            orphan["site"],
            orphan["occurrence"],
            orphan.get("node"),
        )
    for entry in result.skipped:
        logger.warning(
            "site %s: occurrence %s: a stray entry of the queue, dropped",
            entry["site"],
            entry["occurrence"],
        )
    if result.taken is None:
        return False
    _crawl(ctx, queue, result.taken, lease)
    return True


def _crawl(ctx: WorkerContext, queue: SiteQueue, take: SiteTake, lease: float) -> None:
    crawl_id = site_crawl_id(take.site)
    args = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        take.site,
        "--occurrence",
        take.occurrence,
        *ctx.crawl_args,
        "-s",
        f"CRAWL_ID={crawl_id}",
    ]
    started = time.monotonic()
    # The child dies with this process: a worker killed outright leaves no crawl behind.
    # Its own process group: a Ctrl-C at the terminal reaches the worker alone, which
    # passes one SIGTERM on (a second signal would make Scrapy stop without closing files).
    child = subprocess.Popen(args, preexec_fn=parent_death_signal(), process_group=0)
    logger.info(
        "site %s: occurrence %s: crawl %s started on node %s (pid %d%s)",
        take.site,
        take.occurrence,
        crawl_id,
        ctx.node_id,
        child.pid,
        f", resuming after {take.resumes} unfinished attempt(s)" if take.resumes else "",
    )
    held, terminated = _watch(ctx, queue, take, lease, child)
    code = child.wait()
    # Stopped before its end (SIGTERM: "the run stopped early"): another worker resumes it.
    stopped = terminated and code != 0
    if held:
        try:
            queue.release(take, requeue=stopped)
        except redis.RedisError as exc:  # the lease expires; the occurrence runs again then
            logger.error("site %s: could not release the lease: %s", take.site, exc)
    logger.info(
        "site %s: occurrence %s: crawl %s ended on node %s: exit %d, %.1f s%s",
        take.site,
        take.occurrence,
        crawl_id,
        ctx.node_id,
        code,
        time.monotonic() - started,
        "; re-queued for another worker" if held and stopped else "",
    )


def _watch(
    ctx: WorkerContext, queue: SiteQueue, take: SiteTake, lease: float, child: subprocess.Popen
) -> tuple[bool, bool]:
    """Renew the lease while the child runs: (the lease is still ours at the end, the
    child was asked to stop)."""
    renew_every = lease / 3
    last_renewed = time.monotonic()
    terminated = False
    while child.poll() is None:
        if ctx.stopping and not terminated:
            child.send_signal(signal.SIGTERM)  # finish what is in flight, close the files
            terminated = True
        now = time.monotonic()
        if now - last_renewed >= renew_every:
            try:
                if not queue.renew(take, lease):
                    logger.error(
                        "site %s: the lease expired and another node may crawl it now: "
                        "stopping this crawl",
                        take.site,
                    )
                    _kill(child)
                    return False, terminated
                last_renewed = now
            except redis.RedisError as exc:  # try again, until it is too late
                logger.warning("site %s: lease renewal failed: %s", take.site, exc)
        if now - last_renewed >= lease * 0.9:
            logger.error(
                "site %s: the lease could not be renewed for %.0f s: stopping this crawl",
                take.site,
                now - last_renewed,
            )
            _kill(child)
            return False, terminated
        time.sleep(_POLL_SECONDS)
    return True, terminated


def _kill(child: subprocess.Popen) -> None:
    # SIGKILL, not SIGTERM: the lease may be gone in a moment and another node start; the
    # next run repairs the torn files (crawler.store.recovery).
    child.kill()
    child.wait()
