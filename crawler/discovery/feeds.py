"""RSS 2.0 / RSS 1.0 (RDF) / Atom / JSON Feed -> entries (URL, published date).

Dispatch is on the document's own root element, not on namespaces it declares: an RSS
feed that declares the sitemap namespace is still an RSS feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from crawler.discovery.safe_xml import child_text, local_name, parse_xml
from crawler.extract.metadata import parse_datetime


@dataclass(frozen=True)
class Entry:
    url: str
    published: datetime | None = None
    source: str = ""  # feed | sitemap | link


def parse_feed(body: bytes, base_url: str) -> list[Entry] | None:
    """Entries of a feed, or None if the body is not a feed."""
    stripped = body.lstrip()[:1]
    if stripped == b"{":
        return _parse_json_feed(body, base_url)
    root = parse_xml(body)
    if root is None:
        return None
    kind = local_name(root)
    entries: list[Entry] = []
    if kind in ("rss", "rdf"):
        for item in root.iter():
            if local_name(item) != "item":
                continue
            link = child_text(item, "link") or _guid_link(item)
            if link:
                date = child_text(item, "pubdate", "date", "published", "updated")
                entries.append(Entry(urljoin(base_url, link), parse_datetime(date), "feed"))
        return entries
    if kind == "feed":
        for item in root:
            if local_name(item) != "entry":
                continue
            link = _atom_link(item)
            if link:
                date = child_text(item, "published", "updated")
                entries.append(Entry(urljoin(base_url, link), parse_datetime(date), "feed"))
        return entries
    return None


def _guid_link(item) -> str | None:
    for child in item:
        if local_name(child) == "guid" and (child.get("isPermaLink", "true") != "false"):
            text = (child.text or "").strip()
            if text.startswith(("http://", "https://")):
                return text
    return None


def _atom_link(entry) -> str | None:
    fallback = None
    for child in entry:
        if local_name(child) != "link" or not child.get("href"):
            continue
        rel = child.get("rel", "alternate")
        if rel == "alternate":
            return child.get("href")
        fallback = fallback or child.get("href")
    return fallback


def _parse_json_feed(body: bytes, base_url: str) -> list[Entry] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        return None
    entries = []
    for item in data.get("items") or []:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if isinstance(link, str) and link:
            date = item.get("date_published") or item.get("date_modified")
            entries.append(
                Entry(
                    urljoin(base_url, link),
                    parse_datetime(date if isinstance(date, str) else None),
                    "feed",
                )
            )
    return entries
