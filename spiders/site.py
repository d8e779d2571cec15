"""`site`: one crawl of a configured news site (settings/sites/<site>.toml).

    scrapy crawl site -a site=globalresearch
    scrapy crawl site -a site=path/to/mysite.toml -a max_articles=200 -a since=2d

`crawler crawl` runs this spider too. Discovery: the site's feeds (RSS, Atom, JSON Feed;
or found through `<link rel=alternate>` on the home page), its sitemaps (or the
`Sitemap:` lines of robots.txt and the usual paths), and links on the home and section
pages that match the article patterns, up to the depth limit. Hub pages (home,
sections, feeds, sitemaps) are refetched every run with `If-None-Match` /
`If-Modified-Since`; a 304 is archived as a revisit record and the hub's links are read
from the archived copy. Articles the catalog already holds are not fetched again
unless the recrawl policy says so; an unchanged refetch is a revisit record.
Everything discovered and not archived lands in the run report with its reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse

from crawler.capture.warc_reader import parse_record_member
from crawler.discovery.feeds import Entry, parse_feed
from crawler.discovery.safe_xml import XmlTooLarge
from crawler.discovery.sitemaps import USUAL_PATHS, parse_sitemap, robots_sitemaps
from crawler.discovery.url_policy import trap_reason
from crawler.fetch.credentials import split_credentials
from crawler.fetch.failures import describe_failure
from crawler.fetch.redirects import RedirectRefused
from crawler.items import FetchFailed, captured_page
from crawler.run import archive_run_of
from crawler.sites.config import DISCOVER, SiteConfig, find_site
from crawler.sites.files import SiteConfigError
from crawler.sizes import read_spider_size_settings
from crawler.timebounds import parse_duration
from crawler.urls import canonical_url
from crawler.usage_error import spider_usage_error

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)


def apply_site_settings(settings, config: SiteConfig) -> None:
    """The site's politeness section, as Scrapy settings (priority 'spider')."""
    settings.set("DOWNLOAD_DELAY", config.download_delay, priority="spider")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", config.concurrency, priority="spider")
    settings.set("AUTOTHROTTLE_ENABLED", config.autothrottle, priority="spider")
    settings.set("AUTOTHROTTLE_START_DELAY", max(config.download_delay, 0.1), priority="spider")
    settings.set("ROBOTSTXT_OBEY", config.obey_robots, priority="spider")
    settings.set("POLITENESS_MAX_REFUSALS", config.max_refusals, priority="spider")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(
        self,
        site: str = "",
        sites_dir: str | None = None,
        max_articles: str | int | None = None,
        since: str | None = None,
        config: SiteConfig | None = None,
        occurrence: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.site_arg, self.sites_dir = site, sites_dir
        self.config = config
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self.since = parse_duration(since) if isinstance(since, str) and since else None
        # The scheduled occurrence this run belongs to: articles archived since then (by an
        # earlier attempt that a dead node or a stop cut short) are not fetched again.
        self.occurrence = datetime.fromisoformat(occurrence) if occurrence else None
        if self.occurrence is not None and self.occurrence.tzinfo is None:
            self.occurrence = self.occurrence.replace(tzinfo=UTC)  # `-a occurrence=` given naive

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        read_spider_size_settings(crawler.settings)
        if spider.config is None:
            if not spider.site_arg:
                raise spider_usage_error("the site spider needs -a site=NAME or path/to/site.toml")
            dirs = ([spider.sites_dir] if spider.sites_dir else []) + crawler.settings.getlist(
                "SITES_DIRS"
            )
            try:
                spider.config = find_site(spider.site_arg, dirs)
            except SiteConfigError as exc:
                raise spider_usage_error(str(exc)) from None
        if not crawler.settings.frozen:
            apply_site_settings(crawler.settings, spider.config)
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        return spider

    @property
    def redirect_domains(self) -> list[str]:
        """Redirects are followed only within the site (crawler.fetch.redirects)."""
        return self.config.domains

    # -- start -----------------------------------------------------------------------

    async def start(self):
        config = self.config
        self.run = archive_run_of(self.crawler)
        self.catalog = self.run.catalog
        self.now = datetime.now(UTC)
        window = self.since or config.window
        self.cutoff = self.now - window if window else None
        self.known = self.catalog.archived_articles()
        self.seen: set[str] = set()
        self.pages = 0  # page budget: every request this spider makes
        self.articles_requested = 0
        self.pending_articles: set[str] = set()
        self.sitemaps_discovered = config.sitemaps != DISCOVER
        self.counts = self.run.counts
        for key in (
            "discovered",
            "already_archived",
            "refetched",
            "unchanged",
            "hub_pages",
            "feeds",
            "sitemaps",
        ):
            self.counts.setdefault(key, 0)
        self.logger.info("site %s: %s", config.name, config.path)
        for url in config.start_urls + config.sections:
            request = self._hub_request(url, depth=0)
            if request:
                yield request
        if config.feeds != DISCOVER:
            for url in config.feeds:
                request = self._hub_request(url, kind="feed")
                if request:
                    yield request
        if config.sitemaps != DISCOVER:
            for url in config.sitemaps:
                request = self._hub_request(url, kind="sitemap")
                if request:
                    yield request
        elif not self.crawler.settings.getbool("ROBOTSTXT_OBEY"):
            # Not obeying robots: nobody fetches robots.txt for us; its Sitemap: lines are
            # still the site's own list of sitemaps.
            home = config.start_urls[0]
            robots = urljoin(home, "/robots.txt")
            yield scrapy.Request(
                robots,
                callback=self.parse_robots,
                errback=self._usual_sitemaps_on_error,
                meta={"kind": "robots", "handle_httpstatus_all": True},
                dont_filter=True,
            )

    # -- budget, de-duplication, traps -----------------------------------------------

    def _canonical(self, url: str) -> str:
        """The site's canonical form of `url`, without userinfo: a `user:password@` in a
        link or a config URL is neither sent nor written down (a site crawl sends no
        credentials; `crawler archive` sends those of the URLs given to it)."""
        return canonical_url(split_credentials(url)[0], self.config.strip_params)

    def _admit(self, url: str, kind: str) -> str | None:
        """The canonical URL if this URL may be requested now, else None (skip noted)."""
        config = self.config
        canon = self._canonical(url)
        if canon in self.seen:
            return None
        self.seen.add(canon)
        if urlsplit(canon).scheme not in ("http", "https") or not config.on_site(canon):
            # off-site links are never followed, nor worth a report line; an article URL
            # counted as discovered is, so that the summary's parts add up
            if kind == "article":
                self.run.record_skip(canon, "off-site: not in the site's domains", kind)
            return None
        trap = trap_reason(
            canon,
            max_length=config.max_url_length,
            max_repeated_segments=config.max_repeated_segments,
        )
        if trap:
            self.run.record_skip(canon, trap, kind)
            return None
        if self.pages >= config.max_pages:
            self.run.record_skip(canon, f"budget: page budget of {config.max_pages} spent", kind)
            return None
        return canon

    @staticmethod
    def _refetch(capture: dict | None) -> tuple[dict, dict]:
        """Headers and meta for refetching a URL whose last full capture (a captures row)
        is `capture`: its validators, and what a revisit record would refer to."""
        if capture is None:
            return {}, {}
        headers = {}
        if capture.get("etag"):
            headers["If-None-Match"] = capture["etag"]
        if capture.get("last_modified"):
            headers["If-Modified-Since"] = capture["last_modified"]
        previous = {k: capture[k] for k in ("record_id", "url", "fetched_at", "payload_digest")}
        return headers, {"previous_capture": previous, "handle_httpstatus_list": [304]}

    def _hub_request(self, url: str, *, kind: str = "hub", depth: int = 0):
        canon = self._admit(url, kind)
        if canon is None:
            return None
        self.pages += 1
        headers, meta = self._refetch(self.catalog.last_full_capture(canon))
        callback = {"hub": self.parse_hub, "feed": self.parse_feed, "sitemap": self.parse_sitemap}[
            kind
        ]
        return scrapy.Request(
            canon,
            callback=callback,
            errback=self.on_hub_error,
            headers=headers,
            dont_filter=True,
            meta={**meta, "kind": kind, "depth": depth},
        )

    def _article_request(
        self, url: str, *, published: datetime | None = None, source: str = "link"
    ):
        config = self.config
        canon = self._canonical(url)
        if canon in self.seen:
            return None
        if not config.is_article(canon):
            if source != "link":  # a feed/sitemap entry that is not an article URL
                self.seen.add(canon)
                # kind "entry": not an article, so not among the discovered articles' skips
                self.run.record_skip(canon, "pattern: not an article URL for this site", "entry")
            return None
        self.counts["discovered"] += 1
        if published and self.cutoff and published < self.cutoff:
            self.seen.add(canon)
            self.run.record_skip(
                canon,
                f"out of window: published {published.isoformat()}, "
                f"before {self.cutoff.isoformat(timespec='seconds')}",
            )
            return None
        known = self.known.get(canon)
        if known and not self._recrawl_due(known):
            self.seen.add(canon)
            self.counts["already_archived"] += 1
            return None
        if self.max_articles is not None and self.articles_requested >= self.max_articles:
            self.seen.add(canon)
            self.run.record_skip(canon, f"budget: --max-articles {self.max_articles} reached")
            return None
        canon = self._admit(canon, "article")
        if canon is None:
            return None
        self.pages += 1
        self.articles_requested += 1
        self.pending_articles.add(canon)
        headers, meta = self._refetch(known["capture"] if known else None)
        if meta:
            self.counts["refetched"] += 1
        self.run.expect(canon)
        return scrapy.Request(
            canon,
            callback=self.parse_article,
            errback=self.on_article_error,
            headers=headers,
            dont_filter=True,
            meta={**meta, "kind": "article", "archive_url": canon},
        )

    def _recrawl_due(self, known: dict) -> bool:
        policy = self.config.recrawl_policy
        if policy == "never":
            return False
        fetched = datetime.fromisoformat(known["fetched_at"])
        if fetched.tzinfo is None:
            fetched = fetched.replace(tzinfo=UTC)
        if self.occurrence is not None and fetched >= self.occurrence:
            return False  # archived in this occurrence already
        if policy == "always":
            return True
        if policy == "after":
            return fetched < self.now - self.config.recrawl_after
        return False

    # -- hubs ------------------------------------------------------------------------

    def _body_of(self, response) -> tuple[bytes, object]:
        """The hub's body: this response's, or for a 304 the archived copy's."""
        if response.status != 304:
            return response.body, response
        previous = response.meta.get("previous_capture")
        last = self.catalog.last_full_capture(response.url) if previous else None
        if last is None:
            return b"", response
        # From the spool/local copy, or a ranged GET once an S3 store dropped it.
        record = parse_record_member(
            self.run.store.read_range(last["warc_file"], last["warc_offset"], last["warc_length"])
        )
        body = record.content_stream().read(self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        ctype = record.http_headers.get_header("Content-Type") or "text/html"
        rebuilt = (
            HtmlResponse(
                response.url, body=body, headers={"Content-Type": ctype}, request=response.request
            )
            if "html" in ctype.lower()
            else None
        )
        return body, rebuilt

    def parse_hub(self, response):
        self.counts["hub_pages"] += 1
        body, page = self._body_of(response)
        if not isinstance(page, HtmlResponse):
            # A section URL that serves a feed or sitemap still yields its links.
            yield from self._parse_xml_hub(response, body)
            return
        depth = response.meta.get("depth", 0)
        config = self.config
        if depth == 0 and config.feeds == DISCOVER:
            for href in page.css('link[rel~="alternate"]'):
                ctype = (href.attrib.get("type") or "").lower()
                if any(t in ctype for t in FEED_TYPES) and href.attrib.get("href"):
                    request = self._hub_request(page.urljoin(href.attrib["href"]), kind="feed")
                    if request:
                        yield request
        next_pages = {
            page.urljoin(h)
            for h in page.css('a[rel~="next"]::attr(href), link[rel~="next"]::attr(href)').getall()
        }
        for href in page.css("a::attr(href)").getall():
            url = page.urljoin(href.strip())
            canon = self._canonical(url)
            if config.is_article(canon):
                request = self._article_request(canon, source="link")
            elif url in next_pages or config.is_followable_hub(url):
                if depth + 1 > config.max_depth:
                    if canon not in self.seen and config.on_site(canon):
                        self.seen.add(canon)
                        self.run.record_skip(
                            canon, f"depth: beyond max_depth {config.max_depth}", "hub"
                        )
                    continue
                request = self._hub_request(url, depth=depth + 1)
            else:
                continue
            if request:
                yield request

    def _parse_xml_hub(self, response, body: bytes):
        """Links of a feed or sitemap, whichever the body turns out to be (sites point
        `feeds` at sitemaps and section URLs at feeds)."""
        kind = response.meta.get("kind", "hub")
        try:
            entries = parse_feed(body, response.url)
            sitemap = parse_sitemap(body, response.url) if entries is None else None
        except XmlTooLarge as exc:
            self.run.record_skip(response.url, f"error: {exc}", kind)
            return
        if entries is not None:
            yield from self._entries(entries)
        elif sitemap is not None:
            yield from self._sitemap_content(sitemap)
        elif not response.meta.get("usual_path"):  # a guessed /sitemap.xml may be anything
            self.run.record_skip(response.url, "error: neither a feed nor a sitemap", kind)

    def parse_feed(self, response):
        self.counts["feeds"] += 1
        yield from self._parse_xml_hub(response, self._body_of(response)[0])

    def parse_sitemap(self, response):
        self.counts["sitemaps"] += 1
        yield from self._parse_xml_hub(response, self._body_of(response)[0])

    def _sitemap_content(self, sitemap):
        for child in sitemap.children:
            if child.published and self.cutoff and child.published < self.cutoff:
                self.run.record_skip(
                    child.url,
                    f"out of window: sitemap last modified {child.published.isoformat()}",
                    "sitemap",
                )
                continue
            request = self._hub_request(child.url, kind="sitemap")
            if request:
                yield request
        yield from self._entries(sitemap.entries)

    def _entries(self, entries: list[Entry]):
        for entry in entries:
            request = self._article_request(
                entry.url, published=entry.published, source=entry.source
            )
            if request:
                yield request

    # -- sitemap discovery through robots.txt ------------------------------------------

    def _robots_parsed(self, robotparser, request, response=None):
        if self.sitemaps_discovered or not self.config.on_site(request.url):
            return
        self.sitemaps_discovered = True
        body = response.body if response is not None and response.status < 400 else b""
        self._schedule(self._sitemap_requests(robots_sitemaps(body)))

    def parse_robots(self, response):
        self.sitemaps_discovered = True
        body = response.body if response.status < 400 else b""
        yield from self._sitemap_requests(robots_sitemaps(body))

    def _usual_sitemaps_on_error(self, failure):
        self.sitemaps_discovered = True
        yield from self._sitemap_requests([])

    def _sitemap_requests(self, listed: list[str]):
        home = self.config.start_urls[0]
        guessed = not listed
        for url in listed or [urljoin(home, p) for p in USUAL_PATHS]:
            request = self._hub_request(url, kind="sitemap")
            if request:
                if guessed:
                    request.meta["usual_path"] = True
                    request.meta["handle_httpstatus_list"] = [304, 404, 410, 403]
                yield request

    def _schedule(self, requests) -> None:
        for request in requests:
            self.crawler.engine.crawl(request)

    # -- articles --------------------------------------------------------------------

    def parse_article(self, response):
        url = response.meta["archive_url"]
        self.pending_articles.discard(url)
        if response.status == 304 or response.meta.get("revisit"):
            self.counts["unchanged"] += 1
            page = captured_page(response, url)
            page.body = b""  # nothing to extract: the earlier capture has the article
            page.unchanged = True
            page.note = "unchanged since the last capture (revisit record)"
            return page
        return captured_page(response, url)

    def on_article_error(self, failure):
        request = failure.request
        url = request.meta.get("archive_url", request.url)
        self.pending_articles.discard(url)
        reason, status = describe_failure(failure)
        if reason.startswith("robots:") or failure.check(RedirectRefused):
            self.run.record_skip(url, reason)
            return None
        if status in (403, 429, 503):
            reason = f"blocked: {reason}"
        self.logger.warning("failed %s: %s", url, reason)
        return FetchFailed(
            url=url, reason=reason, http_status=status, warc=request.meta.get("warc")
        )

    def on_hub_error(self, failure):
        request = failure.request
        kind = request.meta.get("kind", "hub")
        reason, _ = describe_failure(failure)
        if request.meta.get("usual_path"):
            return  # guessed sitemap locations may well not exist
        if not reason.startswith("robots:") and not failure.check(RedirectRefused):
            self.counts["discovery_errors"] = self.counts.get("discovery_errors", 0) + 1
            reason = f"error: {reason}"
            self.logger.warning("%s %s: %s", kind, request.url, reason)
        self.run.record_skip(request.url, reason, kind)

    def closed(self, reason):
        # Discovered articles still queued when the run stops (blocked, budget, SIGTERM).
        run = getattr(self, "run", None)
        if run is None:
            return
        for url in sorted(self.pending_articles):
            run.record_skip(url, f"not fetched: run ended ({reason})")
        if not self.counts.get("hub_pages") and not run.outcomes:
            # not one page of the site could be fetched (robots.txt too large or
            # unreachable, every start URL failing): a failed run, with the first reason
            why = next((s["reason"] for s in run.skipped if s["kind"] != "article"), reason)
            run.problems.append(f"site {self.config.name} could not be crawled at all: {why}")
