"""URL lists given by a user (`crawler archive --input`, `scrapy crawl urls -a input=`):
one URL a line, blank lines and '#' comments skipped."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import TextIO

# a comment: '#' at the start of a line or after a space (a URL's own '#' follows no space)
_COMMENT = re.compile(r"(?:^|[ \t])#.*$")


def read_url_list(source: str) -> list[str]:
    """URLs from a file (or '-' for stdin): one a line; blank lines, '#' comment lines and
    trailing ' # comments' skipped. Lines split at newlines only (not at the other control
    characters `str.splitlines` splits at), so that check_url sees and refuses those."""
    return list(iter_url_list(source))


def iter_url_list(source: str) -> Iterator[str]:
    """`read_url_list`, one URL at a time: a list of millions is never held in memory.
    The file is opened at once (OSError, not later), decoded as it is read."""
    fh = sys.stdin if source == "-" else open(source, encoding="utf-8-sig", newline="\n")
    return _urls_in(fh, close=source != "-")


def _urls_in(fh: TextIO, close: bool) -> Iterator[str]:
    try:
        for line in fh:
            line = _COMMENT.sub("", line.rstrip("\n")).strip(" \t\r")
            if line:
                yield line
    finally:
        if close:
            fh.close()


def unique(urls: list[str]) -> list[str]:
    """`urls` without repeats, in their first order."""
    seen: set[str] = set()
    return [u for u in urls if not (u in seen or seen.add(u))]
