"""`crawler reextract [--site S] [--since DATE]`: re-derive article records from the
stored WARC records. The work is `crawler.extract.reextract`."""

from __future__ import annotations

import argparse
import sys

from crawler.commands.options import (
    add_set_option,
    add_store_options,
    plain_settings,
    setting_help,
)
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reextract", help="re-derive article records from the stored WARC records"
    )
    add_store_options(p)
    p.add_argument("--site", help="only this host (and its subdomains)")
    p.add_argument("--since", help="fetched at or after: ISO date/time or age (2d, 12h)")
    p.add_argument(
        "--workers", type=int, help=f"extraction processes {setting_help('EXTRACT_WORKERS')}"
    )
    p.add_argument(
        "--extract-timeout",
        type=float,
        help=f"seconds per document {setting_help('EXTRACT_TIMEOUT')}",
    )
    add_set_option(p, "any other setting, e.g. -s BOILERPLATE_REPEATS_MIN_SHARE=0.5")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.extract.reextract import reextract
    from crawler.sites.files import SiteConfigError
    from crawler.store.catalog import CatalogError, catalog_exists
    from crawler.store.uri import open_store
    from crawler.timebounds import TimeBoundError, parse_time_bound
    from settings import CATALOG_FILENAME

    since = None
    if args.since:
        try:  # the catalog's fetched_at text: UTC, microseconds (crawler.run's clock)
            since = parse_time_bound(args.since, flag="--since").isoformat(timespec="microseconds")
        except TimeBoundError as exc:
            raise UsageError(str(exc)) from exc
    settings = plain_settings(
        args, {"EXTRACT_WORKERS": args.workers, "EXTRACT_TIMEOUT": args.extract_timeout}
    )
    store = open_store(settings.get("STORE_URI"), settings)
    try:
        exists = catalog_exists(store)
    except CatalogError as exc:
        raise UsageError(str(exc)) from exc
    if not exists:
        raise UsageError(
            f"no catalog in {store.uri} (looked for {store.path(CATALOG_FILENAME)})"
            ": nothing has been archived there"
        )
    try:
        result = reextract(
            store,
            settings,
            site=args.site,
            since=since,
            on_failed=lambda url, error: print(f"FAILED  {url}  {error}", file=sys.stderr),
        )
    except SiteConfigError as exc:
        raise UsageError(str(exc)) from exc
    counts = result.counts
    print(
        f"reextract: {counts['captures']} captures, {counts['new_versions']} new article "
        f"versions, {counts['unchanged']} unchanged, {counts['failed']} failed; "
        f"run report runs/{result.crawl_id}.json"
    )
    if result.upload_problem:
        print(result.upload_problem)
    return EXIT_FAILED if counts["failed"] or result.upload_problem else EXIT_OK
