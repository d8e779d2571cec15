"""A fixture news *site* for site crawls, on 127.0.0.1 only: what a scheduled crawl meets.

    /                     home: links to sections, articles, a calendar; <link rel=alternate>
    /robots.txt           Disallow: /private/, Crawl-delay, Sitemap: /sitemap_index.xml
    /feed.xml             RSS 2.0 of the newest articles (declares the sitemap namespace too)
    /sitemap_index.xml    -> /sitemap-news.xml.gz (gzip file, news:publication_date)
                          -> /sitemap-archive.xml (lastmod long ago: out of any window)
    /world/, /politics/   sections, 3 articles a page, ?page=N with rel=next
    /calendar/YYYY-MM/    a spider trap: every month links to the months around it
    /private/...          an article robots.txt forbids
    /limited/...          an article that answers 429 (Retry-After: 1) the first time
    /YYYY/MM/DD/slug.html articles, dated relative to now

Every page has an ETag and Last-Modified and answers a matching conditional GET with
304, like a real CMS behind a cache. `add_article()` publishes a new article (feed,
news sitemap, section page 1 change); `requests` lists every request served.

    python -m tests.newsroom [--port N]     # from the project root
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from crawler.demo.loopback import LoopbackSite

PER_PAGE = 3
SECTIONS = ("world", "politics")
STARTED = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Article:
    path: str
    title: str
    section: str
    published: datetime
    in_sections: bool = True  # linked from section pages (old articles: sitemaps only)

    @property
    def html(self) -> bytes:
        paras = "".join(
            f"<p>{self.title}: paragraph {i}. Reporters on the {self.section} desk spoke with "
            "residents, officials and independent experts about what the decision means for "
            "the region over the coming months, and what remains uncertain.</p>"
            for i in range(6)
        )
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{self.title}</title>"
            f"<meta property='article:published_time' content='{self.published.isoformat()}'>"
            f"</head><body><nav><a href='/'>Home</a> <a href='/world/'>World</a></nav>"
            f"<article><h1>{self.title}</h1>{paras}</article></body></html>"
        ).encode()


def _article(
    published: datetime, slug: str, section: str, prefix: str = "", in_sections: bool = True
) -> Article:
    path = f"{prefix}/{published:%Y/%m/%d}/{slug}.html"
    title = slug.replace("-", " ").capitalize()
    return Article(path, title, section, published, in_sections)


def default_articles(now: datetime = STARTED) -> list[Article]:
    fresh = [
        _article(now - timedelta(hours=2 + 5 * i), f"{section}-story-{i}", section)
        for i in range(4)
        for section in SECTIONS
    ]
    return fresh + [
        _article(now - timedelta(hours=30), "embargoed-draft", "world", prefix="/private"),
        _article(now - timedelta(hours=40), "busy-newsroom", "politics", prefix="/limited"),
        # published long ago: listed in the sitemaps only, outside a 7-day window
        _article(now - timedelta(days=60), "old-news-one", "world", in_sections=False),
        _article(now - timedelta(days=90), "old-news-two", "politics", in_sections=False),
    ]


class NewsroomSite(LoopbackSite):
    handler_class = None  # set below, once _Handler exists

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        articles: list[Article] | None = None,
        crawl_delay: float | None = None,
        robots_status: int = 200,
        refuse_articles: bool = False,
    ) -> None:
        super().__init__(host, port)
        self.articles = list(articles if articles is not None else default_articles())
        self.crawl_delay = crawl_delay
        self.robots_status = robots_status
        self.refuse_articles = refuse_articles  # every article answers 429: a blocking site
        self.requests: list[tuple[str, int]] = []  # (path with query, status)
        self.request_times: list[float] = []  # time.monotonic() of each, same order
        self._limited_hits: dict[str, int] = {}
        self._lock = threading.Lock()

    def add_article(
        self, slug: str, section: str = "world", published: datetime | None = None
    ) -> Article:
        article = _article(published or datetime.now(UTC).replace(microsecond=0), slug, section)
        with self._lock:
            self.articles.append(article)
        return article

    def fetched(self, status: int | None = None) -> list[str]:
        with self._lock:
            return [p for p, s in self.requests if status is None or s == status]

    # -- content ---------------------------------------------------------------------
    def newest(self, n: int | None = None) -> list[Article]:
        ordered = sorted(self.articles, key=lambda a: a.published, reverse=True)
        return ordered[:n] if n else ordered

    def expected_in_window(self, window: timedelta, now: datetime | None = None) -> set[str]:
        """Article paths a crawl with this window must archive (robots-forbidden excluded)."""
        cutoff = (now or datetime.now(UTC)) - window
        return {
            a.path
            for a in self.articles
            if a.published >= cutoff and not a.path.startswith("/private/")
        }

    def home(self) -> bytes:
        links = "".join(f'<li><a href="{a.path}">{a.title}</a></li>' for a in self.newest(4))
        links += (
            f'<li><a href="{self.newest(1)[0].path}?sessionid=abc123">again, with a '
            "session id</a></li>"
        )
        links += "".join(
            f'<li><a href="{a.path}">{a.title}</a></li>'
            for a in self.articles
            if a.path.startswith(("/private/", "/limited/"))
        )
        month = f"{STARTED:%Y-%m}"
        return (
            "<!DOCTYPE html><html><head><title>Newsroom</title>"
            '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
            "</head><body>"
            + "".join(f'<a href="/{s}/">{s}</a> ' for s in SECTIONS)
            + f'<a href="/calendar/{month}/">calendar</a>'
            + '<a href="https://elsewhere.example/story.html">off-site</a>'
            + f"<ul>{links}</ul></body></html>"
        ).encode()

    def section(self, name: str, page: int) -> bytes | None:
        listed = [
            a
            for a in self.newest()
            if a.section == name and a.in_sections and not a.path.startswith("/private/")
        ]
        chunk = listed[(page - 1) * PER_PAGE : page * PER_PAGE]
        if page > 1 and not chunk:
            return None
        links = "".join(f'<li><a href="{a.path}">{a.title}</a></li>' for a in chunk)
        more = len(listed) > page * PER_PAGE
        nxt = f'<a rel="next" href="/{name}/?page={page + 1}">next</a>' if more else ""
        return (
            f"<html><head><title>{name} page {page}</title></head><body>"
            f"<ul>{links}</ul>{nxt}</body></html>"
        ).encode()

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>{a.title}</title><link>{self.url(a.path)}</link>"
            f"<pubDate>{format_datetime(a.published)}</pubDate></item>"
            for a in self.newest(5)
            if not a.path.startswith("/private/")
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:sitemap="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<channel><title>Newsroom</title>{items}</channel></rss>"
        ).encode()

    def sitemap_index(self) -> bytes:
        old = STARTED - timedelta(days=200)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.url('/sitemap-news.xml.gz')}</loc>"
            f"<lastmod>{self.newest(1)[0].published.isoformat()}</lastmod></sitemap>"
            f"<sitemap><loc>{self.url('/sitemap-archive.xml')}</loc>"
            f"<lastmod>{old.isoformat()}</lastmod></sitemap>"
            "</sitemapindex>"
        ).encode()

    def news_sitemap(self) -> bytes:
        urls = "".join(
            f"<url><loc>{self.url(a.path)}</loc><news:news><news:publication>"
            "<news:name>Newsroom</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{a.published.isoformat()}"
            f"</news:publication_date><news:title>{a.title}</news:title></news:news></url>"
            for a in self.newest()
            if not a.path.startswith("/private/")
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        ).encode()
        return gzip.compress(xml, mtime=0)

    def archive_sitemap(self) -> bytes:
        urls = "".join(
            f"<url><loc>{self.url(a.path)}</loc>"
            f"<lastmod>{a.published.date().isoformat()}</lastmod></url>"
            for a in self.articles
            if not a.in_sections
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>"
        ).encode()

    def robots(self) -> bytes:
        lines = ["User-agent: *", "Disallow: /private/"]
        if self.crawl_delay:
            lines.append(f"Crawl-delay: {self.crawl_delay}")
        lines.append(f"Sitemap: {self.url('/sitemap_index.xml')}")
        return ("\n".join(lines) + "\n").encode()

    def calendar(self, month: str) -> bytes:
        year, mon = (int(x) for x in month.split("-"))
        prev_m = f"{year - (mon == 1)}-{12 if mon == 1 else mon - 1:02d}"
        next_m = f"{year + (mon == 12)}-{1 if mon == 12 else mon + 1:02d}"
        return (
            f"<html><body><h1>Calendar {month}</h1>"
            f'<a href="/calendar/{prev_m}/">previous month</a> '
            f'<a href="/calendar/{next_m}/">next month</a></body></html>'
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fixture: NewsroomSite

    def log_message(self, format, *args):
        pass

    def do_GET(self) -> None:  # noqa: C901 - one branch per endpoint
        site = self.fixture
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        ctype = "text/html; charset=utf-8"
        body: bytes | None = None
        if path == "/":
            body = site.home()
        elif path == "/robots.txt":
            if site.robots_status != 200:
                return self._send(site.robots_status, b"unavailable", "text/plain")
            body, ctype = site.robots(), "text/plain"
        elif path == "/feed.xml":
            body, ctype = site.feed(), "application/rss+xml"
        elif path == "/sitemap_index.xml":
            body, ctype = site.sitemap_index(), "application/xml"
        elif path == "/sitemap-news.xml.gz":
            body, ctype = site.news_sitemap(), "application/gzip"
        elif path == "/sitemap-archive.xml":
            body, ctype = site.archive_sitemap(), "application/xml"
        elif path.strip("/") in SECTIONS:
            try:
                page = int(query.get("page", ["1"])[0])
            except ValueError:
                page = 1
            body = site.section(path.strip("/"), page)
        elif path.startswith("/calendar/"):
            try:
                body = site.calendar(path.split("/")[2])
            except (ValueError, IndexError):
                body = None
        else:
            article = next((a for a in site.articles if a.path == path), None)
            if article is not None and site.refuse_articles:
                return self._send(429, b"too many requests", "text/plain", [("Retry-After", "0")])
            if article is not None:
                if path.startswith("/limited/"):
                    with site._lock:
                        hits = site._limited_hits[path] = site._limited_hits.get(path, 0) + 1
                    if hits == 1:
                        return self._send(429, b"slow down", "text/plain", [("Retry-After", "1")])
                body = article.html
        if body is None:
            return self._send(404, b"<html><body>not found</body></html>")
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = format_datetime(STARTED, usegmt=True)
        validators = [("ETag", etag), ("Last-Modified", modified)]
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", None, validators)
        self._send(200, body, ctype, validators)

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str | None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        with self.fixture._lock:
            self.fixture.requests.append((self.path, status))
            self.fixture.request_times.append(time.monotonic())
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


NewsroomSite.handler_class = _Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    with NewsroomSite(port=args.port) as site:
        print(f"newsroom fixture site on {site.base_url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
