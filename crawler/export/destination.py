"""Where an export goes: files are written to a local staging folder, then a publisher
moves them to the destination, `manifest.json` last (a batch is complete once its
manifest exists).

Layout of a destination: one folder per export, `<DIR>/<export-id>/part-NNNNN.jsonl.gz`
(or `.parquet`) + `manifest.json`. Export ids sort in time order.

The incremental watermark lives in the destination: each manifest records the catalog
`articles.seq` range it covers, so the next `--incremental` export to the same place
continues after the highest one, and a destination that was wiped starts again from the
beginning. Only local directories for now; `s3://` is refused with a clear message.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

MANIFEST = "manifest.json"


class DestinationError(ValueError):
    """The destination cannot be used; the message says what to do instead."""


class LocalPublisher:
    def __init__(self, root: Path) -> None:
        self.root = root
        if root.exists() and not root.is_dir():
            raise DestinationError(f"export destination {root} exists and is not a folder")

    @property
    def uri(self) -> str:
        return self.root.as_uri()

    def manifests(self) -> list[dict]:
        """Manifests of the complete exports already in the destination, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.glob(f"*/{MANIFEST}")):
            try:
                found.append(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError) as exc:
                raise DestinationError(f"cannot read {path}: {exc}") from exc
        return found

    def staging_dir(self, export_id: str) -> Path:
        # Inside the destination, so publishing is a rename on one file system.
        path = self.root / f".{export_id}.staging"
        path.mkdir(parents=True, exist_ok=False)
        return path

    def publish(self, export_id: str, staging: Path, names: list[str]) -> str:
        """Move `names` then the manifest from `staging` to `<root>/<export_id>/`."""
        final = self.root / export_id
        final.mkdir(parents=False, exist_ok=False)
        for name in [*names, MANIFEST]:
            os.replace(staging / name, final / name)
        _fsync_dir(final)
        staging.rmdir()
        _fsync_dir(self.root)
        return str(final)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)


def open_destination(uri: str) -> LocalPublisher:
    if not uri or not uri.strip():
        raise DestinationError("empty export destination; use a folder such as ./export")
    uri = uri.strip()
    parts = urlsplit(uri)
    if parts.scheme == "s3":
        raise DestinationError(
            f"export destination {uri!r}: s3:// is not available in this build yet; "
            "export to a local folder (--to ./export) and copy it")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise DestinationError(f"export destination {uri!r} names a remote host; use "
                                   "file:///absolute/path")
        return LocalPublisher(Path(unquote(parts.path)))
    if parts.scheme and len(parts.scheme) > 1:
        raise DestinationError(f"export destination {uri!r}: unsupported scheme "
                               f"{parts.scheme!r}; use a folder or file:///abs/dir")
    return LocalPublisher(Path(uri).expanduser().resolve())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
