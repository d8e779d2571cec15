"""The catalog's `captures` row of a written WARC record, from either side of the write.

The capture middleware builds it from the exchange it sent and the pointer the writer
returned; the repair of a killed run builds it again from the WARC file itself (rows the
crawler had not yet committed when it died are read back from the records). Both give
the same row for the same record, so writing a row twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import WarcPointer
from crawler.timebounds import iso_utc


def capture_kind(meta: dict) -> str | None:
    """What a request fetched its URL as, from its meta: the site spider names it (`kind`:
    article, hub, feed, sitemap...); a page the `urls` spider was asked to archive
    (`archive_url`) is an article; anything else (robots.txt...) is not known."""
    return meta.get("kind") or ("article" if meta.get("archive_url") else None)


def capture_row(
    crawl_id: str, exchange: HttpExchange, pointer: WarcPointer, kind: str | None = None
) -> dict:
    """The row of one written `response` (or `revisit`) record; `kind`: `capture_kind`."""
    return {
        "record_id": pointer.record_id,
        "crawl_id": crawl_id,
        "url": exchange.url,
        "fetched_at": iso_utc(exchange.fetched_at),
        "status": exchange.status,
        "content_type": exchange.header("Content-Type"),
        "payload_digest": pointer.payload_digest,
        "warc_file": pointer.filename,
        "warc_offset": pointer.offset,
        "warc_length": pointer.length,
        "record_type": pointer.record_type,
        "refers_to": exchange.previous.record_id if pointer.record_type == "revisit" else None,
        "etag": exchange.header("ETag"),
        "last_modified": exchange.header("Last-Modified"),
        "kind": kind,
    }


def capture_rows_in(path: str | Path, key: str) -> Iterator[dict]:
    """The rows of every response and revisit record in the WARC file at `path` (store key
    `key`), with the crawl id its warcinfo record names."""
    with open(path, "rb") as fh:
        yield from capture_rows_from(fh, key)


def capture_rows_from(fh: BinaryIO, key: str) -> Iterator[dict]:
    """`capture_rows_in` for a WARC file opened for reading (a stream read from the start:
    an S3 object's body), store key `key`."""
    crawl_id = ""
    records = ArchiveIterator(fh)
    for record in records:
        headers = record.rec_headers
        if record.rec_type == "warcinfo":
            crawl_id = _warcinfo_field(record.content_stream().read(), "isPartOf")
            continue
        if record.rec_type not in ("response", "revisit") or record.http_headers is None:
            continue
        http = record.http_headers
        status = http.get_statuscode()
        yield {
            "record_id": headers.get_header("WARC-Record-ID"),
            "crawl_id": crawl_id,
            "url": headers.get_header("WARC-Target-URI"),
            "fetched_at": iso_utc(headers.get_header("WARC-Date")),
            "status": int(status) if status and status.isdigit() else 0,
            "content_type": http.get_header("Content-Type") or None,
            "payload_digest": headers.get_header("WARC-Payload-Digest"),
            "warc_file": key,
            "warc_offset": records.get_record_offset(),
            "warc_length": records.get_record_length(),
            "record_type": record.rec_type,
            "refers_to": headers.get_header("WARC-Refers-To"),
            "etag": http.get_header("ETag") or None,
            "last_modified": http.get_header("Last-Modified") or None,
        }


def _warcinfo_field(block: bytes, name: str) -> str:
    for line in block.decode("utf-8", "replace").splitlines():
        field, sep, value = line.partition(":")
        if sep and field.strip() == name:
            return value.strip()
    return ""
