"""A full disk: how writers append without leaving torn records, how a run tells a full
disk from other errors, and the reserve that lets it finish cleanly when the disk fills.

When the store's disk fills mid-run, the run stops fetching, and must still write what it
knows: the catalog rows of what was archived, a failure row per page it could not keep,
the CDXJ index of the last WARC, the run manifest. With the disk full, none of that fits.
So each run holds a small reserve file in the store (`STORE_DISK_RESERVE` bytes); the
first "no space" error frees it, and the run's closing writes use that room.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from crawler.store.recovery import lock_exclusive

# ENOSPC: the file system is full; EDQUOT: the user's quota is (same remedy).
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"
RESERVE_PREFIX = ".disk-reserve-"


class DiskFullError(OSError):
    """The disk is full before the run could start (its reserve did not fit)."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the quota) is full: an OSError, or SQLite's own."""
    if isinstance(exc, OSError):
        return exc.errno in _FULL_ERRNOS
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == _SQLITE_FULL or "database or disk is full" in str(exc)
    return False


def append_whole(fh, data: bytes) -> int:
    """Append `data` to the unbuffered binary file `fh`: whole, or not at all. Returns the
    offset it starts at. On an error the file is cut back to where it was (a full disk
    leaves no torn record behind) and the error is raised; if even that fails, the file
    holds a torn tail, which `file_is_whole(fh, offset)` tells."""
    offset = fh.tell()
    view = memoryview(data)
    try:
        while view:
            written = fh.write(view)
            view = view[written:]
    except OSError:
        try:
            os.ftruncate(fh.fileno(), offset)
            fh.seek(offset)
        except OSError:
            pass  # left torn: the writer keeps the `.open` name, the next run repairs it
        raise
    return offset


def file_is_whole(fh, offset: int) -> bool:
    """After a failed `append_whole` at `offset`: whether the file ends there again."""
    try:
        return os.fstat(fh.fileno()).st_size == offset
    except OSError:
        return False


class DiskReserve:
    """A file of `size` bytes in `folder`, held by this process (flock) until `release()`.
    Reserves of killed runs (no longer locked) are removed when a new one is made."""

    def __init__(self, folder: Path, name: str, size: int) -> None:
        self.path = folder / f"{RESERVE_PREFIX}{name}"
        self._fh = None
        if size <= 0:
            return
        _remove_stale_reserves(folder)
        fh = open(self.path, "wb", buffering=0)
        try:
            lock_exclusive(fh)
            # Real blocks (posix_fallocate), not a sparse file: the space must be ours.
            os.posix_fallocate(fh.fileno(), 0, size)
        except BaseException as exc:
            fh.close()
            self.path.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise DiskFullError(
                    exc.errno, f"disk full writing {self.path}: {exc.strerror}"
                ) from None
            raise
        self._fh = fh

    @property
    def held(self) -> bool:
        return self._fh is not None

    def release(self) -> bool:
        """Give the space back (idempotent); True if this call freed it."""
        if self._fh is None:
            return False
        self.path.unlink(missing_ok=True)
        self._fh.close()
        self._fh = None
        return True


def _remove_stale_reserves(folder: Path) -> None:
    for path in folder.glob(RESERVE_PREFIX + "*"):
        try:
            with open(path, "rb") as fh:
                if lock_exclusive(fh):  # its run is gone
                    path.unlink(missing_ok=True)
        except OSError:
            continue
