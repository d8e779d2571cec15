"""`crawler crawl SITE|path/to/site.toml [--max-articles N] [--since 2d]`: one crawl of a
configured site, never two of the same site at once (a lock in `<store>/locks/`)."""

from __future__ import annotations

import argparse
import sys

from crawler.commands.options import (
    add_fetch_options,
    add_sites_dir_option,
    crawl_settings,
    sites_dirs,
    store_root,
)
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("crawl", help="one crawl of a configured site (name or .toml file)")
    p.add_argument("site", help="site name (settings/sites/<name>.toml) or a .toml path")
    add_sites_dir_option(p)
    p.add_argument("--max-articles", type=int, help="fetch at most this many articles")
    p.add_argument(
        "--since", help="only articles published within, e.g. 2d, 12h (overrides the site's window)"
    )
    p.add_argument(
        "--occurrence",
        metavar="TIME",
        help="the scheduled time (ISO 8601 with offset) this run belongs to: articles "
        "archived since then are not fetched again, whatever the recrawl policy "
        "(a `crawler worker` resuming an occurrence another node started)",
    )
    add_fetch_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.run.process import run_spider
    from crawler.scheduler import SiteLock
    from crawler.sites.config import find_site
    from crawler.sites.files import SiteConfigError
    from crawler.timebounds import TimeBoundError, parse_duration

    settings = crawl_settings(args, f"crawler crawl {args.site}")
    try:
        config = find_site(args.site, sites_dirs(args, settings, then_defaults=True))
    except SiteConfigError as exc:
        raise UsageError(str(exc)) from exc
    if args.since:
        try:
            parse_duration(args.since, flag="--since")
        except TimeBoundError as exc:
            raise UsageError(str(exc)) from exc
    if args.occurrence:
        _check_occurrence(args.occurrence)
    if args.max_articles is not None and args.max_articles < 1:
        raise UsageError("--max-articles must be at least 1")
    lock = SiteLock(store_root(settings) / "locks", config.name)
    if not lock.acquire():
        print(
            f"crawler crawl: site {config.name} is already being crawled (pid "
            f"{lock.holder()}); not starting a second run",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        # the site spider applies the site's politeness settings (SiteSpider.from_crawler)
        crawled = run_spider(
            settings,
            "site",
            {
                "site": config.name,
                "file": str(config.path),
                "max_articles": args.max_articles,
                "since": args.since,
                "occurrence": args.occurrence,
            },
            config=config,
            max_articles=args.max_articles,
            since=args.since,
            occurrence=args.occurrence,
        )
    finally:
        lock.release()
    if crawled is None:
        return EXIT_FAILED
    reason = crawled.report["finish_reason"]
    if reason != "finished":
        print(f"crawler crawl: the run stopped early: {reason}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if crawled.ok else EXIT_FAILED


def _check_occurrence(text: str) -> None:
    from datetime import datetime

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise UsageError(
            f"--occurrence {text!r}: give a time in ISO 8601 with its offset, "
            "e.g. 2026-01-31T03:00:00+00:00"
        )
