"""`crawler demo`: serve a built-in news site on loopback and archive it."""

from __future__ import annotations

import argparse

from crawler.commands.options import add_fetch_options, crawl_settings
from crawler.usage_error import EXIT_FAILED, EXIT_OK
from settings import CATALOG_FILENAME

# the fixture site's fault endpoints the demo archives besides its articles
FAULT_PATHS = ["/gzip/article.html", "/chunked/article.html", "/redirect/2", "/non-html/report.pdf"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("demo", help="serve a built-in news site on loopback and archive it")
    add_fetch_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.demo.site import FixtureSite
    from crawler.run.process import archive_urls

    settings = crawl_settings(args, "crawler demo")
    # the demo's site is on loopback, which the destination guard refuses by default
    settings.set("ALLOW_PRIVATE_NETWORKS", True, priority="cmdline")
    store = settings.get("STORE_URI")
    with FixtureSite() as site:
        urls = [site.url(p) for p in site.article_paths() + FAULT_PATHS]
        print(f"demo: a fixture news site is serving on {site.base_url} (loopback only)")
        print(f"demo: archiving {len(urls)} URLs into {store}\n", flush=True)
        archived = archive_urls(urls, settings)
    print(f"""
Look at what was stored:
  ls -R {store}/warc {store}/articles {store}/runs
  warcio check -v {store}/warc/*/*/*/*.warc.gz
  zcat {store}/articles/*/*/*/*.jsonl.gz | head -c 1500
  sqlite3 {store}/{CATALOG_FILENAME} 'select status, url, warc_file, warc_offset from captures'""")
    return EXIT_OK if archived is not None and archived.ok else EXIT_FAILED
