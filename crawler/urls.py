"""URL rules written once: the canonical form of a URL, and "a host or its subdomains".

`canonical_url` is the form used for article ids, de-duplication and the catalog. It is
w3lib's `canonicalize_url` (what Scrapy's own fingerprints use: safe percent-encoding,
sorted query, no fragment, dot segments resolved, lower-case host, IDNA) plus what w3lib
leaves to us: no default port, no password, and session/tracking parameters removed by
shell-style patterns (`utm_*`). `host_in_domains` is the site filter of site configs,
site rules and exports: `example.com` covers `www.example.com`, never `notexample.com`.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that only say where a reader came from: never part of what a page is, so
# they are dropped from article ids too, whatever the site's own `strip_params` say.
TRACKING_PARAMS = ("utm_*", "fbclid", "gclid", "mc_cid", "mc_eid")
# ...plus session ids: the default `strip_params` of a site crawl. Not used for article
# ids: `sid` or `s` name the story itself on some (PHP-Nuke style) sites.
DEFAULT_STRIP_PARAMS = (
    *TRACKING_PARAMS,
    "sessionid",
    "sid",
    "phpsessid",
    "jsessionid",
    "aspsessionid*",
    "cfid",
    "cftoken",
    "s",
)


def canonical_url(url: str, strip_params: Iterable[str] = ()) -> str:
    """The de-duplication form of `url`; `strip_params` are lower-case shell patterns of
    query keys to drop (`;jsessionid=` path parameters go too when `jsessionid` is one)."""
    strip = [p.lower() for p in strip_params]
    try:
        canon = canonicalize_url(url.strip())
    except ValueError:  # unparseable (a port that is no number...): nothing to fetch
        return url.strip().partition("#")[0]
    parts = urlsplit(canon)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = (
        host if parts.port in (None, DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{parts.port}"
    )
    if parts.username:
        netloc = f"{parts.username}@{netloc}"  # the password is a credential: dropped
    path = parts.path
    if ";" in path and any(fnmatchcase("jsessionid", p) for p in strip):
        path = path.split(";", 1)[0]
    canon = urlunsplit((parts.scheme, netloc, path, parts.query, ""))
    if parts.query and strip:
        # w3lib's cleaner compares exact keys; our patterns are wildcards, so name the
        # keys present that match one (decoded, case-folded), and let it drop those
        keys = {pair.partition("=")[0] for pair in parts.query.split("&")}
        drop = [k for k in keys if any(fnmatchcase(unquote_plus(k).lower(), p) for p in strip)]
        if drop:
            canon = url_query_cleaner(canon, drop, remove=True, unique=False)
    return canon


def normal_host(host: str | None) -> str:
    """Lower case, no trailing dot, IDNA (ASCII) form: how hosts are compared."""
    host = (host or "").strip().rstrip(".").lower()
    if host and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # not a valid IDN: compared as given
    return host


def host_in_domains(host: str | None, domains: Iterable[str]) -> bool:
    """True if `host` is one of `domains` or a subdomain of one (case, trailing dots and
    IDNA do not matter; `notexample.com` is not under `example.com`)."""
    host = normal_host(host)
    if not host:
        return False
    for domain in domains:
        domain = normal_host(domain).lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def url_in_domains(url: str, domains: Iterable[str]) -> bool:
    """`host_in_domains` for the host of `url` (port and user info do not matter)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host_in_domains(host, domains)
