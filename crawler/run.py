"""One crawl run: its id, store, catalog, per-URL outcomes and the closing manifest.

Every component of a run (capture middleware, pipelines, report) reaches the same
`ArchiveRun` through `ArchiveRun.of(crawler)`. At `spider_closed` the run closes the
files its components registered, then writes `runs/<crawl-id>.json`: arguments,
start/end, counts, outcomes and every file written with its SHA-256.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from scrapy import signals

import crawler as crawler_pkg
from crawler.capture.cdxj import IndexFile, index_warc
from crawler.memory import DEFAULT_MMAP_THRESHOLD, limit_heap_fragmentation
from crawler.store.catalog import Catalog
from crawler.store.local import LocalStore, sha256_file
from crawler.store.recovery import repair_open_file
from crawler.store.s3 import BackgroundUploads, S3Store, S3Uploader
from crawler.store.uri import open_store

logger = logging.getLogger(__name__)


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_crawl_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(slots=True)  # one per URL for the manifest: no per-instance __dict__
class Outcome:
    url: str
    archived: bool
    reason: str | None = None  # failure reason, or why an archived page has no article
    http_status: int | None = None
    final_url: str | None = None
    title: str | None = None
    word_count: int | None = None
    article_id: str | None = None
    context_for: str | None = None  # a sibling-probe page, archived as context for this URL


class ArchiveRun:
    def __init__(self, store: LocalStore, crawl_id: str, command: str, arguments: dict) -> None:
        self.store = store
        self.crawl_id = crawl_id
        self.command = command
        self.arguments = arguments
        self.started_at = utcnow_iso()
        self.finished_at: str | None = None
        self.catalog = Catalog(store.path("catalog.sqlite"))
        self.catalog.start_run(crawl_id, command, self.started_at)
        self.outcomes: dict[str, Outcome] = {}
        self.skipped: list[dict] = []
        self.counts: dict[str, int] = {}  # extra counters a spider reports (site crawls)
        self.expected: list[str] = []
        self.files: list[dict] = []
        self.repaired: list[dict] = []
        self._closers: list[Callable[[], None]] = []
        self._stats = None  # a Scrapy StatsCollector when run under a crawler
        self._finishers: list[Callable[[ArchiveRun], None]] = []
        self._sections: dict[str, Callable[[], dict]] = {}
        self.report: dict | None = None
        # Closed files may be reported from other threads (the CDXJ index pool's callback
        # thread); the catalog belongs to this one, so those reports are handed over.
        self._owner_thread = threading.get_ident()
        self._handoff: list[tuple] = []
        self._handoff_lock = threading.Lock()
        # S3 stores: closed files upload on a background thread as the run goes.
        self.uploads: BackgroundUploads | None = None
        self.upload_status: dict | None = None  # set by finish(): what is still pending
        if isinstance(store, S3Store):
            uploader = S3Uploader(store)
            uploader.adopt_unledgered()
            uploader.close_thread_catalog()
            self.uploads = BackgroundUploads(uploader)
            for entry in self.catalog.pending_uploads(store.uri):
                self.uploads.submit(entry["key"])  # leftovers of earlier runs first

    # -- wiring ------------------------------------------------------------------------

    @classmethod
    def of(cls, crawler) -> ArchiveRun:
        run = getattr(crawler, "_archive_run", None)
        if run is None:
            settings = crawler.settings
            limit_heap_fragmentation(  # before the first page buffer
                settings.getint("MEMORY_MMAP_THRESHOLD", DEFAULT_MMAP_THRESHOLD))
            store = open_store(settings.get("STORE_URI", "./data"), settings)
            run = cls(
                store,
                settings.get("CRAWL_ID") or new_crawl_id(),
                settings.get("RUN_COMMAND") or " ".join(sys.argv),
                settings.getdict("RUN_ARGUMENTS"),
            )
            run.repair_leftovers()
            crawler._archive_run = run
            crawler.signals.connect(run._spider_closed, signal=signals.spider_closed)
            run._stats = crawler.stats
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

    def repair_leftovers(self) -> None:
        """Close `.open` files a killed run left behind, keeping every whole record."""
        for folder, kind in (("warc", "warc"), ("articles", "articles")):
            for path in self.store.open_files(folder):
                fixed = repair_open_file(path)
                if fixed is None:
                    continue  # a live writer holds it
                entry = {"key": self.store.key_of(fixed.path), "kind": kind,
                         "kept_bytes": fixed.kept_bytes, "dropped_bytes": fixed.dropped_bytes}
                self.repaired.append(entry)
                if not fixed.kept_bytes:
                    continue
                sha256 = sha256_file(fixed.path)
                if kind == "warc":
                    self.warc_closed(entry["key"], fixed.kept_bytes, sha256, None)
                else:
                    entry["catalogued"] = self._catalog_shard_records(fixed.path, entry["key"])
                    self.file_closed(kind, entry["key"], fixed.kept_bytes, sha256, None)

    def warc_closed(self, key: str, size: int, sha256: str, records: int | None) -> None:
        """A WARC file is complete: index it here and now, then register both."""
        self.warc_indexed(key, size, sha256, records, lambda: index_warc(self.store, key))

    def warc_indexed(self, key: str, size: int, sha256: str, records: int | None,
                     index: Callable[[], IndexFile]) -> None:
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

    def _catalog_shard_records(self, path, key: str) -> int:
        """A run killed between writing a record and cataloguing it: the shard is the
        truth, so catalogue what it holds and the catalog lacks (the next run then does
        not fetch that article again)."""
        import gzip

        added = 0
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if not self.catalog.has_article(record["id"], record["version"],
                                                record["content_sha256"]):
                    self.catalog.add_article(record, key)
                    added += 1
        return added

    # -- what components report ---------------------------------------------------------

    def file_closed(self, kind: str, key: str, size: int, sha256: str,
                    records: int | None) -> None:
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

    def _record_closed(self, kind: str, key: str, size: int, sha256: str,
                       records: int | None) -> None:
        closed_at = utcnow_iso()
        self.files.append({"key": key, "kind": kind, "size": size, "sha256": sha256,
                           "records": records})
        self.catalog.add_file(key=key, kind=kind, crawl_id=self.crawl_id, size=size,
                              sha256=sha256, records=records, closed_at=closed_at)
        self._queue_upload(kind, key, size, sha256)

    def _queue_upload(self, kind: str, key: str, size: int, sha256: str) -> None:
        # Ledgered before the upload starts: a killed run leaves it pending, not lost.
        if self.uploads is None:
            return
        self.catalog.queue_upload(target=self.store.uri, key=key, kind=kind, size=size,
                                  sha256=sha256, queued_at=utcnow_iso())
        self.uploads.submit(key)

    def record_skip(self, url: str, reason: str, kind: str = "article") -> None:
        """A URL discovery found but the run did not fetch or archive, and why
        (robots, out of window, budget, blocked, trap, error...)."""
        self.skipped.append({"url": url, "kind": kind, "reason": reason})

    def record_outcome(self, outcome: Outcome) -> None:
        self.outcomes[outcome.url] = outcome
        if not outcome.archived:
            self.catalog.add_failure(crawl_id=self.crawl_id, url=outcome.url,
                                     at=utcnow_iso(), stage="fetch",
                                     reason=outcome.reason or "unknown")

    # -- closing -----------------------------------------------------------------------

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if not o.archived]

    def _spider_closed(self, spider, reason) -> None:
        self.finish(reason)

    def finish(self, reason: str = "finished", stats: dict | None = None) -> None:
        """Close registered files, write `runs/<crawl-id>.json`, close the catalog."""
        errors = []
        for closer in self._closers:
            try:
                closer()
            except Exception as exc:  # noqa: BLE001 - report every failing closer
                logger.error("closing %r failed: %s", closer, exc)
                errors.append(f"{closer!r}: {exc}")
        self._take_handoff()
        sections = {}
        for name, producer in self._sections.items():
            try:
                sections[name] = producer()
            except Exception as exc:  # noqa: BLE001 - the manifest is written regardless
                logger.error("run report section %s failed: %s", name, exc)
                errors.append(f"report section {name}: {exc}")
        upload_report = self._upload_before_manifest()
        # URLs the engine never got to (e.g. the run was stopped) are failures too.
        for url in self.expected:
            if url not in self.outcomes:
                self.record_outcome(Outcome(url, False, f"not fetched: run ended ({reason})"))
        self.finished_at = utcnow_iso()
        if stats is None:
            source = getattr(self, "_stats", None)
            stats = source.get_stats() if source is not None else {}
        stats = {k: v for k, v in (stats or {}).items() if isinstance(v, (int, float, str))}
        self.report = {
            "crawl_id": self.crawl_id,
            "command": self.command,
            "arguments": self.arguments,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "finish_reason": reason,
            "store": self.store.uri,
            **({"spool": self.store.spool_uri, "upload": upload_report}
               if self.uploads is not None else {}),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "software": _software_versions(),
            "counts": {
                "requested": len(self.outcomes),
                "archived": sum(o.archived for o in self.outcomes.values()),
                "failed": len(self.failed),
                "articles": sum(bool(o.article_id) for o in self.outcomes.values()),
                "warc_write_errors": stats.get("warc/write_errors", 0),
                "skipped": len(self.skipped),
                **self.counts,
            },
            "skipped_by_reason": _count_reasons(self.skipped),
            "skipped": self.skipped,
            "close_errors": errors,
            "repaired_files": self.repaired,
            "files": self.files,
            "outcomes": [asdict(o) for o in self.outcomes.values()],
            "stats": stats,
            **sections,
        }
        key = f"runs/{self.crawl_id}.json"
        data = json.dumps(self.report, indent=2, sort_keys=True, default=str).encode("utf-8")
        self.store.write_atomic(key, data)
        self.catalog.finish_run(self.crawl_id, self.finished_at, self.report["counts"])
        if self.uploads is not None:
            import hashlib

            self._queue_upload("manifest", key, len(data), hashlib.sha256(data).hexdigest())
            self.upload_status = self._finish_uploads()
        self.catalog.close()
        for callback in self._finishers:
            callback(self)

    def _upload_before_manifest(self) -> dict:
        """Wait for this run's uploads; probe S3 once more for anything still pending
        (a failure earlier in the run, leftovers of earlier runs). Goes into the manifest."""
        if self.uploads is None:
            return {}
        self.uploads.drain()
        pending = self.catalog.pending_uploads(self.store.uri)
        if pending:
            self.uploads.uploader.retry_now()
            for entry in pending:
                self.uploads.submit(entry["key"])
            self.uploads.drain()
        own = {f["key"] for f in self.files}
        pending = self.catalog.pending_uploads(self.store.uri)
        return {
            "target": self.store.uri,
            "uploaded": len({r.key for r in self.uploads.results if r.ok and r.key in own}),
            "pending": [{"key": e["key"], "error": e["last_error"]} for e in pending],
            "keep_local": self.store.options.keep_local,
        }

    def _finish_uploads(self) -> dict:
        """Upload the manifest, stop the uploader; what is still pending and why."""
        self.uploads.drain()
        self.uploads.stop()
        pending = self.catalog.pending_uploads(self.store.uri)
        # The error of a file that was tried, not the "not tried: ..." of those skipped.
        reasons = [e["last_error"] for e in pending
                   if e["last_error"] and not e["last_error"].startswith("not tried: ")]
        return {"target": self.store.uri, "pending": [e["key"] for e in pending],
                "reason": reasons[-1] if reasons else self.uploads.uploader.last_error,
                "retry": self.store.retry_hint()}

    @property
    def upload_problem(self) -> str | None:
        """The summary line when files did not reach S3, else None."""
        status = self.upload_status
        if not status or not status["pending"]:
            return None
        return (f"{len(status['pending'])} files not uploaded to {status['target']}: "
                f"{status['reason'] or 'unknown reason'}; they are kept in "
                f"{self.store.root}; run `{status['retry']}` to retry")

    @property
    def ok(self) -> bool:
        return bool(self.report) and not self.failed and not self.report["close_errors"] \
            and not self.report["counts"]["warc_write_errors"] and not self.upload_problem


def _count_reasons(skipped: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in skipped:
        family = entry["reason"].split(":", 1)[0]
        counts[family] = counts.get(family, 0) + 1
    return counts


def _software_versions() -> dict[str, str]:
    import scrapy
    import trafilatura
    import warcio

    try:
        from importlib.metadata import version
        warcio_version = version("warcio")
    except Exception:  # noqa: BLE001
        warcio_version = getattr(warcio, "__version__", "unknown")
    return {"crawler": crawler_pkg.__version__, "scrapy": scrapy.__version__,
            "trafilatura": trafilatura.__version__, "warcio": warcio_version,
            "python": sys.version.split()[0]}
