"""Extraction in worker processes, bounded in input size and time.

Parsing and trafilatura are CPU-bound; on the reactor thread they would stall every
download. Each document goes to a `ProcessPoolExecutor` worker. Bounds:
- input larger than `max_bytes` is refused before it is sent anywhere;
- inside the worker a SIGALRM interval timer interrupts a document after `timeout`
  seconds (the worker survives and takes the next document);
- if a worker is stuck in C code past `timeout + grace`, or dies, the pool is rebuilt
  and the document fails with a reason; the crawl goes on.
Workers come from a forkserver that has already imported trafilatura: no fork of the
threaded crawler process, and no multi-second import per worker.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.lifetime import exit_with
from settings import EXTRACT_MAX_BYTES, EXTRACT_TIMEOUT

logger = logging.getLogger(__name__)

_GRACE_SECONDS = 10.0


class ExtractionTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise ExtractionTimeout()


def _worker_init(crawler_pid: int) -> None:
    # Ctrl-C is the parent's business; a worker interrupted mid-task would break the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _on_alarm)
    exit_with(crawler_pid)  # a SIGKILLed crawler leaves no worker (nor forkserver) behind


def run_extraction(
    html: bytes, url: str | None, content_language: str | None, timeout: float, site_rules=None
) -> dict:
    """Worker entry point. Never raises: returns {"ok": bool, "extraction"|"error": ...}."""
    from crawler.extract.trafilatura_extractor import extract_html

    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = extract_html(html, url, content_language, site_rules=site_rules)
        return {"ok": True, "extraction": result.to_dict()}
    except ExtractionTimeout:
        return {"ok": False, "error": f"extraction took longer than {timeout:g}s"}
    except RecursionError:
        return {"ok": False, "error": "extraction failed: document nested too deeply"}
    except Exception as exc:  # noqa: BLE001 - any extractor bug is this document's failure
        return {"ok": False, "error": f"extraction failed: {type(exc).__name__}: {exc}"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class ExtractionPool:
    def __init__(
        self,
        workers: int | None = None,
        timeout: float = EXTRACT_TIMEOUT,
        max_bytes: int = EXTRACT_MAX_BYTES,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._executor: ProcessPoolExecutor | None = None

    @classmethod
    def from_settings(cls, settings) -> ExtractionPool:
        """EXTRACT_WORKERS (0 = one per core), EXTRACT_TIMEOUT, EXTRACT_MAX_BYTES."""
        return cls(
            workers=settings.getint("EXTRACT_WORKERS") or None,
            timeout=settings.getfloat("EXTRACT_TIMEOUT"),
            max_bytes=settings.getint("EXTRACT_MAX_BYTES"),
        )

    # -- lifecycle ---------------------------------------------------------------------

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(
                ["crawler.extract.trafilatura_extractor", "crawler.extract.classifier"]
            )
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
        return self._executor

    def _rebuild(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # A stuck worker ignores shutdown(); kill the processes so the slots come back.
        for proc in list(getattr(executor, "_processes", {}).values()):
            proc.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    # -- submitting work ---------------------------------------------------------------

    def too_large(self, html: bytes) -> dict | None:
        if len(html) > self.max_bytes:
            return {
                "ok": False,
                "error": (
                    f"document is {len(html):,} bytes, above the extraction limit of "
                    f"{self.max_bytes:,} (EXTRACT_MAX_BYTES); raw response kept in the WARC"
                ),
            }
        return None

    def submit(
        self, html: bytes, url: str | None, content_language: str | None = None, site_rules=None
    ) -> Future:
        return self._pool().submit(
            run_extraction, html, url, content_language, self.timeout, site_rules
        )

    async def extract(
        self, html: bytes, url: str | None, content_language: str | None = None, site_rules=None
    ) -> dict:
        """Extract on the asyncio loop (Scrapy's reactor) without blocking it."""
        refused = self.too_large(html)
        if refused:
            return refused
        for attempt in (1, 2):
            try:
                future = self.submit(html, url, content_language, site_rules)
                return await asyncio.wait_for(
                    asyncio.wrap_future(future), self.timeout + _GRACE_SECONDS
                )
            except TimeoutError:
                logger.warning("extraction of %s stuck past its deadline; restarting workers", url)
                self._rebuild()
                return {
                    "ok": False,
                    "error": (f"extraction took longer than {self.timeout:g}s (worker killed)"),
                }
            except BrokenProcessPool:
                # Another document killed the pool (e.g. the restart above); retry once.
                self._rebuild()
                if attempt == 2:
                    return {"ok": False, "error": "extraction worker died twice on this document"}
        raise AssertionError("unreachable")

    def map_ordered(self, jobs: Iterable[tuple], window: int | None = None) -> Iterator[dict]:
        """Blocking, order-preserving map with at most `window` documents in flight, so a
        few hundred files stream through without all being held in memory.

        Each job is (html, url, content_language) or (html, url, content_language, rules)."""
        window = window or self.workers * 4
        pending: deque[Future | dict] = deque()

        def result_of(item: Future | dict) -> dict:
            if isinstance(item, dict):
                return item
            try:
                return item.result(timeout=self.timeout + _GRACE_SECONDS)
            except TimeoutError:
                self._rebuild()
                return {"ok": False, "error": f"extraction took longer than {self.timeout:g}s"}
            except BrokenProcessPool:
                self._rebuild()
                return {"ok": False, "error": "extraction worker died on this document"}

        for job in jobs:
            refused = self.too_large(job[0])
            pending.append(refused if refused else self.submit(*job))
            if len(pending) >= window:
                yield result_of(pending.popleft())
        while pending:
            yield result_of(pending.popleft())
