"""Sitemaps (sitemaps.org 0.9, Google News extension): index -> child sitemaps, urlset -> URLs.

Each URL keeps the best date the sitemap gives: `news:publication_date` first, then
`lastmod`, so the spider can keep only articles inside the site's date window. gzip
sitemaps (`.xml.gz` served as a file, not as Content-Encoding) are inflated with a cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from crawler.discovery.feeds import Entry
from crawler.discovery.safe_xml import child_text, local_name, parse_xml
from crawler.extract.metadata import parse_datetime

# Where sites usually put their sitemaps when robots.txt names none.
USUAL_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml")


@dataclass
class Sitemap:
    children: list[Entry] = field(default_factory=list)  # sitemap index entries (lastmod)
    entries: list[Entry] = field(default_factory=list)  # urlset entries


def parse_sitemap(body: bytes, base_url: str) -> Sitemap | None:
    """The sitemap's content, or None if the body is neither a urlset nor a sitemapindex."""
    root = parse_xml(body)
    if root is None:
        return None
    kind = local_name(root)
    result = Sitemap()
    if kind == "sitemapindex":
        for node in root:
            if local_name(node) == "sitemap":
                loc = child_text(node, "loc")
                if loc:
                    lastmod = parse_datetime(child_text(node, "lastmod"))
                    result.children.append(Entry(urljoin(base_url, loc), lastmod, "sitemap"))
        return result
    if kind == "urlset":
        for node in root:
            if local_name(node) != "url":
                continue
            loc = child_text(node, "loc")
            if not loc:
                continue
            published = lastmod = None
            for child in node.iter():
                name = local_name(child)
                if name == "publication_date":
                    published = parse_datetime(child.text)
                elif name == "lastmod" and child.getparent() is node:
                    lastmod = parse_datetime(child.text)
            result.entries.append(Entry(urljoin(base_url, loc), published or lastmod, "sitemap"))
        return result
    return None


def robots_sitemaps(robots_body: bytes) -> list[str]:
    """`Sitemap:` lines of a robots.txt (case-insensitive field name, RFC 9309 section 2.2.4)."""
    found = []
    for raw in robots_body.decode("utf-8", "replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found
