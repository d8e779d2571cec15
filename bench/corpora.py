"""The hand-labelled development corpora in ../shared/bench, their fixed validation split,
and the alignment of extracted blocks with their gold text.

One split for everything: `quality.py` reports on the validation part only, the block
classifier's training script (crawler/extract/model/train.py) never reads it.

    validation  <=>  sha256(group key) mod 5 == 0
    development <=>  not validation and sha256("dev:" + group key) mod 4 == 0

The development part is carved from the training part, by the same groups: thresholds and
other settings are chosen on it (bench/calibrate_blocks.py), with a model trained on the
rest, so that the validation figures stay unseen.

The group key is the page's site where the page names it (L3S-GN1, Dragnet: pages of one
site must not straddle the split, or a model learns the site's template and the figure
says nothing about unseen sites), else the page id (Readability: one page per site).
A site is the host of the page's canonical URL (<link rel=canonical>, og:url, <base>), else
the most frequent host among its absolute links, ad and aggregator hosts left out: 26 of
329 L3S-GN1 pages and 596 of 718 Dragnet pages declare a canonical URL.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

VALIDATION_MOD = 5  # one fifth of the groups is validation
DEV_MOD = 4  # a quarter of the other groups is the development part

# L3S-GN1 block labels (README of the corpus): 2 full text and 3 supplemental are the
# article body; 1 the headline (neither body nor boilerplate: trafilatura's text has no
# title, our rules drop a copy of it); 0 not content, 4 related content, 5 user comments.
L3S_BODY = {2, 3}
L3S_KINDS = {0: "not_content", 4: "related_content", 5: "user_comments"}

_CANONICAL = re.compile(
    rb"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']?https?://([^/"'>\s]+)"""
    rb"""|<link[^>]+href=["']?https?://([^/"'>\s]+)[^>]*rel=["']?canonical"""
    rb"""|<meta[^>]+og:url["'][^>]*content=["']?https?://([^/"'>\s]+)"""
    rb"""|<base[^>]+href=["']?https?://([^/"'>\s]+)""",
    re.IGNORECASE,
)
_LINK_HOST = re.compile(rb"""href=["']?https?://([^/"'>\s:]+)""", re.IGNORECASE)
# Hosts that link from many sites' pages and say nothing about whose page it is.
_NOT_A_SITE = re.compile(
    rb"doubleclick|adserver|adtech|googlesyndication|google\.|facebook|twitter|addthis|"
    rb"digg\.|del\.icio\.us|delicious|reddit|stumbleupon|yahoo\.|feedburner|technorati|"
    rb"myspace|linkedin|wordpress\.org|w3\.org|adobe|macromedia|apple\.com|microsoft|"
    rb"quantserve|atdmt|2mdn|yieldmanager|revsci|imrworldwide",
    re.IGNORECASE,
)


def site_of(html: bytes) -> str | None:
    """The page's site (host without www.), or None when the page does not tell."""
    match = _CANONICAL.search(html)
    if match:
        host = next(g for g in match.groups() if g)
    else:
        hosts = Counter(h.lower() for h in _LINK_HOST.findall(html) if not _NOT_A_SITE.search(h))
        if not hosts:
            return None
        host = hosts.most_common(1)[0][0]
    return host.decode("ascii", "replace").lower().removeprefix("www.")


def is_validation(group_key: str) -> bool:
    digest = hashlib.sha256(group_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % VALIDATION_MOD == 0


def is_development(group_key: str) -> bool:
    """In the development part of the training groups (never a validation group)."""
    digest = hashlib.sha256(("dev:" + group_key).encode("utf-8")).digest()
    return not is_validation(group_key) and int.from_bytes(digest[:8], "big") % DEV_MOD == 0


@dataclass
class GoldPage:
    dataset: str  # "l3s-gn1", "dragnet", "readability"
    id: str
    html: bytes
    gold: str  # the article text
    group: str  # the split's key: "site:<host>" or "page:<id>"
    url: str | None = None

    @property
    def validation(self) -> bool:
        return is_validation(self.group)


def _group(dataset: str, page_id: str, html: bytes) -> str:
    site = site_of(html)
    return f"site:{site}" if site else f"page:{dataset}/{page_id}"


def l3s_gold(annotated: bytes) -> str:
    """The article body (labels 2 and 3) of one annotated L3S-GN1 page, a block a line."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(annotated)
    lines = []
    for span in tree.iter("span"):
        cls = span.get("class") or ""
        if cls.startswith("x-nc-sel") and cls[8:].isdigit() and int(cls[8:]) in L3S_BODY:
            text = " ".join(span.text_content().split())
            if text:
                lines.append(text)
    return "\n".join(lines)


def load_l3s(root: Path) -> Iterator[GoldPage]:
    for path in sorted((root / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        html = gzip.decompress(path.read_bytes())
        gold = l3s_gold(
            gzip.decompress((root / "gold" / f"{page_id}.annotated.html.gz").read_bytes())
        )
        yield GoldPage("l3s-gn1", page_id, html, gold, _group("l3s-gn1", page_id, html))


def load_dragnet(root: Path) -> Iterator[GoldPage]:
    for path in sorted((root / "html").glob("*.html.gz"), key=lambda p: p.name):
        page_id = path.name.removesuffix(".html.gz")
        html = gzip.decompress(path.read_bytes())
        gold = gzip.decompress((root / "gold" / f"{page_id}.txt.gz").read_bytes()).decode(
            "utf-8", "replace"
        )
        yield GoldPage("dragnet", page_id, html, gold, _group("dragnet", page_id, html))


def load_readability(root: Path) -> Iterator[GoldPage]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for case in sorted(truth):
        html = gzip.decompress((root / "html" / f"{case}.html.gz").read_bytes())
        yield GoldPage(
            "readability",
            case,
            html,
            truth[case]["articleBody"],
            f"page:readability/{case}",
            truth[case].get("url") or None,
        )


def load_gold_pages(data: Path) -> list[GoldPage]:
    """Every gold-labelled page under the shared bench folder (both parts of the split)."""
    pages: list[GoldPage] = []
    if (data / "l3s-gn1" / "html").is_dir():
        pages += load_l3s(data / "l3s-gn1")
    if (data / "dragnet" / "html").is_dir():
        pages += load_dragnet(data / "dragnet")
    if (data / "wceb" / "readability" / "ground-truth.json").is_file():
        pages += load_readability(data / "wceb" / "readability")
    return pages


# -- block alignment ------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
SHINGLE = 4


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class GoldIndex:
    """The gold text of one page, for asking whether an extracted block is article text."""

    def __init__(self, gold: str) -> None:
        toks = tokens(gold)
        self.joined = " " + " ".join(toks) + " "
        self.shingles = set(zip(*(toks[i:] for i in range(SHINGLE)), strict=False))

    def is_article(self, block: str) -> bool:
        """A block is article text when it appears in the gold as a whole (short blocks) or
        when at least half of its 4-token shingles do (long ones, where the gold's
        hand-corrections and our whitespace make whole-text matches fail)."""
        toks = tokens(block)
        if not toks:
            return False
        if " " + " ".join(toks) + " " in self.joined:
            return True
        if len(toks) < SHINGLE:
            return False
        grams = list(zip(*(toks[i:] for i in range(SHINGLE)), strict=False))
        return sum(g in self.shingles for g in grams) >= 0.5 * len(grams)
