"""The WARC writer in a process of its own, fed by the capture middleware over a pipe.

Hashing, ISA-L compression and warcio's record building cost about 1.5 ms of CPU per
150 KB page. On a thread of the crawler process that work competes with the reactor for
the GIL; in a process of its own it runs on the other core.

The child only writes WARC records: it replies with each record's `WarcPointer` (and the
files the write closed), and the crawler process, the one writer of the catalog, files
the capture row (`crawler.capture.rows`).

The channel is two pipes wrapped as `multiprocessing.connection.Connection`s (framing,
and a file descriptor the reactor's asyncio loop watches with `add_reader`): each write
is two messages, the `HttpExchange` without its body (pickled) and the body as raw bytes,
so a 150 KB body is not copied into a pickle. Replies come back in order. Sends block:
the pipe is sized to hold several pages, and when the child falls behind, waiting for
it is the back-pressure the crawl needs anyway (an unbounded buffer here would hold the
pages in memory instead).

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
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import ClosedFile, WarcPointer
from crawler.store.disk import is_disk_full

_PIPE_SIZE = 1 << 20  # several 150 KB exchanges fit: the reactor rarely waits for the child
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_START_TIMEOUT = 60.0


class WriterProcessError(Exception):
    """The writer process could not start, or died."""


def _grow_pipe(fd: int) -> None:
    try:
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)
    except OSError:  # a lower /proc/sys/fs/pipe-max-size: smaller writes, same result
        pass


def _settle(waiting: tuple[asyncio.Future, Callable | None], status: str, detail) -> None:
    """Resolve a write's future from the child's reply; `on_written(pointer)` first, and
    synchronously: a reply read by `close()` is recorded before the run closes, not when
    the loop next gets to the awaiting coroutine."""
    future, on_written = waiting
    if status == "ok" and on_written is not None and isinstance(detail, tuple):
        on_written(detail[0])
    if future.done():  # cancelled meanwhile
        return
    if status == "ok":
        future.set_result(detail)
    else:
        future.set_exception(_error_of(detail))


def _error_of(detail) -> OSError:
    """The OSError a child's error reply stands for: (strerror, errno, path) of an OSError
    (so that a full disk is known as one, with the file it hit), or a message."""
    if isinstance(detail, tuple):
        message, err, path = detail
        return OSError(err, message, path) if err else OSError(message)
    return OSError(detail)


def _describe(exc: Exception, path) -> tuple[str, int | None, str | None]:
    if isinstance(exc, OSError) and exc.errno:
        return exc.strerror or str(exc), exc.errno, str(exc.filename or path or "")
    return f"{type(exc).__name__}: {exc}", None, None


# -- the child --------------------------------------------------------------------------


def child_main() -> int:
    """`python -m crawler.capture.writer_process`: messages in on stdin, replies on stdout."""
    from crawler.capture.warc_writer import WarcFileWriter
    from crawler.store.local import LocalStore

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    requests = Connection(os.dup(sys.stdin.fileno()), writable=False)
    replies = Connection(os.dup(sys.stdout.fileno()), readable=False)
    sys.stdout = sys.stderr  # nothing but replies may reach the reply pipe
    try:
        root, options = requests.recv()
    except EOFError:
        return 1
    closed: list[ClosedFile] = []

    def drain() -> list[ClosedFile]:
        done = list(closed)
        closed.clear()
        return done

    try:
        writer = WarcFileWriter(LocalStore(root), on_close=closed.append, **options)
    except Exception as exc:  # noqa: BLE001 - reported to the crawler, which fails the run
        replies.send(("error", f"{type(exc).__name__}: {exc}"))
        return 1
    replies.send(("ok", None))
    disk_full = None  # the first "no space" reply: every later write gets it too
    while True:
        try:
            kind, payload = requests.recv()
            if kind == "write":
                payload.body = requests.recv_bytes()
        except EOFError:
            # The crawler is gone without asking us to close: every record is flushed
            # whole; leave the `.open` file to the next run's repair.
            return 1
        try:
            if kind == "write" and disk_full:
                # Writes already in the pipe when the disk filled: the crawler stops the
                # crawl, and the room its reserve frees is for closing, not for these.
                reply = ("error", disk_full)
            elif kind == "write":
                reply = ("ok", (writer.write_exchange(payload), drain()))
            elif kind == "close":
                writer.close()
                reply = ("ok", drain())
            else:
                reply = ("error", f"unknown message {kind!r}")
        except Exception as exc:  # noqa: BLE001 - one failed write fails one URL, not the run
            reply = ("error", _describe(exc, writer.current_path))
            if is_disk_full(exc):
                disk_full = reply[1]
        replies.send(reply)
        if kind == "close":
            return 0


# -- the crawler's side -------------------------------------------------------------------


class WarcWriterProcess:
    """`WarcFileWriter(LocalStore(root), **options)` living in one child process.

    `write()` is called on the reactor thread (it uses the running asyncio loop) and
    returns an asyncio future of (pointer, files closed by this write); `close()` blocks
    until the file is closed and the child has exited."""

    def __init__(self, root: str | Path, **options) -> None:
        # The child imports this package from where the crawler did, installed or not.
        package_parent = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.capture.writer_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env={**os.environ, "PYTHONPATH": path},
        )
        self._proc = proc
        for fd in (proc.stdin.fileno(), proc.stdout.fileno()):
            _grow_pipe(fd)
        self._requests = Connection(os.dup(proc.stdin.fileno()), readable=False)
        self._replies = Connection(os.dup(proc.stdout.fileno()), writable=False)
        proc.stdin.close()  # the Connections own the pipes now (EOF = our close)
        proc.stdout.close()
        self._waiting: deque[tuple[asyncio.Future, Callable | None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dead: str | None = None
        # Started synchronously: a store the writer cannot use fails the run at once.
        try:
            self._requests.send((str(root), options))
            status, detail = self._reply_blocking()
        except (OSError, WriterProcessError) as exc:
            status, detail = "error", str(exc)
        if status != "ok":
            self._stop()
            raise WriterProcessError(f"the WARC writer could not start: {detail}")

    # -- asynchronous writes (reactor thread) -------------------------------------------

    def write(
        self, exchange: HttpExchange, on_written: Callable[[WarcPointer], None] | None = None
    ) -> asyncio.Future:
        """A future of (pointer, files closed by this write); `on_written(pointer)` is
        called as soon as the reply is read."""
        loop = self._attach()
        future = loop.create_future()
        if self._dead:
            future.set_exception(WriterProcessError(self._dead))
            return future
        self._waiting.append((future, on_written))
        try:
            self._requests.send(("write", replace(exchange, body=b"")))
            self._requests.send_bytes(exchange.body)
        except OSError as exc:
            self._fail(f"the WARC writer process is gone ({exc})")
        return future

    def _attach(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_event_loop()
            self._loop.add_reader(self._replies.fileno(), self._on_readable)
        return self._loop

    def _on_readable(self) -> None:
        # The child sends each (small) reply in one write: poll() means a whole one waits.
        try:
            while self._replies.poll():
                _settle(self._waiting.popleft(), *self._replies.recv())
        except (EOFError, OSError):
            self._fail(f"the WARC writer process exited (status {self._proc.wait()})")

    def _fail(self, why: str) -> None:
        self._dead = why
        if self._loop is not None and not self._replies.closed:
            self._loop.remove_reader(self._replies.fileno())
        while self._waiting:
            future, _ = self._waiting.popleft()
            if not future.done():
                future.set_exception(WriterProcessError(why))

    # -- closing (blocking) ---------------------------------------------------------------

    def close(self) -> list[ClosedFile]:
        """Close the current file (after every write sent before), stop the child."""
        if self._loop is not None and not self._replies.closed:
            self._loop.remove_reader(self._replies.fileno())
        try:
            if self._dead:
                raise WriterProcessError(self._dead)
            try:
                self._requests.send(("close", None))
            except OSError as exc:
                raise WriterProcessError(f"the WARC writer process is gone ({exc})") from exc
            while self._waiting:  # replies to writes still in flight
                _settle(self._waiting.popleft(), *self._reply_blocking())
            status, detail = self._reply_blocking()  # the close's own
            if status != "ok":
                raise _error_of(detail)
            return detail
        finally:
            self._fail(self._dead or "the WARC writer is closed")
            self._stop()

    def _reply_blocking(self):
        try:
            return self._replies.recv()
        except EOFError:
            code = self._proc.wait(_START_TIMEOUT)
            raise WriterProcessError(f"the WARC writer process exited (status {code})") from None

    def _stop(self) -> None:
        self._requests.close()  # end-of-file for the child
        try:
            self._proc.wait(_START_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a wedged child
            self._proc.kill()
            self._proc.wait()
        self._replies.close()


if __name__ == "__main__":
    sys.exit(child_main())
