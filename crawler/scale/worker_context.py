"""What one `crawler worker` process knows while it takes work: where the shared state
lives, who it is, the flags its crawls get, and whether it was asked to stop."""

from __future__ import annotations

import os
import socket
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
    # take_url_work (the URL frontier, another part of issue 13) adds its own state here


_NODE_ID: str | None = None


def this_node(given: str | None = None) -> str:
    """`given`, or this process's node id: the host name and a random part made once."""
    # TODO node_id: crawler.node.node_id(settings) (the catalog part of issue 13) replaces
    # this at the merge.
    global _NODE_ID
    if given:
        return given
    if _NODE_ID is None:
        _NODE_ID = f"{socket.gethostname()}-{os.urandom(3).hex()}"
    return _NODE_ID
