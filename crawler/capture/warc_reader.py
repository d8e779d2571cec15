"""Read our WARC files back: HTML responses for (re-)extraction, one record by pointer."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecordLoader

import crawler.capture.content_decoding  # noqa: F401  (br and zstd bodies for warcio)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_html_type(content_type: str) -> bool:
    """True for an HTML media type, parameters (charset) ignored."""
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


@dataclass
class WarcDocument:
    url: str
    status: int | None
    content_type: str | None
    content_language: str | None
    fetched_at: str | None
    body: bytes  # content-decoded (gzip/chunking removed by warcio)
    pointer: dict  # WarcPointer fields; filename is the path we read
    truncated: bool = False  # body was cut at max_bytes


def iter_html_responses(path: str | Path, max_bytes: int) -> Iterator[WarcDocument]:
    """Every `response` record with an HTML (or undeclared) content type, in file order.

    Bodies are read up to `max_bytes + 1` so the caller can refuse oversized ones without
    this reader ever holding more."""
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            ctype = record.http_headers.get_header("Content-Type")
            if ctype and not is_html_type(ctype):
                continue
            body = record.content_stream().read(max_bytes + 1)
            status = record.http_headers.get_statuscode()
            yield WarcDocument(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(status) if status and status.isdigit() else None,
                content_type=ctype,
                content_language=record.http_headers.get_header("Content-Language"),
                fetched_at=record.rec_headers.get_header("WARC-Date"),
                body=body,
                pointer={
                    "filename": str(path),
                    "offset": records.get_record_offset(),
                    "length": records.get_record_length(),
                    "record_id": record.rec_headers.get_header("WARC-Record-ID"),
                    "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                },
                truncated=len(body) > max_bytes,
            )


def read_record_at(path: str | Path, offset: int, length: int):
    """One seek, one read: the record a `warc` pointer names, parsed by warcio."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        member = fh.read(length)
    return parse_record_member(member)


def parse_record_member(member: bytes):
    """One WARC record from its gzip member (the bytes a `warc` pointer names, read
    locally or with a ranged GET from S3)."""
    raw = gzip.decompress(member)
    return ArcWarcRecordLoader().parse_record_stream(io.BufferedReader(io.BytesIO(raw)))


def is_warc_path(path: str | Path) -> bool:
    name = str(path).lower()
    return name.endswith((".warc", ".warc.gz", ".warc.gz.open"))
