"""Items a spider hands to the pipelines: a captured page, or a URL that could not be."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.rights.declared import RIGHTS_HEADERS
from crawler.timebounds import utcnow_iso


@dataclass
class CapturedPage:
    url: str  # as the user / discovery gave it
    final_url: str  # after redirects
    status: int
    content_type: str | None
    content_language: str | None
    body: bytes  # content-decoded (gzip removed); the WARC keeps the bytes as received
    fetched_at: str
    warc: dict | None  # WarcPointer of the final response record
    redirects: list[str] = field(default_factory=list)
    context_for: str | None = None  # fetched by the sibling probe for this requested URL
    # X-Robots-Tag, tdm-reservation, tdm-policy values (crawler.rights.declared)
    rights_headers: dict[str, list[str]] = field(default_factory=dict)
    # filled by the extraction pipeline:
    extraction: dict | None = None  # Extraction fields (trafilatura + boilerplate stage)
    note: str | None = None  # why there is no article (non-HTML, no text, extraction error)
    extraction_failed: bool = False
    rights: dict | None = None  # the record's `rights`, filled by the rights pipeline
    # a site crawl's refetch that matched the last capture (304, or a revisit record):
    # archived, nothing to extract
    unchanged: bool = False

    def __repr__(self) -> str:  # Scrapy logs items; never dump the body
        return f"<CapturedPage {self.status} {self.final_url}>"


@dataclass
class FetchFailed:
    url: str
    reason: str
    stage: str = "fetch"  # input | fetch | capture
    http_status: int | None = None
    warc: dict | None = None  # the error response's record, when there was one


def captured_page(response, url: str) -> CapturedPage:
    """The item for a fetched page; `url` is the one requested (before redirects)."""
    headers = response.headers
    # returned, not yielded, by callbacks: Scrapy re-parses generator callbacks' source
    return CapturedPage(
        url=url,
        final_url=response.url,
        status=response.status,
        content_type=(headers.get("Content-Type") or b"").decode("latin-1") or None,
        content_language=(headers.get("Content-Language") or b"").decode("latin-1") or None,
        body=response.body,
        fetched_at=utcnow_iso(),
        warc=response.meta.get("warc"),
        redirects=[str(u) for u in response.meta.get("redirect_urls", [])],
        rights_headers={
            name: [v.decode("latin-1") for v in headers.getlist(name)]
            for name in RIGHTS_HEADERS
            if headers.getlist(name)
        },
    )
