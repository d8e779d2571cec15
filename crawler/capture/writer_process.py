"""The WARC writer in a process of its own, fed by the capture middleware over a pipe.

Hashing, ISA-L compression and warcio's record building cost about 1.5 ms of CPU per
150 KB page. On a thread of the crawler process that work competes with the reactor for
the GIL; in a process of its own it runs on the other core.

The child also writes each capture's catalog row (an SQLite insert, about 0.1 ms) before
it replies, so that once the crawler hears "written", the catalog knows the record too;
SQLite's WAL mode and busy timeout let both processes write the catalog.

The channel is two plain pipes driven by the reactor's own event loop: the middleware
writes each `HttpExchange` as a frame (a length-prefixed pickle, the body out of band;
non-blocking: what the pipe does not take waits for `add_writer`), and the replies (the
record's `WarcPointer` plus the files the write closed) come back through `add_reader`,
in order. A
`ProcessPoolExecutor` did the same with two helper threads in the crawler process (queue
feeder, result manager); every write then passed the GIL between three threads, and the
reactor spent a third of its time waiting for it.

The child ignores SIGINT and SIGTERM: Ctrl-C or a scheduler's SIGTERM reaches the whole
process group, and the crawler process must be the one that decides when to close the
file (after the responses in flight are written). If the crawler dies (SIGKILL), the
child reads end-of-file on its input, exits without closing, the kernel drops its flock,
and the next run repairs the `.open` file.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pickle
import signal
import struct
import subprocess
import sys
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import ClosedFile, WarcPointer

if TYPE_CHECKING:
    from crawler.store.catalog import Catalog

# frame = header (pickle length, body length) + pickle + body. A write's body (150 KB on
# average) goes out of band: not copied into the pickle, then into the frame.
_HEADER = struct.Struct("!QQ")
_PIPE_SIZE = 1 << 20  # a whole 150 KB exchange fits: one write, one read, no ping-pong
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_START_TIMEOUT = 60.0


class WriterProcessError(Exception):
    """The writer process could not start, or died."""


def _frame(message, body: bytes = b"") -> list[bytes]:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return [_HEADER.pack(len(data), len(body)), data, body]


def _grow_pipe(fd: int) -> None:
    try:
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)
    except OSError:  # a lower /proc/sys/fs/pipe-max-size: smaller writes, same result
        pass


def _read_exact(fd: int, n: int) -> bytes | None:
    """Exactly `n` bytes from a blocking fd; None on end-of-file."""
    parts, got = [], 0
    while got < n:  # one read unless the sender's write was split
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _read_frame(fd: int) -> tuple[object, bytes] | None:
    """(message, body) of the next frame from a blocking fd; None on end-of-file."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    length, body_length = _HEADER.unpack(header)
    data = _read_exact(fd, length)
    body = _read_exact(fd, body_length) if data is not None else None
    if body is None:
        return None
    return pickle.loads(data), body


def _settle(future: asyncio.Future, status: str, detail) -> None:
    """Resolve a write's future from the child's reply."""
    if future.done():  # cancelled meanwhile
        return
    if status == "ok":
        future.set_result(detail)
    else:
        future.set_exception(OSError(detail))


def _write_all(fd: int, parts: list[bytes]) -> None:
    data = memoryview(b"".join(parts))
    while data:
        data = data[os.write(fd, data):]


# -- the child --------------------------------------------------------------------------

def catalog_capture(catalog: Catalog, crawl_id: str, exchange: HttpExchange,
                    pointer: WarcPointer) -> None:
    """The catalog row of one written response (or revisit) record."""
    catalog.add_captures([dict(
        record_id=pointer.record_id, crawl_id=crawl_id, url=exchange.url,
        fetched_at=exchange.fetched_at.isoformat(), status=exchange.status,
        content_type=exchange.header("Content-Type"), payload_digest=pointer.payload_digest,
        warc_file=pointer.filename, warc_offset=pointer.offset, warc_length=pointer.length,
        record_type=pointer.record_type,
        refers_to=exchange.previous.record_id if pointer.record_type == "revisit" else None,
        etag=exchange.header("ETag"), last_modified=exchange.header("Last-Modified"),
    )])


def child_main() -> int:
    """`python -m crawler.capture.writer_process`: frames in on stdin, replies on stdout."""
    from crawler.capture.warc_writer import WarcFileWriter
    from crawler.store.catalog import open_catalog
    from crawler.store.local import LocalStore

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    rfd, wfd = sys.stdin.fileno(), sys.stdout.fileno()  # the crawler sized both pipes
    sys.stdout = sys.stderr  # nothing but frames may reach the reply pipe
    start = _read_frame(rfd)
    if start is None:
        return 1
    root, (catalog_path, crawl_id), options = start[0]
    closed: list[ClosedFile] = []

    def drain() -> list[ClosedFile]:
        done = list(closed)
        closed.clear()
        return done

    try:
        writer = WarcFileWriter(LocalStore(root), on_close=closed.append, **options)
        catalog = open_catalog(catalog_path)
    except Exception as exc:  # noqa: BLE001 - reported to the crawler, which fails the run
        _write_all(wfd, _frame(("error", f"{type(exc).__name__}: {exc}")))
        return 1
    _write_all(wfd, _frame(("ok", None)))
    while True:
        frame = _read_frame(rfd)
        if frame is None:
            # The crawler is gone without asking us to close: every record is flushed
            # whole; leave the `.open` file to the next run's repair.
            return 1
        (kind, payload), body = frame
        try:
            if kind == "write":
                payload.body = body
                pointer = writer.write_exchange(payload)
                catalog_capture(catalog, crawl_id, payload, pointer)
                reply = ("ok", (pointer, drain()))
            elif kind == "close":
                writer.close()
                reply = ("ok", drain())
            else:
                reply = ("error", f"unknown message {kind!r}")
        except Exception as exc:  # noqa: BLE001 - one failed write fails one URL, not the run
            reply = ("error", f"{type(exc).__name__}: {exc}")
        _write_all(wfd, _frame(reply))
        if kind == "close":
            return 0


# -- the crawler's side -------------------------------------------------------------------

class WarcWriterProcess:
    """`WarcFileWriter(LocalStore(root), **options)` living in one child process, which
    also catalogues each capture in the SQLite catalog at `catalog_path` under `crawl_id`.

    `write()` is called on the reactor thread (it uses the running asyncio loop) and
    returns an asyncio future; `close()` blocks until the file is closed and the child
    has exited."""

    def __init__(self, root: str | Path, catalog_path: str | Path, crawl_id: str,
                 **options) -> None:
        # The child imports this package from where the crawler did, installed or not.
        package_parent = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.capture.writer_process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
            env={**os.environ, "PYTHONPATH": path})
        self._out = self._proc.stdin.fileno()
        self._in = self._proc.stdout.fileno()
        for fd in (self._out, self._in):
            _grow_pipe(fd)
        self._waiting: deque[asyncio.Future] = deque()
        self._outbuf = bytearray()
        self._inbuf = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dead: str | None = None
        # Started synchronously: a store the writer cannot use fails the run at once.
        _write_all(self._out, _frame((str(root), (str(catalog_path), crawl_id), options)))
        status, detail = self._read_reply_blocking()
        if status != "ok":
            self._proc.wait(_START_TIMEOUT)
            raise WriterProcessError(f"the WARC writer could not start: {detail}")

    # -- asynchronous writes (reactor thread) -------------------------------------------

    def write(self, exchange: HttpExchange) -> asyncio.Future:
        """A future of (pointer, files closed by this write)."""
        loop = self._attach()
        future = loop.create_future()
        if self._dead:
            future.set_exception(WriterProcessError(self._dead))
            return future
        self._waiting.append(future)
        self._send(_frame(("write", replace(exchange, body=b"")), exchange.body))
        return future

    def _attach(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_event_loop()
            os.set_blocking(self._out, False)
            os.set_blocking(self._in, False)
            self._loop.add_reader(self._in, self._on_readable)
        return self._loop

    def _send(self, parts: list[bytes]) -> None:
        if self._outbuf:  # earlier frames still queued: keep the order
            for part in parts:
                self._outbuf += part
            return
        try:
            sent = os.writev(self._out, parts)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._fail(f"the WARC writer process is gone ({exc})")
            return
        for part in parts:  # what the pipe did not take waits for add_writer
            if sent >= len(part):
                sent -= len(part)
                continue
            self._outbuf += memoryview(part)[sent:]
            sent = 0
        if self._outbuf:
            self._loop.add_writer(self._out, self._on_writable)

    def _on_writable(self) -> None:
        try:
            sent = os.write(self._out, self._outbuf)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(f"the WARC writer process is gone ({exc})")
            return
        del self._outbuf[:sent]
        if not self._outbuf:
            self._loop.remove_writer(self._out)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._in, _PIPE_SIZE)
        except BlockingIOError:
            return
        if not data:
            self._fail(f"the WARC writer process exited (status {self._proc.wait()})")
            return
        self._inbuf += data
        for status, detail in self._parse_replies():
            _settle(self._waiting.popleft(), status, detail)

    def _parse_replies(self):
        while len(self._inbuf) >= _HEADER.size:
            length, _ = _HEADER.unpack_from(self._inbuf)  # replies carry no body
            end = _HEADER.size + length
            if len(self._inbuf) < end:
                return
            reply = pickle.loads(bytes(self._inbuf[_HEADER.size:end]))  # replies are small
            del self._inbuf[:end]
            yield reply

    def _fail(self, why: str) -> None:
        self._dead = why
        if self._loop is not None:
            self._loop.remove_reader(self._in)
            self._loop.remove_writer(self._out)
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(WriterProcessError(why))

    # -- closing (blocking) ---------------------------------------------------------------

    def close(self) -> list[ClosedFile]:
        """Close the current file (after every write sent before), stop the child."""
        if self._loop is not None:
            self._loop.remove_reader(self._in)
            self._loop.remove_writer(self._out)
        try:
            if self._dead:
                raise WriterProcessError(self._dead)
            os.set_blocking(self._out, True)
            os.set_blocking(self._in, True)
            try:
                _write_all(self._out, [bytes(self._outbuf), *_frame(("close", None))])
            except OSError as exc:
                raise WriterProcessError(f"the WARC writer process is gone ({exc})") from exc
            self._outbuf.clear()
            while self._waiting:  # replies to writes still in flight
                _settle(self._waiting.popleft(), *self._read_reply_blocking())
            status, detail = self._read_reply_blocking()  # the close's own
            if status != "ok":
                raise OSError(detail)
            return detail
        finally:
            self._fail(self._dead or "the WARC writer is closed")
            self._proc.stdin.close()
            try:
                self._proc.wait(_START_TIMEOUT)
            except subprocess.TimeoutExpired:  # pragma: no cover - a wedged child
                self._proc.kill()
                self._proc.wait()
            self._proc.stdout.close()

    def _read_reply_blocking(self):
        while True:
            for reply in self._parse_replies():
                return reply
            data = os.read(self._in, _PIPE_SIZE)
            if not data:
                code = self._proc.wait(_START_TIMEOUT)
                raise WriterProcessError(f"the WARC writer process exited (status {code})")
            self._inbuf += data


if __name__ == "__main__":
    sys.exit(child_main())
