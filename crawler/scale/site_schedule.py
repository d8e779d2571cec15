"""`crawler schedule --frontier redis://...`: queue each due occurrence of each site's
cron schedule for the workers, instead of running it here. Any number of nodes may run
this: the occurrence is the cron time itself (the same on every node), and a Redis key
per site and occurrence (`SiteQueue.offer`, SET NX) lets one scheduler queue it.

An occurrence is due from its cron time until the next one; a site that was never queued
is due at once (its latest occurrence), like the local scheduler's never-run sites.
Occurrences missed while no scheduler ran collapse into the latest one; one that falls
due while the site is being crawled is skipped, and one that falls due while an earlier
one still waits for a worker is folded into that one (`SiteQueue`).
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import UTC, datetime

import redis

from crawler.scale.site_queue import FOLDED, OFFERED, QUEUED, SKIPPED, SiteQueue
from crawler.scheduler import ScheduledSite, next_time, previous_time

logger = logging.getLogger("crawler.scheduler")

_SAID = {
    QUEUED: "queued",
    OFFERED: "was queued by another scheduler",
    FOLDED: "folded into the earlier one still waiting for a worker",
    SKIPPED: "skipped: the site is still being crawled",
}
# Schedulers' clocks may disagree by up to this many seconds: an occurrence key outlives
# the time any of them can still see that occurrence as the latest.
CLOCK_SKEW_SECONDS = 300


class SiteEnqueuer:
    """Offers each site's latest due occurrence to the shared queue, once per occurrence."""

    def __init__(
        self, sites: list[ScheduledSite], queue: SiteQueue, *, node: str, poll: float = 0.5
    ) -> None:
        self.sites = sites
        self.queue = queue
        self.node = node
        self.poll = poll
        self.stopping = False
        self._offered: dict[str, datetime] = {}  # site -> latest occurrence offered from here

    def offer_due(self, now: datetime) -> int:
        """Offer every site's latest occurrence not offered from here yet; how many this
        scheduler queued (the others were queued by another scheduler)."""
        queued = 0
        for site in self.sites:
            occurrence = previous_time(site.cron, now)
            if self._offered.get(site.name) == occurrence:
                continue  # no Redis round trip until the next occurrence falls due
            gap = (next_time(site.cron, occurrence) - occurrence).total_seconds()
            done = self.queue.offer(site.name, occurrence, int(gap) + CLOCK_SKEW_SECONDS, self.node)
            queued += done == QUEUED
            logger.info("site %s: occurrence %s %s", site.name, occurrence.isoformat(), _SAID[done])
            self._offered[site.name] = occurrence
        return queued

    def run(self, *, once: bool) -> int:
        """Offer due occurrences until stopped (with `once`: what is due now, then exit)."""
        installed = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while True:
                try:
                    self.offer_due(datetime.now(UTC))
                except redis.RedisError as exc:
                    if once:
                        raise
                    logger.warning("cannot reach Redis: %s; trying again", exc)
                if once or self.stopping:
                    return 0
                time.sleep(self.poll)
        finally:
            for sig, handler in installed.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum, frame) -> None:
        logger.info("signal %d: no more occurrences queued from here", signum)
        self.stopping = True
