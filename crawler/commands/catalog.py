"""`crawler catalog rebuild --store STORE [--catalog URI]`: make a catalog again from what
the store holds (manifests, WARC files, article shards), e.g. on a second machine reading
an s3:// archive, or after a spool was lost. The work is `crawler.run.rebuild`."""

from __future__ import annotations

import argparse
import sys

from crawler.commands.options import add_set_option, add_store_options, plain_settings
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("catalog", help="catalog maintenance: rebuild from the store")
    actions = p.add_subparsers(dest="action", required=True)
    rebuild = actions.add_parser(
        "rebuild",
        help="rebuild the catalog (SQLite or PostgreSQL) from the store alone; the "
        "catalog must not exist yet",
    )
    add_store_options(rebuild)
    add_set_option(rebuild, "any other setting, e.g. -s STORE_S3_REGION=eu-west-1")
    rebuild.set_defaults(run=run_rebuild)


def run_rebuild(args: argparse.Namespace) -> int:
    from crawler.run.rebuild import rebuild_catalog
    from crawler.store.catalog import CatalogError, catalog_exists, open_catalog
    from crawler.store.uri import open_store

    settings = plain_settings(args)
    store = open_store(settings.get("STORE_URI"), settings)
    where = store.catalog_uri or store.uri
    try:
        if catalog_exists(store):
            raise UsageError(
                f"the catalog of {where} exists already: a rebuild fills a new one. Move it "
                "away (or give --catalog a new database) and run again"
            )
        catalog = open_catalog(store)
    except CatalogError as exc:
        raise UsageError(str(exc)) from exc
    try:
        done = rebuild_catalog(store, catalog)
    finally:
        catalog.close()
    for problem in done.problems:
        print(f"UNREADABLE  {problem}", file=sys.stderr)
    print(
        f"catalog rebuilt from {store.uri}: {done.runs} runs, {done.files} files, "
        f"{done.captures} captures, {done.articles} articles, {done.failures} failures, "
        f"{done.site_health} site health rows"
        + (f"; {len(done.problems)} files could not be read" if done.problems else "")
    )
    return EXIT_FAILED if done.problems else EXIT_OK
