"""What one `crawler worker` process knows while it takes work: where the shared state
lives, who it is, the flags its crawls get, and whether it was asked to stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class WorkerContext:
    frontier: str  # redis://... shared by every node
    node_id: str  # this node's name in leases and logs
    settings: Any  # the worker's Scrapy Settings (SITE_LEASE_SECONDS, ...)
    crawl_args: list[str] = field(default_factory=list)  # --store, --sites-dir, -s ... per crawl
    stopping: bool = False  # set by SIGTERM/SIGINT: finish the work in hand, take no more
    site_queue: Any = None  # crawler.scale.site_queue.SiteQueue, made on first use
    # URL work (crawler/frontier/url_work.py): its runs' store and flags, the run in progress
    store: str | None = None
    passed_on: list[str] = field(default_factory=list)
    child: Any = None  # subprocess.Popen of the `crawler archive --frontier` run, if any
