"""What every frontier backend holds and how a URL is named in it.

A frontier is the shared to-do list of URL work: the queue of URLs to archive, the
seen-set that keeps a URL from being queued twice, the leases of URLs a node has taken
but not finished, and per-site counts and budgets. Backends: `LocalFrontier` (one SQLite
file, crawler/frontier/local.py) and `RedisFrontier` (several nodes, through scrapy-redis,
crawler/frontier/redis_frontier.py); `open_frontier()` in crawler/frontier/__init__.py
picks one from a URI.

A URL is done only when the catalog has its outcome (a capture, or a failure row):
`done()` is called after the catalog committed it, never before, so a node that dies
loses nothing: its leases expire and the URLs are queued again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from crawler.urls import TRACKING_PARAMS, canonical_url


def url_fingerprint(url: str, strip_params: Iterable[str] = ()) -> str:
    """The seen-set key of `url`: its canonical form (crawler/urls.py), without tracking
    parameters and the site's `strip_params`, hashed (fixed size whatever the URL)."""
    canon = canonical_url(url, (*TRACKING_PARAMS, *strip_params))
    return hashlib.sha1(canon.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One unit of URL work: the URL as given (fetched as is), and whether to fetch it
    even if the store has archived it already (`crawler archive --refetch`)."""

    url: str
    refetch: bool = False
    # taken again after a lease expired: its first taker died, maybe after writing its
    # WARC record but before cataloguing it (the taker repairs leftovers first)
    requeued: bool = field(default=False, compare=False)

    def encode(self) -> str:
        return json.dumps({"url": self.url, "refetch": True} if self.refetch else {"url": self.url})

    @classmethod
    def decode(cls, text: str | bytes, requeued: bool = False) -> Entry:
        data = json.loads(text)
        return cls(data["url"], bool(data.get("refetch")), requeued)


@dataclass
class Added:
    """What `Frontier.add` did with a batch: queued, or already seen (queued earlier)."""

    queued: int = 0
    seen: int = 0


class Frontier(Protocol):
    """The interface of every backend. `owner` is the node (or process) taking work."""

    def add(self, urls: Iterable[str], *, refetch: bool = False) -> Added:
        """Queue the URLs not seen before (with `refetch`: all of them)."""
        ...

    def take(self, owner: str, n: int) -> list[Entry]:
        """Lease up to `n` queued entries to `owner` for the lease time; expired leases of
        any owner are queued again first (a dead node's work)."""
        ...

    def renew(self, owner: str, entries: Iterable[Entry]) -> None:
        """Extend the leases of entries still being worked on."""
        ...

    def done(self, entries: Iterable[Entry]) -> None:
        """These entries' outcomes are in the catalog: drop their leases, count them."""
        ...

    def charge(self, site: str, budget: int) -> bool:
        """Count one page against `site`'s budget; False (nothing counted) once spent."""
        ...

    def counts(self) -> dict[str, int]:
        """queued, leased, done, requeued (expired leases put back), seen."""
        ...

    def close(self) -> None: ...
