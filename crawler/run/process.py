"""One crawl in this process: the Scrapy process behind `crawler archive`, `crawl` and
`demo`, callable from Python without argparse (benchmarks, tests, other tools).

Not in `crawler/commands/`: the commands parse flags and print; starting Scrapy and
finding the finished run is library work. Spiders are named, not imported (Scrapy's
spider loader finds them through SPIDER_MODULES), so nothing in `crawler/` imports
`spiders/`.
"""

from __future__ import annotations

import sys


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


def archive_urls(urls: list[str], settings):
    """Run the `urls` spider over exactly these URLs; the finished ArchiveRun or None."""
    from crawler.fetch.credentials import redact_url

    return run_spider(settings, "urls", {"urls": [redact_url(u) for u in urls]}, urls=urls)
