"""The site-crawl commands of `crawler`: `sites`, `crawl`, `schedule`.

    crawler sites [--sites-dir DIR]                   # list and validate site configs
    crawler crawl SITE|path/to/site.toml [--max-articles N] [--since 2d]
    crawler schedule [--once]                         # every site on its cron schedule
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def _sites_dirs(args, settings) -> list[str]:
    return list(args.sites_dir or []) + [d for d in settings.getlist("SITES_DIRS")
                                         if d not in (args.sites_dir or [])]


def _store_root(settings) -> Path:
    from crawler.store.uri import open_store

    # For an s3:// store: its local spool (locks are per machine).
    return Path(open_store(settings.get("STORE_URI"), settings).root)


# -- sites --------------------------------------------------------------------------------

def cmd_sites(args: argparse.Namespace) -> int:
    from crawler.cli import _plain_settings
    from crawler.sites.config import DISCOVER, load_site_config
    from crawler.sites.files import SiteConfigError, site_files

    settings = _plain_settings(args)
    dirs = _sites_dirs(args, settings)
    files = site_files(dirs)
    if not files:
        print(f"no site configs (*.toml) in {', '.join(dirs)}")
        return EXIT_OK
    bad = 0
    for path in files:
        try:
            config = load_site_config(path)
        except SiteConfigError as exc:
            bad += 1
            print(f"INVALID  {exc}")
            continue
        feeds = "discover" if config.feeds == DISCOVER else f"{len(config.feeds)} feed(s)"
        maps = "discover" if config.sitemaps == DISCOVER else f"{len(config.sitemaps)} sitemap(s)"
        print(f"ok       {config.name:<20} {', '.join(config.domains):<30} "
              f"schedule {config.schedule or '-':<16} feeds {feeds}, sitemaps {maps}, "
              f"{len(config.sections)} section(s)  ({path})")
    print(f"{len(files) - bad} valid, {bad} invalid site config(s) in {', '.join(dirs)}")
    return EXIT_FAILED if bad else EXIT_OK


# -- crawl --------------------------------------------------------------------------------

def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.cli import _scrapy_settings, run_spider
    from crawler.scheduler import SiteLock
    from crawler.sites.config import find_site
    from crawler.sites.files import SiteConfigError
    from crawler.timebounds import TimeBoundError, parse_duration
    from spiders.site import SiteSpider, apply_site_settings

    settings = _scrapy_settings(args, f"crawler crawl {args.site}")
    try:
        config = find_site(args.site, _sites_dirs(args, settings))
    except SiteConfigError as exc:
        raise UsageError(str(exc)) from exc
    if args.since:
        try:
            parse_duration(args.since, flag="--since")
        except TimeBoundError as exc:
            raise UsageError(str(exc)) from exc
    if args.max_articles is not None and args.max_articles < 1:
        raise UsageError("--max-articles must be at least 1")
    lock = SiteLock(_store_root(settings) / "locks", config.name)
    if not lock.acquire():
        print(f"crawler crawl: site {config.name} is already being crawled (pid "
              f"{lock.holder()}); not starting a second run", file=sys.stderr)
        return EXIT_FAILED
    try:
        apply_site_settings(settings, config)
        run = run_spider(settings, SiteSpider,
                         {"site": config.name, "file": str(config.path),
                          "max_articles": args.max_articles, "since": args.since},
                         config=config, max_articles=args.max_articles, since=args.since)
    finally:
        lock.release()
    if run is None:
        return EXIT_FAILED
    reason = run.report["finish_reason"]
    if reason != "finished":
        print(f"crawler crawl: the run stopped early: {reason}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if run.ok else EXIT_FAILED


# -- schedule -----------------------------------------------------------------------------

def cmd_schedule(args: argparse.Namespace) -> int:
    from crawler.cli import _plain_settings
    from crawler.scheduler import ScheduledSite, Scheduler
    from crawler.sites.config import load_site_config
    from crawler.sites.files import SiteConfigError, site_files

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    settings = _plain_settings(args)
    dirs = _sites_dirs(args, settings)
    sites, problems = [], []
    for path in site_files(dirs):
        try:
            config = load_site_config(path)
        except SiteConfigError as exc:
            problems.append(str(exc))
            continue
        if config.schedule:
            sites.append(ScheduledSite(config.name, path, config.schedule))
    if problems:
        raise UsageError("invalid site config(s), fix them first (`crawler sites`):\n  "
                         + "\n  ".join(problems))
    if not sites:
        raise UsageError(f"no site in {', '.join(dirs)} has a schedule")
    child_args = ["--store", settings.get("STORE_URI")]
    for flag, name in (("--s3-endpoint-url", "STORE_S3_ENDPOINT_URL"),
                       ("--spool-dir", "STORE_SPOOL_DIR")):
        if settings.get(name):
            child_args += [flag, settings.get(name)]
    for d in args.sites_dir or []:
        child_args += ["--sites-dir", d]
    for item in args.set or []:
        child_args += ["-s", item]
    if args.log_level:
        child_args += ["--log-level", args.log_level]
    scheduler = Scheduler(sites, store_root=_store_root(settings), child_args=child_args)
    for site in sites:
        logging.getLogger("crawler.scheduler").info("site %s: schedule %r (%s)", site.name,
                                                    site.cron, site.path)
    return scheduler.run(once=args.once, max_runs=args.max_runs)


def add_parsers(sub, add_fetch_options) -> None:
    p = sub.add_parser("sites", help="list the configured sites and validate their files")
    p.add_argument("--sites-dir", action="append", help="another folder of site configs")
    p.add_argument("--store", default=None, help=argparse.SUPPRESS)
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a setting")
    p.set_defaults(func=cmd_sites, workers=None, extract_timeout=None)

    p = sub.add_parser("crawl", help="one crawl of a configured site (name or .toml file)")
    p.add_argument("site", help="site name (settings/sites/<name>.toml) or a .toml path")
    p.add_argument("--sites-dir", action="append", help="another folder of site configs")
    p.add_argument("--max-articles", type=int, help="fetch at most this many articles")
    p.add_argument("--since", help="only articles published within, e.g. 2d, 12h "
                                   "(overrides the site's window)")
    add_fetch_options(p)
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("schedule", help="run every site on its cron schedule, each run in "
                                        "its own process")
    p.add_argument("--once", action="store_true",
                   help="run whatever is due now, wait for it, exit (for cron/systemd timers)")
    p.add_argument("--sites-dir", action="append", help="another folder of site configs")
    from crawler.cli import add_store_options

    add_store_options(p)
    p.add_argument("--max-runs", type=int, help=argparse.SUPPRESS)  # tests: stop after N
    p.add_argument("--log-level", default="WARNING", help="log level of the crawl runs")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="a setting passed to every run")
    p.set_defaults(func=cmd_schedule, workers=None, extract_timeout=None)
