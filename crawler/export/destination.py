"""Where an export goes: files are written to a local staging folder, then a publisher
moves them to the destination, `manifest.json` last (a batch is complete once its
manifest exists).

Layout of a destination: one folder per export, `<DIR>/<export-id>/part-NNNNN.jsonl.gz`
(or `.parquet`) + `manifest.json`. Export ids sort in time order.

The incremental watermark lives in the destination: each manifest records the catalog
`articles.seq` range it covers, so the next `--incremental` export to the same place
continues after the highest one, and a destination that was wiped starts again from the
beginning.

Destinations: a local folder (staging inside it, published by renames) or
`s3://bucket/prefix` (staging in a temp folder, published by uploads through the S3
store's client settings, STORE_S3_*; objects are write-once, like the store's).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from crawler.store.local import fsync_dir, sha256_file
from crawler.store.uri import StoreURIError, parse_location

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
        fsync_dir(final)
        staging.rmdir()
        fsync_dir(self.root)
        return str(final)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)


class S3Publisher:
    """`s3://bucket/prefix`: each export is `<prefix>/<export-id>/...`, manifest last."""

    def __init__(self, bucket: str, prefix: str, options) -> None:
        from crawler.store.s3 import make_client

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.options = options
        self.client = make_client(options)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def manifests(self) -> list[dict]:
        base = self._key() + "/" if self.prefix else ""
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base
        ):
            for obj in page.get("Contents", []):
                rest = obj["Key"][len(base) :]
                if rest.count("/") == 1 and rest.endswith("/" + MANIFEST):
                    body = self.client.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"]
                    try:
                        found.append(json.loads(body.read()))
                    except ValueError as exc:
                        raise DestinationError(
                            f"cannot read s3://{self.bucket}/{obj['Key']}: {exc}"
                        ) from exc
        return sorted(found, key=lambda m: m.get("export_id", ""))

    def staging_dir(self, export_id: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"export-{export_id}-"))

    def publish(self, export_id: str, staging: Path, names: list[str]) -> str:
        from crawler.store.s3 import put_verified

        for name in [*names, MANIFEST]:
            path = staging / name
            # write-once and verified by size and sha256, as the store's own uploads
            put_verified(
                self.client,
                self.options,
                self.bucket,
                self._key(export_id, name),
                path,
                path.stat().st_size,
                sha256_file(path),
            )
        shutil.rmtree(staging, ignore_errors=True)
        return f"s3://{self.bucket}/{self._key(export_id)}/"

    def discard(self, staging: Path) -> None:
        # Parts already uploaded stay without a manifest: an incomplete export, ignored.
        shutil.rmtree(staging, ignore_errors=True)


def open_destination(uri: str, settings=None) -> LocalPublisher | S3Publisher:
    try:
        location = parse_location(uri, "export destination")
    except StoreURIError as exc:
        raise DestinationError(str(exc)) from exc
    if location.scheme == "file":
        return LocalPublisher(location.path.resolve())
    from crawler.store.s3 import S3Options, S3StoreError

    try:
        options = S3Options.from_settings(settings)
    except S3StoreError as exc:
        raise DestinationError(str(exc)) from exc
    return S3Publisher(location.bucket, location.prefix, options)
