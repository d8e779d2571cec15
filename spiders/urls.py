"""`urls`: fetch exactly the URLs given, follow no links (but the sibling probe's, with
LEARN_SITE_PAGES / `crawler archive --learn-site N`).

    scrapy crawl urls -a urls="https://a.example/x https://b.example/y"
    scrapy crawl urls -a input=urls.txt        # one URL a line, '#' comments, '-' = stdin
    scrapy crawl urls -a frontier=redis://127.0.0.1:6379/0   # take URLs from a frontier

`crawler archive` runs this spider with a frontier (crawler/frontier/): URLs are taken in
batches as the crawl needs them, so memory does not grow with the input.
"""

from __future__ import annotations

import asyncio
import unicodedata
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse

from crawler.discovery.siblings import sibling_links
from crawler.discovery.url_list import read_url_list, unique
from crawler.fetch.credentials import authorization_header, split_credentials
from crawler.fetch.failures import describe_failure
from crawler.frontier.session import FrontierSession
from crawler.items import FetchFailed, captured_page
from crawler.run import archive_run_of
from crawler.sizes import read_spider_size_settings
from crawler.usage_error import spider_usage_error


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"  # C0, DEL and C1


def printable_url(url: str) -> str:
    """`url` with control characters escaped (`\\x00`), for output and reports."""
    return "".join(c.encode("unicode_escape").decode("ascii") if _is_control(c) else c for c in url)


def check_url(url: str) -> str | None:
    """Why `url` cannot be fetched, or None if it looks fetchable."""
    # Before parsing: urlsplit drops tabs and newlines, Scrapy would send NUL as %00.
    for position, char in enumerate(url):
        if _is_control(char) and not char.isspace():
            return f"malformed URL: control character {printable_url(char)} at position {position}"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"malformed URL: scheme must be http or https, got {parts.scheme or 'none'!r}"
    if not parts.hostname:
        return "malformed URL: no host name"
    if any(c.isspace() for c in url):
        return "malformed URL: contains whitespace"
    del port
    return None


class UrlsSpider(scrapy.Spider):
    name = "urls"

    def __init__(
        self,
        urls: str | list[str] = "",
        input: str | None = None,
        frontier: str | None = None,
        max_urls: int | str = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.frontier = frontier  # a frontier URI: URLs come from there, not from the list
        self.max_urls = int(max_urls)
        targets = urls.split() if isinstance(urls, str) else list(urls)
        if input:
            targets += read_url_list(input)
        # user:password@ in a URL is sent as Basic auth; the URL is known without it
        self.credentials: dict[str, tuple[str, str]] = {}
        for i, target in enumerate(targets):
            targets[i], credentials = split_credentials(target)
            if credentials:
                self.credentials.setdefault(targets[i], credentials)
        self.targets = unique(targets)
        # as `crawler archive` says: nothing to do is a mistake (a frontier brings its own)
        if not self.targets and not self.frontier:
            raise spider_usage_error(
                "no URLs given: -a urls='URL ...' or -a input=FILE (one URL a line, - = stdin)"
            )

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        read_spider_size_settings(crawler.settings)
        return spider

    async def start(self):
        if self.frontier:
            async for request_or_item in self._from_frontier():
                yield request_or_item
            return
        run = archive_run_of(self.crawler)
        for url in self.targets:
            run.expect(printable_url(url))
        for url in self.targets:
            problem = check_url(url)
            if problem:
                self.logger.error("%s: %s", printable_url(url), problem)
                yield FetchFailed(url=printable_url(url), reason=problem, stage="input")
                continue
            yield self._request(url, self.credentials.get(url))

    async def _from_frontier(self):
        """Requests for the frontier's URLs, a batch at a time, as the engine asks."""
        run = archive_run_of(self.crawler)
        session = FrontierSession(self.crawler, run, self.frontier, max_urls=self.max_urls)
        while await self._room_for_more(session) and (batch := session.next_batch()):
            for entry in batch:
                url, credentials = split_credentials(entry.url)
                key = printable_url(url)
                run.expect(key)
                session.started(key, entry)
                problem = check_url(url)
                if problem:
                    self.logger.error("%s: %s", key, problem)
                    yield FetchFailed(url=key, reason=problem, stage="input")
                    continue
                yield self._request(url, credentials)

    async def _room_for_more(self, session: FrontierSession) -> bool:
        """Wait until fewer URLs than twice the concurrency are in flight. Scrapy reads
        start() on while its downloader is full, and each URL read is leased: without
        this wait one crawl would lease (and hold in memory) the whole frontier."""
        limit = max(2 * self.crawler.settings.getint("CONCURRENT_REQUESTS"), session.batch)
        while len(session.in_flight) >= limit:
            if not self._engine_busy():  # their items went astray (dropped): leases expire
                session.in_flight.clear()
                break
            await asyncio.sleep(0.05)
        return True

    def _engine_busy(self) -> bool:
        engine = self.crawler.engine
        try:
            return bool(
                engine.downloader.active
                or not engine.scraper.slot.is_idle()
                or engine._slot.scheduler.has_pending_requests()
            )
        except AttributeError:  # another Scrapy's internals: do not wait on them
            return False

    def _request(self, url: str, credentials: tuple[str, str] | None) -> scrapy.Request:
        headers = {"Authorization": authorization_header(credentials)} if credentials else {}
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            headers=headers,
            meta={"archive_url": url},
            # The frontier (or `unique`) de-duplicated the input by canonical URL. Scrapy's
            # own filter would hold every fingerprint in memory, and drop a redirect to a
            # URL that is also in the input, leaving that input without an outcome.
            dont_filter=True,
        )

    def parse_page(self, response):
        item = captured_page(response, response.meta.get("archive_url", response.url))
        item.context_for = response.meta.get("context_for")
        probes = self._site_probe(response, item.url) if item.context_for is None else []
        return [item, *probes] if probes else item

    def _site_probe(self, response, url: str) -> list[scrapy.Request]:
        """LEARN_SITE_PAGES (--learn-site N): up to N other articles of the page's site,
        linked from it, archived as context so that the site's repeated blocks are
        learned and the page is cleaned with them (at the run's end); only for a site the
        catalog knows fewer than BOILERPLATE_REPEATS_MIN_ARTICLES articles of."""
        settings = self.crawler.settings
        limit = settings.getint("LEARN_SITE_PAGES")
        if limit <= 0 or not isinstance(response, HtmlResponse):
            return []
        known = archive_run_of(self.crawler).catalog.site_article_count(
            urlsplit(response.url).hostname or ""
        )
        if known >= settings.getint("BOILERPLATE_REPEATS_MIN_ARTICLES"):
            return []
        targets = set(self.targets)
        links = [
            u
            for u in sibling_links(
                response.url, response.css("a::attr(href)").getall(), limit + len(targets)
            )
            if u not in targets
        ][:limit]
        return [
            scrapy.Request(
                link,
                callback=self.parse_page,
                errback=self.on_error,
                meta={"archive_url": link, "context_for": url},
            )
            for link in links
        ]

    def on_error(self, failure):
        request = failure.request
        reason, status = describe_failure(failure)
        url = request.meta.get("archive_url", request.url)
        self.logger.warning("failed %s: %s", url, reason)
        if request.meta.get("context_for"):  # a probe page: not what the user asked for
            archive_run_of(self.crawler).record_skip(
                url, f"context page not archived: {reason}", kind="context"
            )
            return
        yield FetchFailed(url=url, reason=reason, http_status=status, warc=request.meta.get("warc"))
