"""Turn the one storage setting (`STORE_URI`, `--store`) into a store object."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from crawler.store.local import LocalStore


class StoreURIError(ValueError):
    """The storage URI cannot be used; the message says what to write instead."""


def open_store(uri: str, settings=None) -> LocalStore:
    """`./data`, `/abs/dir` or `file:///abs/dir` -> LocalStore; `s3://bucket/prefix` ->
    S3Store (a LocalStore on its spool directory plus the S3 upload target), configured
    by the STORE_SPOOL_DIR and STORE_S3_* entries of `settings` (Scrapy settings)."""
    if not uri or not uri.strip():
        raise StoreURIError("empty storage URI; use a directory such as ./data or file:///abs/dir")
    uri = uri.strip()
    parts = urlsplit(uri)
    if parts.scheme in ("", "file") or (len(parts.scheme) == 1 and uri[1:3] == ":\\"):
        if parts.scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise StoreURIError(
                    f"storage URI {uri!r} names a remote host; file URIs must be "
                    "file:///absolute/path"
                )
            return LocalStore(unquote(parts.path))
        return LocalStore(uri)
    if parts.scheme == "s3":
        return _open_s3(uri, parts, settings)
    raise StoreURIError(
        f"storage URI {uri!r} has unsupported scheme {parts.scheme!r}; "
        "use a directory path or file:///abs/dir"
    )


def _open_s3(uri: str, parts, settings):
    from crawler.store.s3 import S3Options, S3Store, S3StoreError, default_spool_dir

    bucket = parts.netloc
    if not _BUCKET.fullmatch(bucket or ""):
        raise StoreURIError(
            f"storage URI {uri!r}: {bucket!r} is not an S3 bucket name (3-63 characters: "
            "lower-case letters, digits, dots, hyphens); write s3://bucket/prefix")
    if parts.query or parts.fragment:
        raise StoreURIError(f"storage URI {uri!r}: no ?query or #fragment; write "
                            "s3://bucket/prefix")
    prefix = unquote(parts.path).strip("/")
    if any(seg in ("", ".", "..") for seg in prefix.split("/")) and prefix:
        raise StoreURIError(f"storage URI {uri!r}: the prefix has an empty, '.' or '..' "
                            "segment")
    try:
        options = S3Options.from_settings(settings)
    except S3StoreError as exc:
        raise StoreURIError(str(exc)) from exc
    spool = (settings.get("STORE_SPOOL_DIR") if settings is not None else None) or \
        default_spool_dir(bucket, prefix)
    return S3Store(bucket, prefix, spool, options)


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
