"""What one HTTP exchange looked like on the wire, independent of Scrapy.

The capture middleware fills this from a Scrapy request/response; the WARC writer turns
it into records. Header values are `str` decoded as latin-1 so that re-encoding gives the
exact bytes received (RFC 9110 treats other octets as opaque).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus


def reason_phrase(status: int) -> str:
    """The standard reason phrase of `status` ("Not Found"), "" for unregistered codes."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass(frozen=True)
class PreviousCapture:
    record_id: str  # WARC-Record-ID of the response record refetched
    url: str
    fetched_at: str  # ISO 8601
    payload_digest: str | None


@dataclass
class HttpExchange:
    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes  # as received: still content-encoded, chunk framing removed
    request_method: str
    request_target: str  # path and query, as on the request line
    request_headers: list[tuple[str, str]]
    fetched_at: datetime  # timezone-aware UTC
    request_body: bytes = b""
    protocol: str = "HTTP/1.1"  # "h2" is written as HTTP/1.1 plus WARC-Protocol
    ip_address: str | None = None
    extra_warc_headers: dict[str, str] = field(default_factory=dict)
    request_warc_headers: dict[str, str] = field(default_factory=dict)  # the request record's
    # The last capture of this URL (a site crawl's conditional refetch): a 304, or a 200
    # whose payload digest equals this one's, is written as a `revisit` record of it.
    previous: PreviousCapture | None = None

    def header(self, name: str) -> str | None:
        """The last value of response header `name` (as Scrapy's `Headers.get` gives it),
        or None when absent or empty."""
        lowered = name.lower()
        for key, value in reversed(self.response_headers):
            if key.lower() == lowered:
                return value or None
        return None

    @property
    def status_line(self) -> str:
        phrase = reason_phrase(self.status)
        return f"{self.status} {phrase}" if phrase else str(self.status)
