"""The trafilatura wrapper: HTML bytes in, main text and normalised metadata out.

Runs inside extraction worker processes (see `pool.py`); everything it returns is plain
data so it pickles back to the crawler process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import trafilatura
from trafilatura.utils import load_html

from crawler.extract.metadata import (
    absolute_url,
    declared_language,
    normalise_datetime,
    page_dates,
    split_authors,
    split_list,
)


@dataclass
class Extraction:
    """What extraction found in one document. `text` is empty when there is no article."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    text: str = ""
    note: str | None = None  # why there is no text, when there is none

    def to_dict(self) -> dict:
        return asdict(self)


def extractor_versions() -> dict[str, str]:
    return {"trafilatura": trafilatura.__version__}


def _canonical(tree, base_url: str | None) -> str | None:
    for link in tree.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            return absolute_url(link.get("href"), base_url)
    for meta in tree.iterfind(".//meta"):
        if (meta.get("property") or "").lower() == "og:url" and meta.get("content"):
            return absolute_url(meta.get("content"), base_url)
    return None


def extract_html(
    html: bytes | str, url: str | None = None, content_language: str | None = None
) -> Extraction:
    """Extract the article from one HTML document (charset detected by trafilatura)."""
    tree = load_html(html)
    if tree is None:
        return Extraction(note="not parseable as HTML")
    # Read what trafilatura would lose before it prunes the tree in place.
    published, modified = page_dates(tree)
    language = declared_language(tree, content_language)
    canonical = _canonical(tree, url)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
    )
    if doc is None:
        return Extraction(
            published=published, modified=modified, language=language,
            canonical_url=canonical, note="no main text found",
        )
    return Extraction(
        title=(doc.title or None),
        authors=split_authors(doc.author),
        published=published or normalise_datetime(doc.date),
        modified=modified,
        language=language or (doc.language or None),
        description=doc.description or None,
        site_name=doc.sitename or None,
        canonical_url=canonical,
        categories=split_list(doc.categories),
        tags=split_list(doc.tags),
        text=doc.text or "",
        note=None if doc.text else "no main text found",
    )
