"""Which discovered URLs a site crawl may fetch: spider traps.

`trap_reason` says why a URL looks like a spider trap: too long, or a path segment
repeated over and over (/a/b/a/b/a/b/...). Depth limits and the page budget are the
spider's business; the de-duplication form of a URL is `crawler.urls.canonical_url`.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def trap_reason(url: str, *, max_length: int, max_repeated_segments: int) -> str | None:
    if len(url) > max_length:
        return f"trap: URL longer than {max_length} characters"
    segments = [s for s in urlsplit(url).path.split("/") if s]
    counts: dict[str, int] = {}
    for segment in segments:
        counts[segment] = counts.get(segment, 0) + 1
        if counts[segment] > max_repeated_segments:
            return f"trap: path segment {segment!r} repeats more than {max_repeated_segments} times"
    return None
