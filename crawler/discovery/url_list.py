"""URL lists given by a user (`crawler archive --input`, `scrapy crawl urls -a input=`):
one URL a line, blank lines and '#' comments skipped."""

from __future__ import annotations

import re
import sys

# a comment: '#' at the start of a line or after a space (a URL's own '#' follows no space)
_COMMENT = re.compile(r"(?:^|[ \t])#.*$")


def read_url_list(source: str) -> list[str]:
    """URLs from a file (or '-' for stdin): one a line; blank lines, '#' comment lines and
    trailing ' # comments' skipped. Lines split at newlines only (not at the other control
    characters `str.splitlines` splits at), so that check_url sees and refuses those."""
    if source == "-":
        text = sys.stdin.read()
    else:
        with open(source, encoding="utf-8-sig") as fh:
            text = fh.read()
    lines = (_COMMENT.sub("", line).strip(" \t\r") for line in text.split("\n"))
    return [line for line in lines if line]


def unique(urls: list[str]) -> list[str]:
    """`urls` without repeats, in their first order."""
    seen: set[str] = set()
    return [u for u in urls if not (u in seen or seen.add(u))]
