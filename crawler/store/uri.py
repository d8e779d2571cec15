"""Turn the one storage setting (`STORE_URI`, `--store`) into a store object."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawler.store.local import LocalStore
from settings import STORE_URI


class StoreURIError(ValueError):
    """The storage URI cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class Location:
    """A parsed storage or export URI: a local folder, or an S3 bucket and prefix."""

    scheme: str  # "file" | "s3"
    path: Path | None = None
    bucket: str = ""
    prefix: str = ""


def parse_location(uri: str, what: str = "storage URI") -> Location:
    """`./data`, `/abs/dir`, `file:///abs/dir` or `s3://bucket/prefix`; StoreURIError
    (naming `what` and saying what to write instead) for anything else."""
    if not uri or not uri.strip():
        raise StoreURIError(f"empty {what}; use a directory such as {STORE_URI} or file:///abs/dir")
    uri = uri.strip()
    parts = urlsplit(uri)
    if parts.scheme in ("", "file") or (len(parts.scheme) == 1 and uri[1:3] == ":\\"):
        if parts.scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise StoreURIError(
                    f"{what} {uri!r} names a remote host; file URIs must be file:///absolute/path"
                )
            return Location("file", Path(unquote(parts.path)))
        return Location("file", Path(uri).expanduser())
    if parts.scheme != "s3":
        raise StoreURIError(
            f"{what} {uri!r} has unsupported scheme {parts.scheme!r}; "
            "use a directory path, file:///abs/dir or s3://bucket/prefix"
        )
    bucket = parts.netloc
    if not bucket:
        raise StoreURIError(f"{what} {uri!r} names no bucket; write s3://bucket/prefix")
    if not _BUCKET.fullmatch(bucket):
        raise StoreURIError(
            f"{what} {uri!r}: {bucket!r} is not an S3 bucket name (3-63 characters: "
            "lower-case letters, digits, dots, hyphens); write s3://bucket/prefix"
        )
    if parts.query or parts.fragment:
        raise StoreURIError(f"{what} {uri!r}: no ?query or #fragment; write s3://bucket/prefix")
    prefix = unquote(parts.path).strip("/")
    if any(seg in ("", ".", "..") for seg in prefix.split("/")) and prefix:
        raise StoreURIError(f"{what} {uri!r}: the prefix has an empty, '.' or '..' segment")
    return Location("s3", bucket=bucket, prefix=prefix)


def open_store(uri: str, settings=None) -> LocalStore:
    """`./data`, `/abs/dir` or `file:///abs/dir` -> LocalStore; `s3://bucket/prefix` ->
    S3Store (a LocalStore on its spool directory plus the S3 upload target), configured
    by the STORE_SPOOL_DIR and STORE_S3_* entries of `settings` (Scrapy settings). Its
    catalog is the one CATALOG_URI names, if any, else the SQLite file at its root."""
    store = _open_store(uri, settings)
    # The catalog of every command that opens this store (crawler.store.catalog).
    store.catalog_uri = (settings.get("CATALOG_URI") if settings is not None else "") or ""
    return store


def _open_store(uri: str, settings) -> LocalStore:
    location = parse_location(uri)
    if location.scheme == "file":
        return LocalStore(location.path)
    from crawler.store.s3 import S3Options, S3Store, S3StoreError, default_spool_dir

    try:
        options = S3Options.from_settings(settings)
    except S3StoreError as exc:
        raise StoreURIError(str(exc)) from exc
    spool = (
        settings.get("STORE_SPOOL_DIR") if settings is not None else None
    ) or default_spool_dir(location.bucket, location.prefix)
    return S3Store(location.bucket, location.prefix, spool, options)


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
