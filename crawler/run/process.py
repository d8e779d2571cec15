"""One crawl in this process: the Scrapy process behind `crawler archive`, `crawl` and
`demo`, callable from Python without argparse (benchmarks, tests, other tools).

Not in `crawler/commands/`: the commands parse flags and print; starting Scrapy and
finding the finished run is library work. Spiders are named, not imported (Scrapy's
spider loader finds them through SPIDER_MODULES), so nothing in `crawler/` imports
`spiders/`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

from crawler.usage_error import UsageError


def run_spider(settings, spider: str, arguments: dict, **spider_args):
    """Crawl with the spider named `spider` in this process (Scrapy's reactor: once per
    process); the finished ArchiveRun, or None (said on stderr) if the run never
    finished. `arguments` go into the run manifest; `spider_args` to the spider."""
    from scrapy.crawler import CrawlerProcess

    from crawler.run import ArchiveRun
    from crawler.store.disk import DiskFullError

    settings.set("RUN_ARGUMENTS", arguments, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    failed = []
    process.crawl(crawler, **spider_args).addErrback(failed.append)
    process.start()
    try:
        run = crawler.get_extension(ArchiveRun)
    except RuntimeError:  # the crawl failed before its extensions existed
        run = None
    if failed and failed[0].check(DiskFullError):  # no room to start: one line, no trace
        print(f"crawler: {failed[0].value.strerror}", file=sys.stderr)
        return None
    if failed:
        failed[0].printTraceback(file=sys.stderr)
    if run is None or run.report is None:
        print("error: the run did not finish; see the log above", file=sys.stderr)
        return None
    if run.disk.message:  # the one line a full disk gets (crawler.run.disk_stop)
        print(f"crawler: {run.disk.message}", file=sys.stderr)
    return run


def archive_urls(urls: Iterable[str], settings, *, refetch: bool = False, arguments=None):
    """Run the `urls` spider over these URLs (read lazily: an iterator of millions is
    fine) through a frontier file of the run's own in the store's `tmp/`; the finished
    ArchiveRun, or None. URLs the store has archived are skipped (counted as
    `already_archived`) unless `refetch`. Raises UsageError if `urls` is empty."""
    from crawler.fetch.credentials import redact_url
    from crawler.frontier.local import LocalFrontier, job_frontier
    from crawler.store.uri import open_store

    if arguments is None:
        urls = list(urls)
        arguments = {"urls": [redact_url(u) for u in urls]}
    urls = iter(urls)
    first = next(urls, None)
    if first is None:  # said before anything is created
        raise UsageError("no URLs given: pass URLs as arguments or --input FILE ('-' = stdin)")
    root = Path(open_store(settings.get("STORE_URI"), settings).root)
    with job_frontier(root / "tmp") as path:
        frontier = LocalFrontier(path, settings.getfloat("FRONTIER_LEASE_SECONDS"))
        try:
            frontier.add(chain([first], urls), refetch=refetch)
        finally:
            frontier.close()
        return run_spider(settings, "urls", arguments, frontier=f"sqlite:///{path}")


def archive_from_frontier(uri: str, settings, *, max_urls: int = 0):
    """Run the `urls` spider over what the shared frontier `uri` holds, until it is
    empty or `max_urls` were taken (0 = no limit); the finished ArchiveRun, or None."""
    from crawler.fetch.credentials import redact_url

    return run_spider(
        settings, "urls", {"frontier": redact_url(uri)}, frontier=uri, max_urls=max_urls
    )
