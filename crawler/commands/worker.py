"""`crawler worker --frontier redis://... --store STORE [--sites-dir DIR]`: one node of many;
takes work from the shared Redis until stopped: due site crawls queued by
`crawler schedule --frontier` (`crawler.scale.site_work`).

SIGTERM/SIGINT: finish (or hand back) the work in hand, exit 0. `--idle-exit SECONDS`:
exit 0 after that long with nothing to do (tests, batch jobs). While Redis cannot be
reached the worker says so and keeps trying.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

from crawler.commands.options import (
    add_set_option,
    add_sites_dir_option,
    add_store_options,
    plain_settings,
)
from crawler.usage_error import EXIT_OK, UsageError

_IDLE_POLL_SECONDS = 0.5  # between looks at an empty queue


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "worker", help="one of many nodes: take due site crawls from a shared Redis"
    )
    p.add_argument(
        "--frontier", metavar="redis://HOST:PORT/DB", required=True, help="the shared Redis"
    )
    p.add_argument(
        "--catalog", metavar="URI", help="the shared catalog (CATALOG_URI; default the store's)"
    )
    add_store_options(p)
    add_sites_dir_option(p)
    p.add_argument("--node-id", help="this node's name in leases and logs (default: host-random)")
    p.add_argument(
        "--idle-exit", type=float, metavar="SECONDS", help="exit after this long with no work"
    )
    p.add_argument("--log-level", help="log level of the crawl runs")
    add_set_option(p, "a setting for the worker and every run it starts")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.commands.schedule import _child_args as crawl_child_args
    from crawler.scale.site_queue import check_frontier_url
    from crawler.scale.site_work import take_site_work
    from crawler.scale.worker_context import WorkerContext, this_node

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    try:
        check_frontier_url(args.frontier)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    settings = plain_settings(args)
    crawl_args = crawl_child_args(args, settings)  # the flags the local scheduler gives too
    if args.catalog:
        crawl_args += ["-s", f"CATALOG_URI={args.catalog}"]
    ctx = WorkerContext(args.frontier, this_node(args.node_id), settings, crawl_args)

    def stop(signum, frame) -> None:
        logging.getLogger("crawler.worker").info("signal %d: finishing the work in hand", signum)
        ctx.stopping = True

    installed = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    idle_since = time.monotonic()
    try:
        while not ctx.stopping:
            # the URL frontier's take_url_work(ctx) plugs in here, before the site work
            if take_site_work(ctx):
                idle_since = time.monotonic()
            elif args.idle_exit is not None and time.monotonic() - idle_since >= args.idle_exit:
                break
            else:
                time.sleep(_IDLE_POLL_SECONDS)
    finally:
        for sig, handler in installed.items():
            signal.signal(sig, handler)
        if ctx.site_queue is not None:
            ctx.site_queue.close()
    return EXIT_OK
