"""Repair files a killed writer left as `<key>.open`.

WARC files and article shards are written as one gzip member per record, each member
written and flushed whole. After a crash the file is a run of complete members, maybe
followed by a torn one; truncating to the last complete member (CRC checked by zlib)
keeps every record that was fully written and drops only the torn tail.

A live writer holds an exclusive `flock` on its `.open` file (released by the kernel even
on SIGKILL), so repair skips files another process is still writing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_READ_SIZE = 1 << 20


def complete_members_length(path: Path) -> int:
    """Byte length of the longest prefix of `path` made of whole, valid gzip members."""
    good_end = 0
    consumed = 0  # bytes of the file fed to the current member's decompressor
    member_start = 0
    decomp = zlib.decompressobj(wbits=31)
    with open(path, "rb") as fh:
        pending = b""
        while True:
            if not pending:
                pending = fh.read(_READ_SIZE)
                if not pending:
                    return good_end
            try:
                # Output is discarded; max_length bounds memory on huge members.
                decomp.decompress(pending, 1 << 16)
            except zlib.error:
                return good_end
            used = len(pending) - len(decomp.unconsumed_tail) - len(decomp.unused_data)
            consumed += used
            if decomp.eof:
                member_start += consumed
                good_end = member_start
                consumed = 0
                pending = decomp.unused_data
                decomp = zlib.decompressobj(wbits=31)
            else:
                pending = decomp.unconsumed_tail


@dataclass(frozen=True)
class RepairedFile:
    path: Path  # final name after repair
    kept_bytes: int
    dropped_bytes: int


def lock_exclusive(fh) -> bool:
    """Take the writer lock on an open file; False if another process holds it."""
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def held_by_live_writer(path: Path) -> bool:
    """Whether a live process is writing the `.open` file `path` (holds its lock)."""
    try:
        with open(path, "rb") as fh:
            return not lock_exclusive(fh)  # closing the file drops a lock we took
    except FileNotFoundError:
        return False


def repair_open_file(path: Path) -> RepairedFile | None:
    """Truncate `path` (a `.open` file) to its complete members and rename it closed.

    Returns None when another live writer holds the file. An empty result is removed.
    """
    with open(path, "r+b") as fh:
        if not lock_exclusive(fh):
            return None
        size = os.fstat(fh.fileno()).st_size
        keep = complete_members_length(path)
        if keep != size:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        final = path.with_name(path.name[: -len(".open")])
        if keep == 0:
            path.unlink()
        else:
            os.replace(path, final)
    if keep != size:
        logger.warning(
            "repaired %s: kept %d bytes of whole records, dropped a torn tail of %d bytes",
            final,
            keep,
            size - keep,
        )
    return RepairedFile(final, keep, size - keep)


def repair_store(store) -> list[tuple[str, RepairedFile]]:
    """Repair every `.open` WARC file and article shard a killed run left in `store`:
    (kind, result) of each, kind "warc" or "articles". Files a live writer holds are left
    alone."""
    repaired = []
    for folder in ("warc", "articles"):
        for path in store.open_files(folder):
            fixed = repair_open_file(path)
            if fixed is not None:
                repaired.append((folder, fixed))
    return repaired
