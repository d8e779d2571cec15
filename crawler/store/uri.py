"""Turn the one storage setting (`STORE_URI`, `--store`) into a store object."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from crawler.store.local import LocalStore


class StoreURIError(ValueError):
    """The storage URI cannot be used; the message says what to write instead."""


def open_store(uri: str) -> LocalStore:
    """`./data`, `/abs/dir` or `file:///abs/dir` -> LocalStore."""
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
        raise StoreURIError(
            f"storage URI {uri!r}: S3 storage is not available in this version yet; "
            "use a local directory (file:///path)"
        )
    raise StoreURIError(
        f"storage URI {uri!r} has unsupported scheme {parts.scheme!r}; "
        "use a directory path or file:///abs/dir"
    )
