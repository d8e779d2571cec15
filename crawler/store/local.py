"""Local directory storage: the embedded default (`file:///path` or a plain path, default ./data).

Keys are '/'-separated paths relative to the store root, the same layout an S3 prefix gets:
`warc/YYYY/MM/DD/...warc.gz`, `articles/YYYY/MM/DD/...jsonl.gz`, `runs/<crawl-id>.json`,
plus the SQLite catalog at `catalog.sqlite` (and, in an S3 store's spool, the upload
ledger at `uploads.sqlite`). A file being written lives at `<key>.open`
and is renamed to `<key>` when it is complete, so a reader never sees a half-written file
under its final name.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

OPEN_SUFFIX = ".open"
# The SQLite files at the store root (for an S3 store: at its spool's root).
LEDGER_FILE = "uploads.sqlite"  # an S3 spool's upload ledger (crawler.store.upload_ledger)


class LocalStore:
    # Where its catalog is when not at the root (CATALOG_URI, `--catalog`): set by
    # crawler.store.uri.open_store, read by crawler.store.catalog.open_catalog.
    catalog_uri: str = ""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()

    @property
    def uri(self) -> str:
        return self.root.as_uri()

    def path(self, key: str) -> Path:
        return self.root / key

    def open_path(self, key: str) -> Path:
        """Where `key` is written while incomplete; parent folders are created."""
        path = self.root / (key + OPEN_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def publish(self, key: str) -> Path:
        """Rename `<key>.open` to `<key>`: the file is complete from now on."""
        final = self.root / key
        os.replace(self.root / (key + OPEN_SUFFIX), final)
        fsync_dir(final.parent)
        return final

    def write_atomic(self, key: str, data: bytes) -> Path:
        """Write a small file whole (run manifests): temp file, fsync, rename."""
        final = self.root / key
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(final.name + ".tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no empty or partial .tmp
            raise
        os.replace(tmp, final)
        fsync_dir(final.parent)
        return final

    def open_read(self, key: str) -> BinaryIO:
        """`key` opened for reading, binary (a whole shard or WARC file)."""
        return open(self.root / key, "rb")

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` of `key` (one WARC record by its pointer)."""
        with open(self.root / key, "rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def open_files(self, folder: str) -> list[Path]:
        """Every `*.open` file below `folder` (left behind by a crashed writer)."""
        base = self.root / folder
        if not base.is_dir():
            return []
        return sorted(base.rglob("*" + OPEN_SUFFIX))

    def list_keys(self, folder: str) -> list[str]:
        """The keys of the complete files below `folder` (not `.open`, not `.tmp`), sorted."""
        base = self.root / folder
        if not base.is_dir():
            return []
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in base.rglob("*")
            if path.is_file() and not path.name.endswith((OPEN_SUFFIX, ".tmp"))
        )

    def key_of(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix()
        return rel[: -len(OPEN_SUFFIX)] if rel.endswith(OPEN_SUFFIX) else rel


def unwritable_reason(folder: str | os.PathLike[str]) -> str | None:
    """Why files cannot be created in `folder` (or, if it does not exist yet, in the
    nearest existing folder above it, where it would be made), or None if they can.

    A real file is created and removed: the permission bits alone do not say it (root
    ignores them, a read-only mount or a full quota does not show in them). Nothing is
    created when the answer is no, and nothing is left when it is yes."""
    path = Path(folder).expanduser().absolute()
    while not path.exists() and not path.is_symlink() and path != path.parent:
        path = path.parent
    if not path.is_dir():
        return os.strerror(errno.ENOTDIR).lower()
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()
    os.close(fd)
    os.unlink(probe)
    return None


def sha256_file(path: Path) -> str:
    """SHA-256 of a whole file, read in 1 MiB blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
