"""The trafilatura wrapper: HTML bytes in, main text and normalised metadata out.

Runs inside extraction worker processes (see `pool.py`); everything it returns is plain
data so it pickles back to the crawler process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

import trafilatura
from trafilatura.utils import load_html

from crawler.extract.blocks import element_index
from crawler.extract.dom_paths import paragraph_paths
from crawler.extract.metadata import (
    absolute_url,
    declared_language,
    declared_titles,
    page_date_evidence,
    split_authors,
    split_list,
)
from crawler.extract.page_metadata import page_metadata
from crawler.extract.page_rights import page_rights
from crawler.extract.paywall import access_of, paywall_evidence
from crawler.extract.site_rules import SiteRules, apply_text_rules, prune_tree


@dataclass
class Extraction:
    """What extraction found in one document. `text` is empty when there is no article."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    published_source: str | None = None  # json-ld, meta, url or text (metadata.DATE_SOURCES)
    modified_source: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    text: str = ""
    note: str | None = None  # why there is no text, when there is none
    boilerplate_removed: list[dict] = field(default_factory=list)
    # what the markup declares: TDMRep meta, robots directives, licence (page_rights.py)
    page_rights: dict = field(default_factory=dict)
    access: str | None = None  # free | paywalled | partial (paywall.py)
    access_evidence: list[str] = field(default_factory=list)
    # DOM path of each line of `text` (few-page site templates, crawler.extract.repeats);
    # not part of the article record
    paragraph_paths: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def extractor_versions() -> dict[str, str]:
    from crawler.extract.model_info import model_version

    return {"trafilatura": trafilatura.__version__, "block_model": model_version()}


# trafilatura's arguments for the article container; bench/train_blocks.py trains the
# block classifier on what they give. fast: no readability/jusText fallback comparison; the
# classifier decides on the blocks instead, and on the validation split the comparison cost
# a third of trafilatura's CPU while lowering Dragnet's F1 (0.8228 without, 0.8108 with).
TRAFILATURA_ARGS = dict(
    with_metadata=False, include_comments=False, include_tables=True, deduplicate=False, fast=True
)
# ...except where fast mode finds next to nothing: then trafilatura's own comparison with its
# readability/jusText fallbacks runs after all (its container is often a teaser or a caption
# there). Chosen on the development split carved from the training pages (bench/corpora.py
# is_dev), over 0/300/600/1000/1500/2500 characters: at 600, L3S-GN1 F1 0.765 -> 0.794,
# Dragnet 0.819 -> 0.815, Readability unchanged, for 2 ms CPU a page.
SHORT_OUTPUT_CHARS = 600


def article_container(tree, url: str | None):
    """trafilatura's document for the parsed page (`tree` is left as it is: trafilatura
    works on a copy), or None: fast mode, then the fallback comparison where fast mode's
    text is shorter than SHORT_OUTPUT_CHARS."""
    doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_ARGS)
    if doc is None or len(doc.text or "") < SHORT_OUTPUT_CHARS:
        slow = trafilatura.bare_extraction(tree, url=url, **{**TRAFILATURA_ARGS, "fast": False})
        if slow is not None and slow.text:
            return slow
    return doc


def _canonical(tree, base_url: str | None) -> str | None:
    for link in tree.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            return absolute_url(link.get("href"), base_url)
    for meta in tree.iterfind(".//meta"):
        if (meta.get("property") or "").lower() == "og:url" and meta.get("content"):
            return absolute_url(meta.get("content"), base_url)
    return None


_HEADER_CHARSET = re.compile(r"charset\s*=\s*([^;\s]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def charset_of(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type header, if any."""
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1).strip("\"'") if match else None


def html_for(body: bytes, content_type: str | None) -> bytes | str:
    """What to hand `extract_html` for a response: decoded here when its Content-Type
    declares a charset (the worker sees no headers), else the bytes themselves."""
    declared = charset_of(content_type)
    return decode_html(body, declared) if declared and body else body


def decode_html(html: bytes, declared: str | None = None) -> str:
    """Bytes to text: valid UTF-8 is UTF-8; otherwise the charset the HTTP header
    declared (`declared`), then the page's own <meta charset>, when the bytes decode with
    it; otherwise windows-1252, the web's default for undeclared 8-bit pages (WHATWG).
    trafilatura's statistical guess read latin-1 French/German text as Baltic cp1257.
    (Valid UTF-8 wins over a header that says otherwise: servers that label everything
    iso-8859-1 are common, UTF-8 that decodes by accident is not.)"""
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return html.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    match = _META_CHARSET.search(html[:4096])
    if match:
        try:
            return html.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return html.decode("cp1252", errors="replace")


def main_text(doc) -> str:
    """The text of trafilatura's document, as the boilerplate stage sees it (a line a
    block). NFC: pages with decomposed umlauts must match searches for the composed ones."""
    return unicodedata.normalize("NFC", doc.text or "")


def _boilerplate_stage(
    tree,
    index: dict[str, object],
    text: str,
    titles: list[str],
    site_rules: SiteRules | None,
    removed: list[dict],
) -> tuple[str, list[str]]:
    """(text, authors a removed credit line names) after the site's text rules, the phrase
    rules and the learned block classifier (classifier.py); removals appended to
    `removed` (which holds the site's tree removals already). `index`: the page's block
    elements (blocks.element_index)."""
    paragraphs = text.split("\n")
    if site_rules is not None:
        paragraphs, site_removed = apply_text_rules(paragraphs, site_rules)
        removed += site_removed
    # imported here: numpy and the weights belong to the extraction workers (the pool's
    # forkserver preloads them), not to the crawler process that imports this module
    from crawler.extract.classifier import apply_block_model

    paragraphs, generic_removed, byline_authors = apply_block_model(
        tree, paragraphs, titles, [], known_boilerplate=bool(removed), index=index
    )
    removed += generic_removed
    return "\n".join(paragraphs), byline_authors


def extract_html(
    html: bytes | str,
    url: str | None = None,
    content_language: str | None = None,
    site_rules: SiteRules | None = None,
    boilerplate: bool = True,
) -> Extraction:
    """Extract the article from one HTML document (charset detected by trafilatura), then
    run the boilerplate stage: site rules (selectors before, patterns after), the generic
    phrase rules and the learned block classifier (classifier.py).
    `boilerplate=False` gives trafilatura's text untouched."""
    tree = load_html(decode_html(html) if isinstance(html, bytes) else html)
    if tree is None:
        return Extraction(note="not parseable as HTML")
    # Read what trafilatura would lose before it prunes the tree.
    dates = page_date_evidence(tree)
    language = declared_language(tree, content_language)
    canonical = _canonical(tree, url)
    titles = declared_titles(tree)
    rights = page_rights(tree)
    paywall = paywall_evidence(tree)
    removed: list[dict] = []
    if site_rules is not None and boilerplate:
        removed += prune_tree(tree, site_rules)
    doc = article_container(tree, url)
    if doc is None:
        return Extraction(
            published=dates.published,
            modified=dates.modified,
            published_source=dates.published_source,
            modified_source=dates.modified_source,
            language=language,
            canonical_url=canonical,
            note="no main text found",
            page_rights=rights,
        )
    text = main_text(doc)
    byline_authors: list[str] = []
    paths: list[str] = []
    if boilerplate and text:
        # the blocks' DOM context (classifier) and paths (site templates) come from the
        # tree, so this runs before page_metadata prunes it
        index = element_index(tree, text.split("\n"))
        text, byline_authors = _boilerplate_stage(tree, index, text, titles, site_rules, removed)
        paths = paragraph_paths(text.split("\n"), index) if text else []
    # bare_extraction worked on a copy of the tree (trafilatura 2.3: "if tree is
    # filecontent: tree = copy(tree)"); page_metadata prunes ours, so it comes last
    meta, published_source = page_metadata(tree, url, dates)
    access, access_evidence = access_of(paywall, text)
    title = meta.title or None
    # a removed credit line ("Articles by: X") names the author when the metadata does not
    authors = split_authors(meta.author) or byline_authors
    return Extraction(
        title=title,
        authors=authors,
        published=meta.date,
        modified=dates.modified,
        published_source=published_source,
        modified_source=dates.modified_source,
        language=language or (meta.language or None),
        description=meta.description or None,
        site_name=meta.sitename or None,
        canonical_url=canonical,
        categories=split_list(meta.categories),
        tags=split_list(meta.tags),
        text=text,
        note=None if text else "no main text found",
        boilerplate_removed=removed,
        page_rights=rights,
        access=access,
        access_evidence=access_evidence,
        paragraph_paths=paths,
    )
