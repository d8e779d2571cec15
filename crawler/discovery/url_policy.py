"""Which discovered URLs a site crawl may fetch: de-duplication form and spider traps.

`canonical_url` is the form used for de-duplication and for the catalog: no fragment,
lower-case scheme and host, no default port, and session/tracking parameters removed
(`strip_params`, shell-style patterns such as `utm_*`). `trap_reason` says why a URL
looks like a spider trap: too long, or a path segment repeated over and over
(/a/b/a/b/a/b/...). Depth limits and the page budget are the spider's business.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str, strip_params: list[str] = ()) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = parts.query
    if query and strip_params:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                if not any(fnmatchcase(k.lower(), p) for p in strip_params)]
        query = urlencode(kept)
    path = parts.path or "/"
    # ;jsessionid=... path parameters are session ids too
    if ";" in path and any(fnmatchcase("jsessionid", p) for p in strip_params):
        path = path.split(";", 1)[0]
    return urlunsplit((scheme, netloc, path, query, ""))


def trap_reason(url: str, *, max_length: int, max_repeated_segments: int) -> str | None:
    if len(url) > max_length:
        return f"trap: URL longer than {max_length} characters"
    segments = [s for s in urlsplit(url).path.split("/") if s]
    counts: dict[str, int] = {}
    for segment in segments:
        counts[segment] = counts.get(segment, 0) + 1
        if counts[segment] > max_repeated_segments:
            return f"trap: path segment {segment!r} repeats more than " \
                   f"{max_repeated_segments} times"
    return None
