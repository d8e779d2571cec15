"""The frontier: the queue of URL work, its seen-set, leases, per-site budgets and counts.

    open_frontier("sqlite:///path/frontier.sqlite")   # or a plain path: one machine
    open_frontier("redis://127.0.0.1:6379/0")         # shared by nodes (`redis` extra)

crawler/frontier/base.py says what a frontier is; local.py and redis_frontier.py are the
backends (`Frontier.add` reads any iterable lazily: a URL list of millions streams in);
session.py is the crawl's side (leases taken, archived URLs skipped, outcomes
acknowledged once catalogued); url_work.py is `crawler worker`'s URL work.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawler.frontier.base import Added, Entry, Frontier, url_fingerprint

__all__ = ["Added", "Entry", "Frontier", "FrontierError", "open_frontier", "url_fingerprint"]


class FrontierError(ValueError):
    """A frontier URI this crawler cannot use; the message says what to give instead."""


def is_shared(uri: str) -> bool:
    """Whether `uri` names a frontier other nodes can share (Redis)."""
    return urlsplit(uri).scheme in ("redis", "rediss", "unix")


def open_frontier(uri: str, lease_seconds: float) -> Frontier:
    """The frontier `uri` names: redis://, rediss://, unix:// (Redis), sqlite:///path or
    a file path (local)."""
    scheme = urlsplit(uri).scheme if "://" in uri else ""
    if is_shared(uri):
        try:
            from crawler.frontier.redis_frontier import RedisFrontier
        except ImportError as exc:
            raise FrontierError(
                f"frontier {uri!r} needs the `redis` extra: "
                f"pip install 'news-archive-crawler[redis]' ({exc})"
            ) from exc
        return RedisFrontier(uri, lease_seconds)
    if scheme not in ("", "sqlite"):
        raise FrontierError(
            f"frontier {uri!r} has unsupported scheme {scheme!r}; "
            "give redis://host:port/db or a local file (sqlite:///path)"
        )
    from crawler.frontier.local import LocalFrontier

    path = unquote(urlsplit(uri).path) if scheme else uri
    return LocalFrontier(Path(path), lease_seconds)
