"""Write HTTP exchanges to rotating WARC files. Knows nothing of Scrapy.

Per WARC 1.1 and the project's conventions (DESIGN.md):
- each file opens with a `warcinfo` record; every record is its own gzip member, so a
  record can be read back with one range read (`WarcPointer`);
- a `response` record holds the HTTP response as received (headers re-encoded as
  latin-1, body still content-encoded) and a `request` record follows it with
  `WARC-Concurrent-To`;
- `WARC-Block-Digest` / `WARC-Payload-Digest` are sha1 base32 (computed by warcio);
- files are named `<prefix>-<UTC timestamp>-<serial>-<host>.warc.gz`, written as
  `<name>.open` under an exclusive flock and renamed when closed; they rotate once they
  pass `max_size` bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

try:
    from isal import isal_zlib
except ImportError:  # pragma: no cover - a dependency; zlib still writes valid members
    isal_zlib = None
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler.capture.exchange import HttpExchange
from crawler.store.disk import append_whole, file_is_whole
from crawler.store.local import OPEN_SUFFIX, LocalStore
from crawler.store.recovery import lock_exclusive
from settings import WARC_GZIP_LEVEL, WARC_MAX_SIZE, WARC_PREFIX

WARC_VERSION = "WARC/1.1"


@dataclass(frozen=True)
class WarcPointer:
    """Where a record lives: one seek to `offset`, read `length` bytes, gunzip."""

    filename: str  # store key of the closed file, e.g. warc/2026/11/25/x.warc.gz
    offset: int
    length: int
    record_id: str
    payload_digest: str | None
    record_type: str = "response"  # or "revisit"

    def to_dict(self) -> dict:
        # The article record's `warc` object: where the bytes are (schema article-1).
        found = asdict(self)
        del found["record_type"]
        return found


@dataclass(frozen=True)
class ClosedFile:
    key: str
    size: int
    sha256: str
    records: int


class _RawHeaders(StatusAndHeaders):
    """HTTP headers serialised byte for byte as received.

    warcio percent-encodes non-ASCII header values (RFC 8187); an archive must keep the
    octets the server sent, so encode the latin-1 strings back to the same bytes.
    """

    def compute_headers_buffer(self, header_filter=None):
        self.headers_buff = self.to_str(header_filter).encode("latin-1") + b"\r\n"


class WarcFileWriter:
    """Appends records to the current file of a rotating series. One thread: it lives in
    the WARC writer child process (`writer_process`), which serves one request at a time."""

    def __init__(
        self,
        store: LocalStore,
        *,
        prefix: str = WARC_PREFIX,
        max_size: int = WARC_MAX_SIZE,
        gzip_level: int = WARC_GZIP_LEVEL,
        warcinfo: dict[str, str] | None = None,
        on_close: Callable[[ClosedFile], None] | None = None,
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.warcinfo = dict(warcinfo or {})
        self.on_close = on_close
        self.hostname = _safe_host(socket.gethostname())
        self._serial = 0
        self._fh: io.FileIO | None = None
        self._key: str | None = None
        self._sha256 = None
        self._records = 0
        self._torn = False  # a failed append could not be cut back: never publish the file

    # -- public API -------------------------------------------------------------------

    def write_exchange(self, exchange: HttpExchange) -> WarcPointer:
        """Write the response record, then its request record. Returns the response's pointer."""
        date = datetime_to_iso_date(
            exchange.fetched_at.astimezone(UTC).replace(tzinfo=None), use_micros=True
        )
        builder = RecordBuilder(warc_version=WARC_VERSION)
        response = _response_record(builder, exchange, date)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request = _request_record(builder, exchange, date, response_id)
        resp_member = self._serialise(response)
        req_member = self._serialise(request)
        self._ensure_open()
        # One append: a full disk keeps neither record, never a response without request.
        offset = self._append(resp_member + req_member)
        pointer = WarcPointer(
            filename=self._key,
            offset=offset,
            length=len(resp_member),
            record_id=response_id,
            payload_digest=response.rec_headers.get_header("WARC-Payload-Digest"),
            record_type=response.rec_headers.get_header("WARC-Type"),
        )
        self._records += 2
        if self._fh.tell() >= self.max_size:
            self._close_current()
        return pointer

    def close(self) -> None:
        self._close_current()

    @property
    def current_path(self):
        """The `.open` file being written, or None."""
        return self.store.path(self._key + OPEN_SUFFIX) if self._key else None

    # -- internals --------------------------------------------------------------------

    def _serialise(self, record) -> bytes:
        # warcio serialises the record and its digests; we gzip it as one member ourselves
        # so the compressor is ours (warcio hard-codes zlib level 9, many times slower).
        raw = io.BytesIO()
        WARCWriter(raw, gzip=False, warc_version=WARC_VERSION).write_record(record)
        return gzip_member(raw.getvalue(), self.gzip_level)

    def _append(self, member: bytes) -> int:
        # Unbuffered, each record written whole: a crash leaves whole members plus at most
        # one torn one, and a full disk none (append_whole cuts a failed record back).
        offset = self._fh.tell()
        try:
            append_whole(self._fh, member)
        except OSError:
            self._torn = self._torn or not file_is_whole(self._fh, offset)
            raise
        self._sha256.update(member)
        return offset

    def _ensure_open(self) -> None:
        if self._fh is not None:
            return
        now = datetime.now(UTC)
        name = (
            f"{self.prefix}-{now.strftime('%Y%m%d%H%M%S%f')[:17]}-{self._serial:05d}-"
            f"{self.hostname}.warc.gz"
        )
        self._serial += 1
        self._key = f"warc/{now:%Y/%m/%d}/{name}"
        path = self.store.open_path(self._key)
        fh = open(path, "xb", buffering=0)
        if not lock_exclusive(fh):  # pragma: no cover - the name is new; nobody else has it
            fh.close()
            raise OSError(f"cannot lock new WARC file {path}")
        self._fh = fh
        self._sha256 = hashlib.sha256()
        self._records = 0
        self._torn = False
        builder = RecordBuilder(warc_version=WARC_VERSION)
        info = builder.create_warcinfo_record(name, self.warcinfo)
        try:
            self._append(self._serialise(info))
        except OSError:
            fh.close()  # not even the warcinfo fits: no file rather than a headless one
            path.unlink(missing_ok=True)
            self._fh = self._key = None
            raise
        self._records += 1

    def _close_current(self) -> None:
        if self._fh is None:
            return
        fh, key = self._fh, self._key
        size = fh.tell()
        if self._torn or size == 0:
            # A torn tail (the disk filled and the cut-back failed) keeps the `.open`
            # name for the next run's repair; a file without even its warcinfo goes.
            fh.close()
            if size == 0:
                self.store.path(key + OPEN_SUFFIX).unlink(missing_ok=True)
            self._fh = self._key = None
            return
        os.fsync(fh.fileno())
        # Publish (rename) while still holding the flock so repair never races us.
        self.store.publish(key)
        fh.close()
        closed = ClosedFile(
            key=key, size=size, sha256=self._sha256.hexdigest(), records=self._records
        )
        self._fh = self._key = None
        if self.on_close:
            self.on_close(closed)


def _response_record(builder: RecordBuilder, exchange: HttpExchange, date: str):
    """The `response` record of an exchange, or a `revisit` of its previous capture when
    the payload is unchanged (`_revisit_profile`)."""
    headers = {"WARC-Date": date, **exchange.extra_warc_headers}
    if exchange.ip_address:
        headers["WARC-IP-Address"] = exchange.ip_address
    if exchange.protocol and exchange.protocol.lower() not in ("http/1.1", "http/1.0"):
        headers["WARC-Protocol"] = exchange.protocol.lower()
    http_headers = _RawHeaders(exchange.status_line, exchange.response_headers, protocol="HTTP/1.1")
    body_digest = payload_digest(exchange.body)
    profile = _revisit_profile(exchange, body_digest)
    if profile:
        # Headers only, no body: replay tools take the body from the referred record.
        previous = exchange.previous
        headers.update(
            {
                "WARC-Profile": profile,
                "WARC-Refers-To": previous.record_id,
                "WARC-Refers-To-Target-URI": previous.url,
                "WARC-Refers-To-Date": warc_date(previous.fetched_at),
            }
        )
        if profile == PROFILE_IDENTICAL:
            headers["WARC-Payload-Digest"] = body_digest
        record_type, body = "revisit", b""
    else:
        # Digests in one hashlib call each (the GIL released throughout) instead of
        # warcio's 16 KB Python loop; warcio skips digests a record already carries.
        http_headers.compute_headers_buffer()
        block = hashlib.sha1(http_headers.headers_buff)
        block.update(exchange.body)
        headers["WARC-Payload-Digest"] = body_digest
        headers["WARC-Block-Digest"] = _b32(block)
        record_type, body = "response", exchange.body
    return builder.create_warc_record(
        exchange.url,
        record_type,
        payload=io.BytesIO(body),
        length=len(body),
        warc_headers_dict=headers,
        http_headers=http_headers,
    )


def _request_record(builder: RecordBuilder, exchange: HttpExchange, date: str, response_id: str):
    """The `request` record, concurrent to the response record `response_id`."""
    headers = {
        "WARC-Date": date,
        "WARC-Concurrent-To": response_id,
        **exchange.request_warc_headers,
    }
    if exchange.ip_address:
        headers["WARC-IP-Address"] = exchange.ip_address
    return builder.create_warc_record(
        exchange.url,
        "request",
        payload=io.BytesIO(exchange.request_body),
        length=len(exchange.request_body),
        warc_headers_dict=headers,
        http_headers=_RawHeaders(
            f"{exchange.request_target} HTTP/1.1",
            exchange.request_headers,
            protocol=exchange.request_method,
        ),
    )


def gzip_member(data: bytes, level: int) -> bytes:
    """One complete gzip member. Levels 0-3 use ISA-L (python-isal): about ten times
    zlib's speed at zlib level-3 sizes, which is what keeps WARC capture from halving a
    crawl's pages/s on two cores. Levels 4-9 use zlib. Either way: standard gzip."""
    if level <= 3 and isal_zlib is not None:
        comp = isal_zlib.compressobj(level, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
    else:
        comp = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return comp.compress(data) + comp.flush()


PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest form: sha1 of the body as received, base32."""
    return _b32(hashlib.sha1(body))


def _b32(sha1) -> str:
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii")


def _revisit_profile(exchange: HttpExchange, body_digest: str) -> str | None:
    """The revisit profile when the exchange revisits `exchange.previous`, else None."""
    previous = exchange.previous
    if previous is None:
        return None
    if exchange.status == 304:
        return PROFILE_NOT_MODIFIED
    if exchange.status == 200 and body_digest == previous.payload_digest:
        return PROFILE_IDENTICAL
    return None


def warc_date(iso: str) -> str:
    """An ISO 8601 time (naive = UTC) as a WARC-Date: UTC, microseconds, 'Z'."""
    parsed = datetime.fromisoformat(iso)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return datetime_to_iso_date(parsed, use_micros=True)


def _safe_host(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in name)
    return cleaned or "localhost"
