"""The article record: one JSON object per article, the unit of the dataset feed.

Its JSON Schema ships as `crawler/schema/article-<SCHEMA_VERSION>.json`; bump
SCHEMA_VERSION (and add a new schema file) for any change a consumer could notice.
This module only shapes data: it imports neither Scrapy nor the extractor.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit

import crawler
from crawler.rights.declared import rights_of
from crawler.timebounds import iso_utc
from crawler.urls import TRACKING_PARAMS, canonical_url

# 2: published_source, modified_source (optional fields)
# 3: rights, access, access_evidence, license, license_source; cluster_id in --dedup
#    exports; Parquet timestamps typed (issue 14)
SCHEMA_VERSION = 3
SCHEMA_NAME = f"article-{SCHEMA_VERSION}.json"


def load_schema() -> dict:
    """The record's JSON Schema as installed with the package (package data)."""
    text = resources.files("crawler").joinpath("schema", SCHEMA_NAME).read_text("utf-8")
    return json.loads(text)


def article_id(url: str) -> str:
    """Stable id for an article: hash of its canonical URL (`crawler.urls.canonical_url`
    without tracking parameters), so refetches and redirects of one article share an id.
    An already canonical URL hashes as it did before that function was used here."""
    normal = canonical_url(url, TRACKING_PARAMS)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def build_article_record(
    *,
    extraction: dict,
    url: str,
    final_url: str,
    fetched_at: datetime | str | None,
    http_status: int | None,
    content_type: str | None,
    crawl_id: str | None,
    warc: dict | None,
    extractor: dict[str, str],
    version: int = 1,
    source: dict | None = None,
    id_fallback: str | None = None,
    rights: dict | None = None,
) -> dict:
    """Assemble the record from what extraction found and what the capture knows.

    `id_fallback` names the document when there is neither a canonical nor a final URL
    (an HTML file given to `crawler extract` without --url): its file:// URI.
    `rights`: what the crawl found (`crawler.rights.declared.rights_of`); without it, what
    the page's own markup declares."""
    canonical = extraction.get("canonical_url") or final_url or id_fallback
    text = extraction.get("text") or ""
    site = (urlsplit(final_url).hostname or "") if final_url else None
    if fetched_at is not None:  # one format whatever the source (WARC-Date has a 'Z')
        fetched_at = iso_utc(fetched_at)
    record = {
        "schema_version": SCHEMA_VERSION,
        "id": article_id(canonical) if canonical else None,
        "version": version,
        "url": url,
        "final_url": final_url,
        "canonical_url": extraction.get("canonical_url"),
        "site": site or None,
        "site_name": extraction.get("site_name"),
        "title": extraction.get("title"),
        "authors": list(extraction.get("authors") or []),
        "published": extraction.get("published"),
        "modified": extraction.get("modified"),
        "published_source": extraction.get("published_source"),
        "modified_source": extraction.get("modified_source"),
        "language": extraction.get("language"),
        "description": extraction.get("description"),
        "categories": list(extraction.get("categories") or []),
        "tags": list(extraction.get("tags") or []),
        "text": text,
        "word_count": len(text.split()),
        "fetched_at": fetched_at,
        "http_status": http_status,
        "content_type": content_type,
        "content_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "boilerplate_removed": list(extraction.get("boilerplate_removed") or []),
        "extractor": {"crawler": crawler.__version__, **extractor},
        "crawl_id": crawl_id,
        "warc": warc,
        "rights": rights
        if rights is not None
        else rights_of(extraction.get("page_rights"), None, None),
        "access": extraction.get("access"),
        "access_evidence": list(extraction.get("access_evidence") or []),
        "license": (extraction.get("page_rights") or {}).get("license"),
        "license_source": (extraction.get("page_rights") or {}).get("license_source"),
    }
    if source is not None:
        record["source"] = source
    return record


# Fields a record of an older schema lacks, with the value meaning "not known": exports
# give every record the current shape (Parquet columns, `datasets` features).
_ADDED_SINCE = {
    "published_source": None,
    "modified_source": None,
    "rights": None,
    "access": None,
    "access_evidence": [],
    "license": None,
    "license_source": None,
}


def as_current_schema(record: dict) -> dict:
    """A stored record (schema 1, 2 or current) in the current schema's shape: absent
    fields as unknown (null, []), `schema_version` the current one. Current records are
    returned as they are."""
    if record.get("schema_version") == SCHEMA_VERSION:
        return record
    upgraded = dict(record)
    for name, unknown in _ADDED_SINCE.items():
        upgraded.setdefault(name, list(unknown) if isinstance(unknown, list) else unknown)
    upgraded["schema_version"] = SCHEMA_VERSION
    return upgraded
