"""URL lists given by a user (`crawler archive --input`, `scrapy crawl urls -a input=`):
one URL a line, blank lines and '#' comments skipped."""

from __future__ import annotations

import sys


def read_url_list(source: str) -> list[str]:
    """URLs from a file (or '-' for stdin): one a line, blank lines and '#' comments skipped."""
    if source == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(source, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def unique(urls: list[str]) -> list[str]:
    """`urls` without repeats, in their first order."""
    seen: set[str] = set()
    return [u for u in urls if not (u in seen or seen.add(u))]
