"""The sibling probe of one-off archiving (`crawler archive URL --learn-site N`): which
other articles of the same site, linked from the page, to fetch as context so that the
site's repeated blocks (appeals, boxes, footers) can be learned from them and removed
from the requested page (`crawler.extract.repeats`, re-cleaned at the run's end).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from crawler.urls import canonical_url

MAX_SIBLINGS = 20  # however large N is: a probe, not a crawl
# Links that are not articles: files and the site's furniture.
_NOT_ARTICLES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".svg",
    ".pdf",
    ".css",
    ".js",
    ".xml",
    ".rss",
    ".zip",
    ".mp3",
    ".mp4",
    ".json",
    ".ico",
)
_FURNITURE = {
    "",
    "about",
    "contact",
    "login",
    "signin",
    "subscribe",
    "search",
    "tag",
    "tags",
    "category",
    "author",
    "feed",
    "rss",
    "privacy",
    "terms",
    "imprint",
}


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if s]


def sibling_links(page_url: str, hrefs: list[str], limit: int) -> list[str]:
    """Up to `limit` (at most MAX_SIBLINGS) links of `hrefs` that look like other articles
    of the page's host: same host, http(s), not the page, not a file or a site section
    page; those as deep as the page first (a site's articles share a URL shape), each in
    page order."""
    host = urlsplit(page_url).hostname
    own = canonical_url(page_url)
    depth = len(_segments(page_url))
    seen: set[str] = {own}
    candidates: list[str] = []
    for href in hrefs:
        url = urljoin(page_url, href.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname != host:
            continue
        segments = _segments(url)
        if (
            not segments
            or segments[-1].lower() in _FURNITURE
            or segments[0].lower() in _FURNITURE
            or parts.path.lower().endswith(_NOT_ARTICLES)
        ):
            continue
        key = canonical_url(url)
        if key not in seen:
            seen.add(key)
            candidates.append(key)
    candidates.sort(key=lambda u: len(_segments(u)) != depth)  # stable: page order kept
    return candidates[: max(0, min(limit, MAX_SIBLINGS))]
