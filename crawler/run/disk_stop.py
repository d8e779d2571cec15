"""What a run does when its store's disk fills: stop fetching at the first "no space"
error, free the reserve (`crawler.store.disk.DiskReserve`) so that closing can still
write the catalog rows, the last index and the manifest, and say it once.

Every writer of the run hands its "no space" errors here (`hit`); writes the run must not
lose (catalog rows, the manifest) go through `write`, which retries once in the freed
room. The run then ends with finish reason "disk full", exit status 1, and one line:
`crawler: disk full writing <path>: No space left on device`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TypeVar

from scrapy.utils.defer import deferred_from_coro

from crawler.store.disk import DiskReserve, is_disk_full

logger = logging.getLogger(__name__)

FINISH_REASON = "disk full"
T = TypeVar("T")


class DiskFullStop:
    def __init__(self, reserve: DiskReserve | None) -> None:
        self.reserve = reserve
        self.message: str | None = None  # set by the first "no space" error
        self.lost_writes = 0  # writes that failed even in the reserve's room
        self._crawler = None  # the Scrapy crawler to stop, if the run has one

    def stops(self, crawler) -> None:
        """The crawl that a full disk stops (`crawler reextract` has none)."""
        self._crawler = crawler

    @property
    def hit_already(self) -> bool:
        return self.message is not None

    def hit(self, exc: BaseException, path: str | os.PathLike[str]) -> None:
        """A write to `path` failed with "no space": the first time, free the reserve,
        say so once and stop the crawl; later hits add nothing."""
        if self.message is not None:
            return
        where = getattr(exc, "filename", None) or path
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.message = f"disk full writing {where}: {why}"
        if self.reserve is not None:
            self.reserve.release()
        logger.error("%s; stopping the crawl, closing what was written", self.message)
        crawler = self._crawler
        if crawler is not None and crawler.engine is not None and crawler.spider is not None:
            # As Scrapy's CloseSpider: the requests in flight end, no new ones start.
            deferred_from_coro(crawler.engine.close_spider_async(reason=FINISH_REASON))

    def write(self, path, write: Callable[..., T], *args, **kwargs) -> T | None:
        """`write(*args, **kwargs)`; on "no space", `hit` and try once more in the room
        the reserve leaves. None (logged, counted) if that fails too."""
        try:
            return write(*args, **kwargs)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self.hit(exc, path)
        try:
            return write(*args, **kwargs)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self.lost_writes += 1
            logger.error("not written, the disk is full: %s (%s)", path, exc)
            return None

    def release(self) -> None:
        if self.reserve is not None:
            self.reserve.release()
