"""`crawler worker --frontier redis://... --store STORE [--sites-dir DIR]`: one node of
many; takes work from the shared frontier until stopped (SIGTERM/SIGINT: after the work
in hand, or handing it back) or, with `--idle-exit S`, after S seconds with nothing to do.

A thin loop: each kind of work is taken by a function of its own module, which does one
unit and says whether there was any. URL work (`crawler archive --frontier` queues it):
crawler/frontier/url_work.py; due site crawls (`crawler schedule --frontier` queues
them; Redis frontiers only): crawler/scale/site_work.py. While Redis cannot be reached
the worker says so and keeps trying.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time

from crawler.commands.options import (
    add_allow_private_networks_option,
    add_set_option,
    add_sites_dir_option,
    add_store_options,
    check_frontier,
    log_to_stderr,
    plain_settings,
)
from crawler.usage_error import EXIT_OK

POLL_SECONDS = 0.5  # between looks at an empty frontier


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "worker", help="one of many nodes: take queued URLs and due site crawls from a frontier"
    )
    p.add_argument(
        "--frontier",
        required=True,
        metavar="URI",
        help="redis://HOST:PORT/DB (or sqlite:///FILE: URL work of one machine's workers)",
    )
    add_store_options(p)
    add_sites_dir_option(p)
    add_allow_private_networks_option(p)
    p.add_argument("--node-id", metavar="ID", help="this node's name (NODE_ID)")
    p.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="exit after this long with nothing to do (default: wait for work forever)",
    )
    p.add_argument("--log-level", help="log level of the crawl runs")
    add_set_option(p, "a setting for the worker and every run it starts")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.commands.schedule import _child_args as crawl_child_args
    from crawler.frontier import is_shared
    from crawler.frontier.url_work import take_url_work
    from crawler.node import node_id
    from crawler.scale.site_work import take_site_work
    from crawler.scale.worker_context import WorkerContext

    log_to_stderr()
    check_frontier(args.frontier)
    settings = plain_settings(args)
    if args.node_id:
        settings.set("NODE_ID", args.node_id, priority="cmdline")
    crawl_args = crawl_child_args(args, settings)  # the flags the local scheduler gives too
    if args.catalog:
        crawl_args += ["-s", f"CATALOG_URI={args.catalog}"]
    ctx = WorkerContext(
        args.frontier,
        node_id(settings),
        settings,
        crawl_args,
        store=args.store,
        passed_on=_passed_on(args, node_id(settings)),
    )
    sites = is_shared(args.frontier)  # site leases live in Redis only

    def stop(signum, frame) -> None:
        logging.getLogger("crawler.worker").info("signal %d: finishing the work in hand", signum)
        ctx.stopping = True
        if ctx.child is not None and ctx.child.poll() is None:
            ctx.child.send_signal(signal.SIGTERM)  # Scrapy's graceful stop

    installed = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    idle_since = time.monotonic()
    try:
        while not ctx.stopping:
            if take_url_work(ctx) or (sites and take_site_work(ctx)):
                idle_since = time.monotonic()
            elif args.idle_exit is not None and time.monotonic() - idle_since >= args.idle_exit:
                break
            else:
                time.sleep(POLL_SECONDS)
    finally:
        for sig, handler in installed.items():
            signal.signal(sig, handler)
        if ctx.site_queue is not None:
            ctx.site_queue.close()
    return EXIT_OK


def _passed_on(args: argparse.Namespace, node: str) -> list[str]:
    """The flags of the `crawler archive --frontier` runs of URL work."""
    flags = ["-s", f"NODE_ID={node}"]
    for name, value in (
        ("--s3-endpoint-url", args.s3_endpoint_url),
        ("--spool-dir", args.spool_dir),
    ):
        if value:
            flags += [name, value]
    if args.catalog:
        flags += ["-s", f"CATALOG_URI={args.catalog}"]
    if args.allow_private_networks:
        flags.append("--allow-private-networks")
    for item in args.set or []:
        flags += ["-s", item]
    return flags
