"""`crawler worker --frontier redis://... --store STORE`: a node that takes work from the
shared frontier until stopped (SIGTERM/SIGINT: after the work in hand) or, with
`--idle-exit S`, after S seconds with nothing to do.

A thin loop: each kind of work is taken by a function of its own module, which does one
unit and says whether there was any. URL work: crawler/frontier/url_work.py.
"""

from __future__ import annotations

import argparse
import signal
import time
from dataclasses import dataclass, field

from crawler.commands.options import (
    add_set_option,
    add_sites_dir_option,
    add_store_options,
    check_frontier,
)
from crawler.usage_error import EXIT_OK

POLL_SECONDS = 1.0  # between looks at an empty frontier


@dataclass
class WorkerContext:
    """What every kind of work needs: where the work and the store are, and who we are."""

    frontier: str
    store: str | None
    catalog: str | None
    node_id: str | None
    passed_on: list[str] = field(default_factory=list)  # flags for the crawls it starts
    stopping: bool = False
    child = None  # the crawl in progress (subprocess.Popen), told when we are stopped


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "worker", help="take URL work (and due site crawls) from a shared frontier"
    )
    p.add_argument(
        "--frontier",
        required=True,
        metavar="URI",
        help="redis://HOST:PORT/DB (or sqlite:///FILE: workers of one machine)",
    )
    add_store_options(p)
    add_sites_dir_option(p)
    p.add_argument("--node-id", metavar="ID", help="this node's name (NODE_ID)")
    p.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="exit after this long with nothing to do (default: wait for work forever)",
    )
    add_set_option(p, "a setting for the crawls this worker runs, e.g. -s CONCURRENT_REQUESTS=32")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.frontier.url_work import take_url_work

    check_frontier(args.frontier)
    ctx = WorkerContext(
        frontier=args.frontier,
        store=args.store,
        catalog=args.catalog,
        node_id=args.node_id,
        passed_on=_passed_on(args),
    )

    def stop(signum, frame) -> None:
        ctx.stopping = True
        if ctx.child is not None and ctx.child.poll() is None:
            ctx.child.send_signal(signal.SIGTERM)  # Scrapy's graceful stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    idle_since = time.monotonic()
    while not ctx.stopping:
        did = take_url_work(ctx)
        # the scheduler's part plugs in here: `did = did or take_site_work(ctx)`
        if did:
            idle_since = time.monotonic()
            continue
        if args.idle_exit is not None and time.monotonic() - idle_since >= args.idle_exit:
            break
        time.sleep(POLL_SECONDS)
    return EXIT_OK


def _passed_on(args: argparse.Namespace) -> list[str]:
    flags = []
    for name, value in (
        ("--s3-endpoint-url", args.s3_endpoint_url),
        ("--spool-dir", args.spool_dir),
    ):
        if value:
            flags += [name, value]
    for name, value in (("NODE_ID", args.node_id), ("CATALOG_URI", args.catalog)):
        if value:
            flags += ["-s", f"{name}={value}"]
    for item in args.set or []:
        flags += ["-s", item]
    return flags
