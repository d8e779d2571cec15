"""Downloader middleware that feeds every HTTP response to the WARC writer.

Ordered at 950 (WARC_CAPTURE_PRIORITY), i.e. nearer the downloader than every built-in
middleware, so `process_response` sees the response before RetryMiddleware (550),
HttpCompressionMiddleware (590) and RedirectMiddleware (600) touch it: 3xx, 4xx, 5xx and
retried attempts are all recorded, and bodies are still content-encoded. Its
`process_request` runs after cookies, user agent and default headers are set, so the
request record carries the headers that were really sent.

WARC writes happen in a process of their own (`writer_process`), so hashing and
compression run on another core instead of fighting the reactor for the GIL; each
written record's catalog row goes to the run (`ArchiveRun.record_capture`). A closed
file is CDXJ-indexed in a third process, started with the first closed file (about 15 s per GiB,
mostly Python: on a thread here it would take the reactor's GIL, in the writer it would
hold up every capture that long); the run registers both files on the reactor thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

import crawler as crawler_pkg
from crawler.capture.cdxj import index_warc_in
from crawler.capture.exchange import HttpExchange, PreviousCapture
from crawler.capture.redaction import redact_header_names, redact_request_headers
from crawler.capture.rows import capture_kind, capture_row
from crawler.capture.warc_writer import ClosedFile
from crawler.capture.writer_process import WarcWriterProcess
from crawler.lifetime import exit_with
from crawler.run import archive_run_of
from crawler.store.disk import is_disk_full

logger = logging.getLogger(__name__)


class WarcWriteError(Exception):
    """A response could not be written to the WARC; the URL must not count as archived."""


def _headers(scrapy_headers, *, drop_chunked: bool = False) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in scrapy_headers.items():
        name_s = name.decode("latin-1")
        for value in values:
            value_s = value.decode("latin-1")
            # Scrapy hands us the de-chunked body; keeping the header would make replay
            # tools try to de-chunk it again (DESIGN.md, WARC conventions).
            if (
                drop_chunked
                and name_s.lower() == "transfer-encoding"
                and "chunked" in value_s.lower()
            ):
                continue
            pairs.append((name_s, value_s))
    return pairs


def exchange_from_scrapy(request, response, fetched_at: datetime) -> HttpExchange:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    req_headers = _headers(request.headers)
    if not any(name.lower() == "host" for name, _ in req_headers):
        # Twisted's HTTP client adds Host itself, after the middlewares.
        req_headers.insert(0, ("Host", parts.netloc.rsplit("@", 1)[-1]))
    ip = getattr(response, "ip_address", None)
    return HttpExchange(
        url=response.url,
        status=response.status,
        response_headers=_headers(response.headers, drop_chunked=True),
        body=response.body,
        request_method=request.method,
        request_target=target,
        request_headers=req_headers,
        request_body=request.body or b"",
        fetched_at=fetched_at,
        protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        ip_address=str(ip) if ip is not None else None,
    )


class WarcCaptureMiddleware:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.run = archive_run_of(crawler)
        self.writer = WarcWriterProcess(
            self.run.store.root,
            prefix=settings.get("WARC_PREFIX"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL"),
            warcinfo=self._warcinfo(settings),
        )
        self._indexer: ProcessPoolExecutor | None = None  # started by the first closed file
        self.redact_headers = redact_header_names(settings)  # WARC_REDACT_HEADERS
        self.run.on_close(self.close)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _warcinfo(self, settings) -> dict[str, str]:
        import scrapy

        return {
            "software": f"{crawler_pkg.SOFTWARE}/{crawler_pkg.__version__} "
            f"(Scrapy/{scrapy.__version__}; warcio)",
            "hostname": socket.gethostname(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": settings.get("USER_AGENT"),
            "operator": settings.get("WARC_OPERATOR") or "",
            "isPartOf": self.run.crawl_id,
        }

    async def process_response(self, request, response):
        if urlsplit(response.url).scheme not in ("http", "https"):
            return response
        fetched_at = datetime.now(UTC)
        exchange = exchange_from_scrapy(request, response, fetched_at)
        redact_request_headers(exchange, self.redact_headers)
        previous = request.meta.get("previous_capture")
        if previous and response.url == previous["url"]:
            exchange.previous = PreviousCapture(**previous)
        if self.run.disk.hit_already:  # the reserve's room is for closing, not for pages
            self.stats.inc_value("warc/write_errors")
            raise WarcWriteError(f"not written, the run stopped: {self.run.disk.message}")
        try:
            pointer, closed = await self.writer.write(
                exchange,
                lambda written: self.run.record_capture(
                    capture_row(self.run.crawl_id, exchange, written, capture_kind(request.meta))
                ),
            )
        except Exception as exc:
            self.stats.inc_value("warc/write_errors")
            if is_disk_full(exc):  # said once by the run, which stops the crawl
                self.run.disk.hit(exc, self.run.store.root)
                message = f"could not write the WARC record: {self.run.disk.message}"
                raise WarcWriteError(message) from None
            logger.error("WARC write failed for %s: %s", response.url, exc)
            raise WarcWriteError(f"could not write the WARC record: {exc}") from exc
        for done in closed:  # this write rotated the file
            self._warc_closed(done)
        self.stats.inc_value("warc/records", 2)
        self.stats.inc_value("warc/bytes", pointer.length)
        request.meta["warc"] = pointer.to_dict()
        if pointer.record_type == "revisit":
            # Unchanged since `previous_capture`: the spider need not re-extract it.
            request.meta["revisit"] = pointer.record_id
            self.stats.inc_value("warc/revisits")
        return response

    def _warc_closed(self, closed: ClosedFile) -> None:
        """A file the writer closed (on rotation, or at the end of the run): indexed in
        the index process, then registered (`ArchiveRun.warc_indexed` hands the call
        from the executor's thread over to the reactor thread). Its capture rows are
        committed first: a closed file is never repaired, so a run killed later could not
        read them back."""
        self.run.flush_captures()
        if self._indexer is None:
            # spawn, not the forkserver: that one belongs to the extraction pool, which
            # sets what it preloads before starting it.
            self._indexer = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with,
                initargs=(os.getpid(),),
            )  # dies with the crawler
        try:
            future = self._indexer.submit(index_warc_in, str(self.run.store.root), closed.key)
        except RuntimeError as exc:  # a broken pool: the WARC still counts, unindexed
            future = Future()
            future.set_exception(exc)
        future.add_done_callback(
            lambda done: self.run.warc_indexed(
                closed.key, closed.size, closed.sha256, closed.records, done.result
            )
        )

    def close(self) -> None:
        for done in self.writer.close():
            self._warc_closed(done)
        if self._indexer is not None:
            self._indexer.shutdown(wait=True)  # runs every done() before it returns
