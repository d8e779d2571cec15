"""Learned site-level repeats: a paragraph that appears in many distinct articles of one
site is that site's boilerplate (the seed site's "Disclaimer: The contents of this
article..." is on every one of its articles).

Counts live in the catalog (`paragraphs`, `site_articles`), keyed by a hash of the
normalised paragraph, one row per distinct article, so refetches do not inflate them.
A paragraph is removed once the site has `min_articles` articles and the paragraph is in
at least `min_count` of them and in `min_share` of all of them. Never removed: a paragraph
holding more than `max_article_share` of the article's words, or all of an article.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

LAYER = "learned"
_WORDS = re.compile(r"\w+", re.UNICODE)


class ParagraphStats(Protocol):  # the catalog provides these
    def note_paragraphs(self, site: str, article_id: str, keys: list[str]) -> None: ...
    def paragraph_counts(self, site: str, keys: list[str]) -> dict[str, int]: ...
    def site_article_count(self, site: str) -> int: ...


def paragraph_key(text: str) -> str:
    normal = " ".join(_WORDS.findall(text.lower()))
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()[:20]


class LearnedRepeats:
    def __init__(self, stats: ParagraphStats, *, min_articles: int = 10, min_count: int = 5,
                 min_share: float = 0.3, max_article_share: float = 0.5) -> None:
        self.stats = stats
        self.min_articles = min_articles
        self.min_count = min_count
        self.min_share = min_share
        self.max_article_share = max_article_share

    def learn_and_apply(self, site: str, article_id: str, paragraphs: list[str]
                        ) -> tuple[list[str], list[dict]]:
        keys = [paragraph_key(p) for p in paragraphs]
        self.stats.note_paragraphs(site, article_id, keys)
        n_articles = self.stats.site_article_count(site)
        if n_articles < self.min_articles:
            return paragraphs, []
        counts = self.stats.paragraph_counts(site, keys)
        threshold = max(self.min_count, self.min_share * n_articles)
        words = [len(_WORDS.findall(p)) for p in paragraphs]
        total_words = sum(words) or 1
        kept, removed = [], []
        for text, key, n_words in zip(paragraphs, keys, words, strict=True):
            share_of_article = n_words / total_words
            if counts.get(key, 0) >= threshold and share_of_article <= self.max_article_share:
                removed.append({"kind": "site_repeat", "layer": LAYER, "text": text,
                                "articles": counts[key]})
            else:
                kept.append(text)
        if not kept:
            return paragraphs, []  # everything repeats: this is not boilerplate on an article
        return kept, removed

    def apply_to_extraction(self, extraction: dict, site: str | None, article_id: str) -> None:
        """Filter `extraction["text"]` in place, adding what went to boilerplate_removed."""
        if not site or not extraction.get("text"):
            return
        kept, removed = self.learn_and_apply(site, article_id, extraction["text"].split("\n"))
        extraction["text"] = "\n".join(kept)
        extraction["boilerplate_removed"] = list(extraction.get("boilerplate_removed") or []) \
            + removed
