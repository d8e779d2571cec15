"""The WARC writer in a process of its own, fed by the capture middleware.

Hashing, ISA-L compression and warcio's record building cost about 1.5 ms of CPU per
150 KB page. On a thread of the crawler process that work competes with the reactor for
the GIL, and fetch + WARC ran at about half the pages/s of a bare fetch; in a process of
its own it runs on the other core. The middleware sends each `HttpExchange` (pickled: a
copy of the body, cheap next to compressing it) and gets back the record's
`WarcPointer` plus the files the write closed (rotation), which the crawler process
then registers, indexes and uploads as before.

The child ignores SIGINT and SIGTERM: Ctrl-C or a scheduler's SIGTERM reaches the whole
process group, and the crawler process must be the one that decides when to close the
file (after the responses in flight are written). If the crawler dies (SIGKILL), the
child's queue closes, it exits, the kernel drops its flock, and the next run repairs the
`.open` file.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import ClosedFile, WarcFileWriter, WarcPointer
from crawler.store.local import LocalStore

_writer: WarcFileWriter | None = None
_closed: list[ClosedFile] = []


def _start(root: str, options: dict, crawler_pid: int) -> None:
    global _writer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _writer = WarcFileWriter(LocalStore(root), on_close=_closed.append, **options)
    threading.Thread(target=_exit_with, args=(crawler_pid,), daemon=True).start()


def _exit_with(crawler_pid: int) -> None:
    """Die with the crawler: our parent is the forkserver, so the crawler's death is not
    ours by default, and a live orphan would keep the `.open` file locked from repair.
    Every record is already flushed whole; the torn tail, if any, is repair's job."""
    while True:
        time.sleep(0.1)
        try:
            os.kill(crawler_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pragma: no cover - pid reused by another user's process
            os._exit(1)


def _drain() -> list[ClosedFile]:
    closed = list(_closed)
    _closed.clear()
    return closed


def _write(exchange: HttpExchange) -> tuple[WarcPointer, list[ClosedFile]]:
    pointer = _writer.write_exchange(exchange)
    return pointer, _drain()


def _close() -> list[ClosedFile]:
    _writer.close()
    return _drain()


class WarcWriterProcess:
    """`WarcFileWriter(LocalStore(root), **options)` living in one child process."""

    def __init__(self, root: str | Path, **options) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start, initargs=(str(root), options, os.getpid()))

    def write(self, exchange: HttpExchange) -> Future:
        """A future of (pointer, files closed by this write)."""
        return self._pool.submit(_write, exchange)

    def close(self) -> list[ClosedFile]:
        """Close the current file (after every write submitted before), stop the child."""
        try:
            return self._pool.submit(_close).result()
        finally:
            self._pool.shutdown(wait=True)
