"""Read our WARC files back: HTML responses for (re-)extraction, one record by pointer."""

from __future__ import annotations

import gzip
import io
import zlib
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


class DamagedWarc(Exception):
    """A WARC file that cannot be read on from `offset`: every record before it was
    yielded already; `reason` says what is wrong there."""

    def __init__(self, path: str | Path, offset: int, reason: str) -> None:
        super().__init__(f"{path}: damaged at offset {offset}: {reason}")
        self.path, self.offset, self.reason = str(path), offset, reason


def iter_html_responses(path: str | Path, max_bytes: int) -> Iterator[WarcDocument]:
    """Every complete `response` record with an HTML (or undeclared) content type, in file
    order, then DamagedWarc if the file is damaged (cut short, bytes changed): what comes
    before the damage is still read.

    Bodies are read up to `max_bytes + 1` so the caller can refuse oversized ones without
    this reader ever holding more."""
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        offset = last = 0  # where the record being read starts; the last whole one
        try:
            for record in records:
                offset = last = records.offset
                doc = _html_document(path, record, max_bytes)
                # the pointer's offset and length drain the record: a block shorter than
                # its Content-Length is a file cut inside this record
                offset, length = records.get_record_offset(), records.get_record_length()
                missing = record.raw_stream.limit
                if missing:
                    raise DamagedWarc(path, offset, f"record cut short ({missing} bytes missing)")
                if doc is not None:
                    doc.pointer.update(offset=offset, length=length)
                    yield doc
                offset += length
        except DamagedWarc:
            raise
        except Exception as exc:  # warcio raises many kinds (even AttributeError) on damage
            raise DamagedWarc(path, offset, _printable(f"{type(exc).__name__}: {exc}")) from exc
    problem = _cut_gzip_tail(path, last)
    if problem:
        raise DamagedWarc(path, last, problem)


def _printable(text: str, limit: int = 160) -> str:
    # warcio quotes the damaged bytes it met; a terminal should not get them raw
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def _html_document(path: str | Path, record, max_bytes: int) -> WarcDocument | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    ctype = record.http_headers.get_header("Content-Type")
    if ctype and not is_html_type(ctype):
        return None
    body = record.content_stream().read(max_bytes + 1)
    status = record.http_headers.get_statuscode()
    return WarcDocument(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(status) if status and status.isdigit() else None,
        content_type=ctype,
        content_language=record.http_headers.get_header("Content-Language"),
        fetched_at=record.rec_headers.get_header("WARC-Date"),
        body=body,
        pointer={
            "filename": str(path),
            "offset": None,  # set once the record is read to its end
            "length": None,
            "record_id": record.rec_headers.get_header("WARC-Record-ID"),
            "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
        },
        truncated=len(body) > max_bytes,
    )


def _cut_gzip_tail(path: str | Path, offset: int) -> str | None:
    """What is wrong with the gzip members from `offset` (the last record) to the end of
    the file, or None. warcio reads a last member cut inside its gzip trailer (or inside
    the record's closing CRLFs) without a word; here every member must end whole."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        if fh.read(2) != b"\x1f\x8b":
            return None  # an uncompressed WARC: the Content-Length check covers it
        fh.seek(offset)
        member = None
        while chunk := fh.read(1 << 16):
            while chunk:
                member = member or zlib.decompressobj(wbits=31)
                try:
                    member.decompress(chunk, 1 << 20)  # bounded output, discarded
                except zlib.error as exc:
                    return f"gzip data damaged: {exc}"
                if member.eof:
                    chunk, member = member.unused_data, None
                else:
                    chunk = member.unconsumed_tail
    if member is not None:
        return "file cut short inside its last record"
    return None


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
