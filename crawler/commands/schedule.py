"""`crawler schedule [SITE...] [--once]`: every configured site on its cron schedule, each
run a `crawler crawl` child process (`crawler.scheduler`); with `--frontier redis://...`,
each due occurrence queued once for the `crawler worker` nodes instead
(`crawler.scale.site_schedule`). The example sites shipped inside the package (`package:`
folders of SITES_DIRS) crawl the real web: they are scheduled only when named, never just
because they are there."""

from __future__ import annotations

import argparse
import logging
import sys

from crawler.commands.options import (
    add_allow_private_networks_option,
    add_set_option,
    add_sites_dir_option,
    add_store_options,
    log_to_stderr,
    plain_settings,
    require_writable,
    sites_dirs,
    store_root,
)
from crawler.usage_error import EXIT_FAILED, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "schedule", help="run every site on its cron schedule, each run in its own process"
    )
    p.add_argument(
        "sites",
        nargs="*",
        metavar="SITE",
        help="only these sites (names); the shipped example sites are scheduled only when "
        "named here or copied into a --sites-dir folder",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="run whatever is due now, wait for it, exit (for cron/systemd timers); "
        "with --frontier: queue what is due now, exit",
    )
    p.add_argument(
        "--frontier",
        metavar="redis://HOST:PORT/DB",
        help="queue due site crawls in this Redis for `crawler worker` nodes instead of "
        "running them here; any number of schedulers may share it",
    )
    p.add_argument("--node-id", help="this node's name in the shared queue (default: host-random)")
    add_sites_dir_option(p)
    add_store_options(p)
    add_allow_private_networks_option(p)
    p.add_argument("--max-runs", type=int, help=argparse.SUPPRESS)  # tests: stop after N
    p.add_argument("--log-level", help="log level of the crawl runs")
    add_set_option(p, "a setting passed to every run")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.scheduler import Scheduler

    log_to_stderr()
    settings = plain_settings(args)
    require_writable(store_root(settings))  # every run it starts would fail
    sites = scheduled_sites(sites_dirs(args, settings, then_defaults=bool(args.sites)), args.sites)
    if args.frontier:
        return _enqueue(args, sites)
    scheduler = Scheduler(
        sites, store_root=store_root(settings), child_args=_child_args(args, settings)
    )
    for site in sites:
        logging.getLogger("crawler.scheduler").info(
            "site %s: schedule %r (%s)", site.name, site.cron, site.path
        )
    return scheduler.run(once=args.once, max_runs=args.max_runs)


def _enqueue(args: argparse.Namespace, sites: list) -> int:
    """Queue due occurrences in Redis for the workers (no crawl runs here)."""
    import redis

    from crawler.node import node_id
    from crawler.scale.site_queue import SiteQueue, check_frontier_url
    from crawler.scale.site_schedule import SiteEnqueuer

    try:
        queue = SiteQueue.from_url(check_frontier_url(args.frontier))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    try:
        return SiteEnqueuer(sites, queue, node=args.node_id or node_id()).run(once=args.once)
    except redis.ConnectionError as exc:
        print(f"crawler schedule: cannot reach {args.frontier}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        queue.close()


def scheduled_sites(dirs: list[str], named: list[str] | None = None) -> list:
    """The sites in `dirs` that have a schedule (only those `named`, when given), less the
    shipped examples that are not named; a usage error if any config is invalid."""
    from crawler.scheduler import ScheduledSite
    from crawler.sites.config import load_site_config
    from crawler.sites.files import PACKAGE_PREFIX, SiteConfigError, site_files

    sites, problems, examples, seen = [], [], [], set()
    for folder in dirs:
        for path in site_files([folder]):
            try:
                config = load_site_config(path)
            except SiteConfigError as exc:
                problems.append(str(exc))
                continue
            if not config.schedule or config.name in seen or (named and config.name not in named):
                continue
            if str(folder).startswith(PACKAGE_PREFIX) and not named:
                examples.append(config.name)
                continue
            seen.add(config.name)
            sites.append(ScheduledSite(config.name, path, config.schedule))
    if problems:
        raise UsageError(
            "invalid site config(s), fix them first (`crawler sites`):\n  " + "\n  ".join(problems)
        )
    missing = sorted(set(named or []) - seen)
    if missing:
        raise UsageError(f"no site with a schedule named {', '.join(missing)} in {', '.join(dirs)}")
    if not sites:
        note = (
            f" (the shipped examples {', '.join(examples)} are scheduled only when named: "
            f"`crawler schedule {examples[0]}`, or copied into a --sites-dir folder)"
            if examples
            else ""
        )
        raise UsageError(f"no site in {', '.join(dirs)} has a schedule{note}")
    return sites


def _child_args(args: argparse.Namespace, settings) -> list[str]:
    """The flags every `crawler crawl` child gets: the store, --allow-private-networks,
    --sites-dir, -s, --log-level."""
    child_args = ["--store", settings.get("STORE_URI")]
    for flag, name in (
        ("--s3-endpoint-url", "STORE_S3_ENDPOINT_URL"),
        ("--spool-dir", "STORE_SPOOL_DIR"),
        ("--catalog", "CATALOG_URI"),
    ):
        if settings.get(name):
            child_args += [flag, settings.get(name)]
    if args.allow_private_networks:
        child_args.append("--allow-private-networks")
    for d in args.sites_dir or []:
        child_args += ["--sites-dir", d]
    for item in args.set or []:
        child_args += ["-s", item]
    if args.log_level:  # else the child's own default, COMMAND_LOG_LEVEL
        child_args += ["--log-level", args.log_level]
    return child_args
