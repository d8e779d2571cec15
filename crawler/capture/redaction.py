"""Credentials kept out of WARC request records (WARC_REDACT_HEADERS).

A request record normally holds the request as sent, `Authorization` and `Cookie` included:
WARC convention, and some sites replay faithfully only with them. But archives get shared
(WACZ, S3 buckets), and a session cookie or a password in them is a leak. So the values of
the headers named in WARC_REDACT_HEADERS (default: Authorization, Proxy-Authorization,
Cookie) are replaced by REDACTED, and the record says which headers were cut in a
`WARC-Redacted-Headers` field (no WARC or webrecorder convention names this; pywb's recorder
drops such headers without a trace, which hides that the request was authenticated).
`-s WARC_REDACT_HEADERS=` keeps them verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable

from crawler.capture.exchange import HttpExchange

DEFAULT_REDACT_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
REDACTED = "[redacted]"
REDACTED_NOTE = "WARC-Redacted-Headers"


def redact_header_names(settings) -> frozenset[str]:
    """WARC_REDACT_HEADERS as lower-case names; an empty value (or list) redacts nothing."""
    value = settings.get("WARC_REDACT_HEADERS", DEFAULT_REDACT_HEADERS)
    names = value.split(",") if isinstance(value, str) else value
    return frozenset(name.strip().lower() for name in names if name.strip())


def redact_request_headers(exchange: HttpExchange, names: Iterable[str]) -> None:
    """Replace the values of request headers in `names` (lower case) by REDACTED, in place,
    and note their names (as sent, once each) for the request record."""
    names = frozenset(names)
    redacted: list[str] = []
    headers = []
    for name, value in exchange.request_headers:
        if name.lower() in names:
            value = REDACTED
            if name not in redacted:
                redacted.append(name)
        headers.append((name, value))
    if redacted:
        exchange.request_headers = headers
        exchange.request_warc_headers[REDACTED_NOTE] = ", ".join(redacted)
