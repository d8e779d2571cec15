"""The run as a Scrapy extension: one per crawl, created by Scrapy from `EXTENSIONS`.

`ArchiveRun.from_crawler` is the one place a crawl's run is made: it sets the allocator
policy, opens the store, the catalog and (for an S3 store) the uploads, repairs what a
killed run left, and hooks itself to `spider_opened`/`spider_closed`. Components reach
it with `archive_run_of(crawler)` (`crawler.get_extension(ArchiveRun)`); commands that
run without a crawl (`crawler reextract`) make one with `ArchiveRun.open(settings)`.

What components tell the run:
- `record_outcome(outcome)`: what happened to a URL; called by the store pipeline only
  (spiders hand failures and unchanged pages to it as items);
- `record_capture(row)`: a written WARC record's catalog row (batched: the crawler
  process is the one writer of `captures`);
- `file_closed(...)`/`warc_indexed(...)`: a finished file, registered and uploaded;
- `expect(url)`, `record_skip(url, reason)`: what discovery planned and left out.
At `spider_closed` the run closes the files its components registered, then writes
`runs/<crawl-id>.json` (`crawler.run.manifest`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import secrets
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from scrapy import signals
from scrapy.utils.reactor import is_asyncio_reactor_installed
from twisted.internet import task

from crawler.capture.cdxj import IndexFile, index_warc
from crawler.memory import limit_heap_fragmentation
from crawler.node import node_id
from crawler.run.disk_stop import FINISH_REASON, DiskFullStop
from crawler.run.leftovers import repair_leftovers
from crawler.run.manifest import build_manifest
from crawler.run.outcome import Outcome
from crawler.run.uploads import RunUploads
from crawler.store.catalog import Catalog, open_catalog
from crawler.store.disk import DiskReserve
from crawler.store.local import LocalStore
from crawler.store.uri import open_store
from crawler.timebounds import utcnow_iso

logger = logging.getLogger(__name__)

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
CAPTURE_FLUSH_SECONDS = 1.0  # a killed run's newest rows are read back from its WARC


class RunConfigurationError(RuntimeError):
    """The crawl is configured in a way the run cannot work with."""


def new_crawl_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def archive_run_of(crawler) -> ArchiveRun:
    """The crawl's run (for components built after the extensions: middlewares,
    pipelines, spiders' `start`)."""
    run = crawler.get_extension(ArchiveRun)
    if run is None:
        raise RunConfigurationError(
            "the ArchiveRun extension is not enabled: keep "
            "'crawler.run.ArchiveRun' in the EXTENSIONS setting"
        )
    return run


class ArchiveRun:
    def __init__(
        self,
        store: LocalStore,
        catalog: Catalog,
        crawl_id: str,
        command: str,
        arguments: dict,
        *,
        uploads: RunUploads | None = None,
        capture_batch: int = 200,
        node: str | None = None,
        disk: DiskFullStop | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.crawl_id = crawl_id
        self.command = command
        self.arguments = arguments
        self.uploads = uploads  # S3 stores: closed files upload on a background thread
        self.node_id = node or node_id()  # in shard names and the manifest
        self.disk = disk or DiskFullStop(None)  # a full disk stops the run cleanly
        self.started_at = utcnow_iso()
        self.finished_at: str | None = None
        self.catalog.start_run(crawl_id, command, self.started_at)
        self.outcomes: dict[str, Outcome] = {}
        self.skipped: list[dict] = []
        self.counts: dict[str, int] = {}  # extra counters a spider reports (site crawls)
        self.problems: list[str] = []  # run-level failures no URL shows (site unreachable)
        self.expected: list[str] = []
        self.files: list[dict] = []
        self.repaired: list[dict] = []
        self._sections: dict[str, Callable[[], dict]] = {}
        self.report: dict | None = None
        self.upload_status: dict | None = None  # set by finish(): what is still pending
        self._captures: list[dict] = []
        self._capture_batch = max(1, capture_batch)
        self._flusher: task.LoopingCall | None = None
        self._closers: list[Callable[[], None]] = []
        self._finishers: list[Callable[[ArchiveRun], None]] = []
        self._stats = None  # a Scrapy StatsCollector when run under a crawler
        # Closed files may be reported from other threads (the CDXJ index pool's callback
        # thread); the catalog belongs to this one, so those reports are handed over.
        self._owner_thread = threading.get_ident()
        self._handoff: list[tuple] = []
        self._handoff_lock = threading.Lock()

    # -- making one ----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings,
        *,
        store: LocalStore | None = None,
        command: str | None = None,
        arguments: dict | None = None,
    ) -> ArchiveRun:
        """A run over `store` (default: the one the settings name), leftovers of killed
        runs repaired."""
        store = store or open_store(settings.get("STORE_URI"), settings)
        crawl_id = settings.get("CRAWL_ID") or new_crawl_id()
        store.root.mkdir(parents=True, exist_ok=True)
        # First, while there is room: the space the run closes with if the disk fills.
        reserve = DiskReserve(store.root, crawl_id, settings.getint("STORE_DISK_RESERVE"))
        uploads = RunUploads.start(store)
        run = cls(
            store,
            open_catalog(store),
            crawl_id,
            command or settings.get("RUN_COMMAND") or " ".join(sys.argv),
            arguments if arguments is not None else settings.getdict("RUN_ARGUMENTS"),
            uploads=uploads,
            capture_batch=settings.getint("CATALOG_CAPTURE_BATCH"),
            node=node_id(settings),
            disk=DiskFullStop(reserve),
        )
        run.repair_leftovers()
        if uploads is not None:
            uploads.resume()
        return run

    @classmethod
    def from_crawler(cls, crawler) -> ArchiveRun:
        settings = crawler.settings
        if not is_asyncio_reactor_installed():
            # The WARC writer's channel lives on the asyncio loop under the reactor.
            raise RunConfigurationError(
                f"TWISTED_REACTOR is {settings.get('TWISTED_REACTOR')!r}; the crawler needs "
                f"{ASYNCIO_REACTOR!r} (its WARC writer runs on the asyncio event loop)"
            )
        # before the first page buffer
        limit_heap_fragmentation(settings.getint("MEMORY_MMAP_THRESHOLD"))
        run = cls.open(settings)
        run._stats = crawler.stats
        run.disk.stops(crawler)
        crawler.signals.connect(run._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(run._spider_closed, signal=signals.spider_closed)
        return run

    def on_close(self, closer: Callable[[], None]) -> None:
        """Register a file-owning component's close(); run before the manifest is written."""
        self._closers.append(closer)

    def add_report_section(self, name: str, producer: Callable[[], dict]) -> None:
        """A component's own part of `runs/<crawl-id>.json` (`name`: `producer()`), made
        once the registered files are closed and before the catalog is."""
        self._sections[name] = producer

    def article_recleaned(self, record: dict) -> None:
        """An article stored earlier in this run got a cleaner version at its end: the
        outcome tells the latest one's length."""
        self.counts["articles_recleaned"] = self.counts.get("articles_recleaned", 0) + 1
        for outcome in self.outcomes.values():
            if outcome.article_id == record["id"]:
                outcome.word_count = record["word_count"]

    def after_finish(self, callback: Callable[[ArchiveRun], None]) -> None:
        """Call `callback(run)` once the manifest is written (the report prints then)."""
        self._finishers.append(callback)

    # -- leftovers of killed runs --------------------------------------------------------

    def repair_leftovers(self) -> None:
        """Close, catalogue, index and register what killed runs left behind
        (`crawler.run.leftovers`). One repair at a time per store (`tmp/repair.lock`): a
        run that meets a file another run is repairing (locked, like a live writer's) waits
        until its records are catalogued, instead of going on without them and fetching
        their URLs again (crawler/frontier/session.py)."""
        lock_path = self.store.path("tmp/repair.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released on close, or by the kernel on death
            repair_leftovers(self)

    # -- captures ------------------------------------------------------------------------

    def record_capture(self, row: dict) -> None:
        """A written WARC record's catalog row (`crawler.capture.rows`). Committed in
        batches, every `CATALOG_CAPTURE_BATCH` rows or second, and before a WARC file is
        registered; a run killed meanwhile has them read back from the WARC."""
        self._captures.append(row)
        if len(self._captures) >= self._capture_batch:
            self.flush_captures()

    def flush_captures(self) -> None:
        if self._captures:
            rows, self._captures = self._captures, []
            self.disk.write(self._catalog_path, self.catalog.add_captures, rows)

    @property
    def _catalog_path(self):
        return getattr(self.catalog, "path", self.store.root)

    def _spider_opened(self, spider) -> None:
        self._flusher = task.LoopingCall(self.flush_captures)
        self._flusher.start(CAPTURE_FLUSH_SECONDS, now=False)

    # -- files ---------------------------------------------------------------------------

    def warc_closed(self, key: str, size: int, sha256: str, records: int | None) -> None:
        """A WARC file is complete: index it here and now, then register both."""
        self.warc_indexed(key, size, sha256, records, lambda: index_warc(self.store, key))

    def warc_indexed(
        self, key: str, size: int, sha256: str, records: int | None, index: Callable[[], IndexFile]
    ) -> None:
        """Register a closed WARC file and the CDXJ index that `index()` returns (or
        raises about: logged, counted, the WARC registered unindexed). In that order:
        registering may upload the WARC and drop its spool copy (S3 store). Any thread may
        call this (`file_closed` hands over)."""
        try:
            made = index()
        except Exception as exc:  # noqa: BLE001 - the WARC itself is fine; report, go on
            logger.error("CDXJ indexing of %s failed: %s: %s", key, type(exc).__name__, exc)
            if self._stats is not None:
                self._stats.inc_value("warc/index_errors")
            made = None
        self.file_closed("warc", key, size, sha256, records)
        if made is not None:
            self.file_closed("cdxj", made.key, made.size, made.sha256, made.lines)

    def file_closed(self, kind: str, key: str, size: int, sha256: str, records: int | None) -> None:
        if threading.get_ident() != self._owner_thread:
            with self._handoff_lock:
                self._handoff.append((kind, key, size, sha256, records))
            try:
                from twisted.internet import reactor

                reactor.callFromThread(self._take_handoff)
            except Exception:  # noqa: BLE001 - no reactor: finish() takes them
                pass
            return
        self._take_handoff()
        self._record_closed(kind, key, size, sha256, records)

    def _take_handoff(self) -> None:
        with self._handoff_lock:
            pending, self._handoff = self._handoff, []
        for args in pending:
            self._record_closed(*args)

    def _record_closed(
        self, kind: str, key: str, size: int, sha256: str, records: int | None
    ) -> None:
        closed_at = utcnow_iso()
        self.files.append(
            {"key": key, "kind": kind, "size": size, "sha256": sha256, "records": records}
        )
        self.disk.write(
            self._catalog_path,
            self.catalog.add_file,
            key=key,
            kind=kind,
            crawl_id=self.crawl_id,
            size=size,
            sha256=sha256,
            records=records,
            closed_at=closed_at,
        )
        if self.uploads is not None:
            self.uploads.queue(kind, key, size, sha256)

    # -- outcomes and skips --------------------------------------------------------------

    def expect(self, url: str) -> None:
        """A URL the run means to archive: reported as not fetched if it never is."""
        self.expected.append(url)

    def record_skip(self, url: str, reason: str, kind: str = "article") -> None:
        """A URL discovery found but the run did not fetch or archive, and why
        (robots, out of window, budget, blocked, trap, error...). No longer expected."""
        if url in self.expected:
            self.expected.remove(url)
        self.skipped.append({"url": url, "kind": kind, "reason": reason})

    def record_outcome(self, outcome: Outcome) -> None:
        """What happened to a URL: the one way outcomes are recorded (the store pipeline
        calls it for every item; `finish` for URLs never fetched)."""
        self.outcomes[outcome.url] = outcome
        if not outcome.archived:
            self.disk.write(
                self._catalog_path,
                self.catalog.add_failure,
                crawl_id=self.crawl_id,
                url=outcome.url,
                at=utcnow_iso(),
                stage="fetch",
                reason=outcome.reason or "unknown",
            )

    # -- closing -------------------------------------------------------------------------

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if not o.archived]

    def _spider_closed(self, spider, reason) -> None:
        self.finish(reason)

    def finish(self, reason: str = "finished", stats: dict | None = None) -> None:
        """Close registered files, write `runs/<crawl-id>.json`, close the catalog."""
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        if self.disk.hit_already:
            reason = FINISH_REASON
        errors = []
        for closer in self._closers:
            try:
                closer()
            except Exception as exc:  # noqa: BLE001 - report every failing closer
                logger.error("closing %r failed: %s", closer, exc)
                errors.append(f"{closer!r}: {exc}")
        self.flush_captures()
        self._take_handoff()
        sections = {}
        for name, producer in self._sections.items():
            try:
                sections[name] = producer()
            except Exception as exc:  # noqa: BLE001 - the manifest is written regardless
                logger.error("run report section %s failed: %s", name, exc)
                errors.append(f"report section {name}: {exc}")
        upload_report = (
            self.uploads.before_manifest({f["key"] for f in self.files})
            if self.uploads is not None
            else None
        )
        # URLs the engine never got to (e.g. the run was stopped) are failures too.
        for url in self.expected:
            if url not in self.outcomes:
                self.record_outcome(Outcome(url, False, f"not fetched: run ended ({reason})"))
        self.finished_at = utcnow_iso()
        if stats is None:
            stats = self._stats.get_stats() if self._stats is not None else {}
        stats = {k: v for k, v in (stats or {}).items() if isinstance(v, (int, float, str))}
        self.report = build_manifest(
            self,
            reason=reason,
            stats=stats,
            close_errors=errors,
            upload_report=upload_report,
            sections=sections,
        )
        key = f"runs/{self.crawl_id}.json"
        data = json.dumps(self.report, indent=2, sort_keys=True, default=str).encode("utf-8")
        self.disk.write(self.store.path(key), self.store.write_atomic, key, data)
        self.disk.write(
            self._catalog_path,
            self.catalog.finish_run,
            self.crawl_id,
            self.finished_at,
            self.report["counts"],
        )
        self.disk.release()
        if self.uploads is not None:
            self.uploads.queue("manifest", key, len(data), hashlib.sha256(data).hexdigest())
            self.upload_status = self.uploads.finish()
        self.catalog.close()
        for callback in self._finishers:
            callback(self)

    @property
    def upload_problem(self) -> str | None:
        """The summary line when files did not reach S3, else None."""
        status = self.upload_status
        if not status or not status["pending"]:
            return None
        return (
            f"{len(status['pending'])} files not uploaded to {status['target']}: "
            f"{status['reason'] or 'unknown reason'}; they are kept in "
            f"{self.store.root}; run `{status['retry']}` to retry"
        )

    @property
    def ok(self) -> bool:
        return (
            bool(self.report)
            and not self.failed
            and not self.problems
            and not self.report["close_errors"]
            and not self.report["counts"]["warc_write_errors"]
            and not self.upload_problem
            and not self.disk.hit_already
        )
