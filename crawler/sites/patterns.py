"""Site config patterns (`article_allow`, `article_deny`, `follow_allow`) in linear time.

They run on URLs the site controls: with Python's backtracking `re`, `(a+)+$` and one link
of thirty `a`s and a `!` hung a crawl forever. RE2 (google-re2) matches in time linear in
the URL's length, whatever the pattern; it has no lookaround and no backreferences, so a
pattern using them is refused when the site file loads, with a reason that says so.
"""

from __future__ import annotations

import re
from typing import Protocol

import re2

SYNTAX_URL = "https://github.com/google/re2/wiki/Syntax"
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error comes back in the exception; RE2 would also log it


class SitePattern(Protocol):
    pattern: str

    def search(self, text: str) -> object | None: ...


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why."""


def compile_site_pattern(text: str) -> SitePattern:
    try:
        return re2.compile(text, options=_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        reason = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
    try:
        re.compile(text)
    except re.error:
        raise PatternError(reason) from None
    raise PatternError(
        f"{reason}: Python's re accepts it, but site patterns run on RE2 (linear time: no "
        f"lookaround such as (?= or (?<!, no backreferences such as \\1; see {SYNTAX_URL})"
    )
