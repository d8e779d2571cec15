"""Response headers: bounded, and a header too large said as such.

Twisted's HTTP client parser (`twisted.web._newclient.HTTPParser`, a LineReceiver) drops
the connection when one status or header line exceeds its MAX_LENGTH (16 KiB), and the
request then fails with "Connection was closed cleanly", which reads as the server's doing;
and it takes any number of shorter header lines, so a server that streams them fills the
memory until the download timeout. Here the parser raises `HeaderTooLarge` for either.
Twisted's client protocol turns any exception of its parser into the request's failure
(HTTP11ClientProtocol.dataReceived -> _giveUp), and crawler.fetch.failures names it."""

from __future__ import annotations

from twisted.web import _newclient

# All header lines of one response together; Chromium refuses more than 256 KiB too
# (net::ERR_RESPONSE_HEADERS_TOO_BIG).
MAX_HEADER_BYTES = 256 * 1024


class HeaderTooLarge(_newclient.ParseError):
    """A response whose status or header lines are longer than the parser takes."""


def _line_too_long(self, line: bytes) -> None:
    raise HeaderTooLarge(
        f"response header too large: a header line of more than {self.MAX_LENGTH:,} bytes "
        "(refused; the response is not archived)",
        line[:200],
    )


def _counting(line_received):
    """`line_received` (a parser class's own lineReceived, which only sees the status and
    header lines: the body is raw data) behind a count of the header bytes."""

    def counted(self, line: bytes) -> None:
        if getattr(self, "_crawler_in_line", False):  # a subclass's calling its parent's
            return line_received(self, line)
        total = getattr(self, "_crawler_header_bytes", 0) + len(line) + 1
        self._crawler_header_bytes = total
        if total > MAX_HEADER_BYTES:
            raise HeaderTooLarge(
                f"response header too large: more than {MAX_HEADER_BYTES:,} bytes of header "
                "lines (refused; the response is not archived)",
                line[:200],
            )
        self._crawler_in_line = True
        try:
            return line_received(self, line)
        finally:
            self._crawler_in_line = False

    counted.crawler_counts_headers = True
    return counted


def install() -> None:
    """Make Twisted's HTTP client parser, and every subclass of it with a lineReceived of
    its own (Scrapy's lenient parser in its HTTP/1.1 download handler), raise
    HeaderTooLarge. Idempotent."""
    import scrapy.core.downloader.handlers.http11  # noqa: F401  (its parser subclass)

    _newclient.HTTPParser.lineLengthExceeded = _line_too_long
    parsers, seen = [_newclient.HTTPParser], set()
    while parsers:
        cls = parsers.pop()
        if cls in seen:
            continue
        seen.add(cls)
        parsers.extend(cls.__subclasses__())
        own = cls.__dict__.get("lineReceived")
        if own is not None and not getattr(own, "crawler_counts_headers", False):
            cls.lineReceived = _counting(own)
