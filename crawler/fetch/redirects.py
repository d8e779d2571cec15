"""Which redirects are followed: HTTP(S) only, and in a site crawl the site's domains only.

Scrapy's RedirectMiddleware and MetaRefreshMiddleware follow any http(s) target and
silently leave a redirect to `file:`, `data:`, `ftp:` or `s3:` alone, which then reads
"HTTP 302 Found". Ours (same places, 600 and 580) refuse with a reason instead:
`redirect to file: refused`, and, when the spider names `redirect_domains` (the site
spider: its site's `domains`), `redirect off site to other.example refused`, so that an
item of a site's feed redirecting to another host is not archived as the site's article.
The 3xx response itself is in the WARC already (the capture middleware, 950, sees it
first); the request's errback gets `RedirectRefused` with the reason. Where a redirect
leads on the network is the destination guard's business, hop by hop
(`crawler.fetch.destination_guard`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler.urls import normal_host, url_in_domains

FOLLOWED_SCHEMES = ("http", "https")


class RedirectRefused(IgnoreRequest):
    """A redirect that was not followed; the message is the reason."""


def redirect_refusal(url: str, domains: Iterable[str] | None = None) -> str | None:
    """Why a redirect to `url` is not followed, or None. `domains`: the hosts (and their
    subdomains) a redirect may lead to; None = any host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"redirect to a malformed URL refused: {url[:200]}"
    scheme = parts.scheme.lower()
    if scheme not in FOLLOWED_SCHEMES:
        return f"redirect to {scheme or 'a URL without scheme'}: refused"
    if domains is not None and not url_in_domains(url, domains):
        return f"redirect off site to {normal_host(host) or url[:200]} refused"
    return None


class _RedirectPolicy:
    """`_redirect` is where both of Scrapy's redirect middlewares hand over a redirect
    they are about to follow (meta refreshes only if short enough to be followed)."""

    def _redirect(self, redirected, request, reason):
        domains = getattr(self.crawler.spider, "redirect_domains", None)
        refusal = redirect_refusal(redirected.url, domains)
        if refusal:
            self.crawler.stats.inc_value("redirect/refused")
            raise RedirectRefused(refusal)
        return super()._redirect(redirected, request, reason)


class RedirectPolicyMiddleware(_RedirectPolicy, RedirectMiddleware):
    def _build_redirect_request(self, source_request, response, *, url: str, **kwargs):
        # Called once a 3xx is to be redirected; Scrapy would return the 3xx as it is for
        # another scheme (the spider then sees "HTTP 302 Found").
        refusal = redirect_refusal(url)
        if refusal:
            self.crawler.stats.inc_value("redirect/refused")
            raise RedirectRefused(refusal)
        return super()._build_redirect_request(source_request, response, url=url, **kwargs)


class MetaRefreshPolicyMiddleware(_RedirectPolicy, MetaRefreshMiddleware):
    """A page whose refresh leads to another scheme stays a page (Scrapy's behaviour);
    a refresh off the site's domains is refused like a 3xx."""
