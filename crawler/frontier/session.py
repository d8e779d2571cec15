"""One crawl's side of a frontier: take leases in batches, skip what the store has
archived already, keep the leases of URLs in flight alive, and acknowledge a URL only
once the catalog holds its outcome.

"Archived" is the catalog's word (`Catalog.archived_urls`): a capture of the URL with a
final answer (HTTP status below 500) and, when extraction is on, for an HTML page, its
article record (a run killed between the capture and the article fetches it again). A
URL that got no response (DNS, refused, timeout) or a 5xx is fetched again by a later
run; `refetch` entries are fetched whatever the catalog says.
"""

from __future__ import annotations

import logging
import os
import time

from scrapy import signals
from twisted.internet import task
from w3lib.url import safe_url_string

from crawler.fetch.credentials import split_credentials
from crawler.frontier import Entry, open_frontier
from crawler.node import node_id

logger = logging.getLogger(__name__)

ACK_SECONDS = 1.0  # how often outcomes are committed and acknowledged (and leases renewed)


def owner_id(settings) -> str:
    """Who holds this process's leases: the node id and the process (one node may run
    several crawls)."""
    return f"{node_id(settings)}/{os.getpid()}"


def request_url(url: str) -> str:
    """The URL a capture of `url` is catalogued under (what Scrapy sends: credentials
    split off, unsafe characters percent-encoded)."""
    return safe_url_string(split_credentials(url)[0])


class FrontierSession:
    def __init__(self, crawler, run, uri: str, *, max_urls: int = 0) -> None:
        settings = crawler.settings
        self.run = run
        self.frontier = open_frontier(uri, settings.getfloat("FRONTIER_LEASE_SECONDS"))
        self.owner = owner_id(settings)
        self.batch = max(1, settings.getint("FRONTIER_BATCH"))
        self.need_article = settings.getbool("EXTRACT_ENABLED")
        self.max_urls = max_urls  # 0 = until the frontier is empty
        self.taken = 0
        self.already_archived = 0
        self.in_flight: dict[str, Entry] = {}  # the URL items will carry -> its entry
        self._acks: list[Entry] = []
        self._renew_every = max(1, int(settings.getfloat("FRONTIER_LEASE_SECONDS") / 3))
        self._ticks = 0
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(ACK_SECONDS, now=False)
        crawler.signals.connect(self._item_scraped, signal=signals.item_scraped)
        # not acknowledged (the lease expires, another crawl retries), no longer in flight
        crawler.signals.connect(self._item_lost, signal=signals.item_dropped)
        crawler.signals.connect(self._item_lost, signal=signals.item_error)
        run.on_close(self.close)

    def next_batch(self) -> list[Entry]:
        """The next entries to fetch; [] when the frontier has none (or `max_urls` were
        taken). Entries the store has archived are acknowledged and counted, not returned."""
        while not self.max_urls or self.taken < self.max_urls:
            want = self.batch if not self.max_urls else min(self.batch, self.max_urls - self.taken)
            entries = self._call(self.frontier.take, self.owner, want)
            if not entries:
                return []
            self.taken += len(entries)
            if any(e.requeued for e in entries):
                # their first taker died: catalogue what its WARC files hold first
                self.run.repair_leftovers()
            archived = self._archived(entries)
            if archived:
                self._call(self.frontier.done, archived)
                self.already_archived += len(archived)
                self.run.counts["already_archived"] = self.already_archived
            fresh = [e for e in entries if e not in archived]
            if fresh:
                return fresh
        return []

    def _archived(self, entries: list[Entry]) -> list[Entry]:
        check = {request_url(e.url): e for e in entries if not e.refetch}
        if not check:
            return []
        found = self.run.catalog.archived_urls(list(check), need_article=self.need_article)
        return [check[url] for url in found]

    def started(self, key: str, entry: Entry) -> None:
        """`entry` is being fetched; its item will carry the URL `key`."""
        self.in_flight[key] = entry

    def _item_scraped(self, item, response=None, spider=None) -> None:
        if getattr(item, "context_for", None):  # a probe page: not frontier work
            return
        entry = self.in_flight.pop(getattr(item, "url", None), None)
        if entry is not None:
            self._acks.append(entry)

    def _item_lost(self, item, response=None, spider=None, **kwargs) -> None:
        self.in_flight.pop(getattr(item, "url", None), None)

    def _tick(self) -> None:
        try:
            self.acknowledge()
            self._ticks += 1
            if self._ticks % self._renew_every == 0 and self.in_flight:
                self._call(self.frontier.renew, self.owner, list(self.in_flight.values()))
        except Exception as exc:  # noqa: BLE001 - leases expire and the work is redone
            logger.error("frontier: %s: %s", type(exc).__name__, exc)

    def acknowledge(self) -> None:
        """Commit the outcomes so far, then tell the frontier those URLs are done."""
        if self._acks:
            self.run.flush_captures()
            acks, self._acks = self._acks, []
            self._call(self.frontier.done, acks)

    def _call(self, method, *args):
        """A frontier call, counted with this thread's CPU time in the run report
        (`frontier_calls`, `frontier_cpu_ms`): the coordination cost per URL."""
        started = time.thread_time()
        try:
            return method(*args)
        finally:
            counts = self.run.counts
            counts["frontier_calls"] = counts.get("frontier_calls", 0) + 1
            spent = (time.thread_time() - started) * 1000
            counts["frontier_cpu_ms"] = round(counts.get("frontier_cpu_ms", 0) + spent, 3)

    def close(self) -> None:
        if self._loop.running:
            self._loop.stop()
        try:
            self.acknowledge()
        finally:
            self.frontier.close()
