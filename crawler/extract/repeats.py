"""Learned site-level repeats: blocks a site prints on many of its articles are that
site's boilerplate (the seed site's "Disclaimer: The contents of this article..." is on
every one of its articles). Two rules, both over counts of distinct articles:

- **Template** (few pages): a paragraph at the same place in `min_pages` (2) articles of
  the site. Its place is its normalised text, its DOM path (`dom_paths.py`) and one of
  its neighbours (the paragraph before it, or after it; the start or end of the text).
  A quote two articles share sits among different sentences, so it is not a template
  block; an appeal box at the end of every article is.
- **Frequency** (many pages): a paragraph in at least `min_count` and `min_share` of the
  site's articles once the site has `min_articles`, wherever it sits.

Never removed: a paragraph holding more than `max_article_share` of the article's words,
template blocks adding up to more than that share (two URLs of one story), or all of an
article.

Counts live in the catalog (`paragraphs`, `site_articles`), keyed by hashes, one row per
distinct article so refetches do not inflate them. `BatchedParagraphStats` holds new rows
in memory and writes them in one transaction per batch (one per article cost a third of
the crawler process's time).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Protocol

LAYER = "learned"
_WORDS = re.compile(r"\w+", re.UNICODE)


class ParagraphStats(Protocol):  # the catalog provides these
    def note_paragraphs_many(self, notes: list[tuple[str, str, list[str]]]) -> None: ...
    def paragraph_counts(self, site: str, keys: list[str]) -> dict[str, int]: ...
    def site_article_count(self, site: str) -> int: ...
    def has_site_article(self, site: str, article_id: str) -> bool: ...


def normal_text(text: str) -> str:
    """A paragraph's words, lower-cased, single-spaced: what 'the same paragraph' means."""
    return " ".join(_WORDS.findall(text.lower()))


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def paragraph_key(text: str) -> str:
    return _digest(normal_text(text))


def place_keys(keys: list[str], paths: list[str]) -> list[tuple[str, str]]:
    """Per paragraph: (its place with the paragraph before it, with the one after it). The
    first line has no place before it: it is the headline on most pages, and a headline
    two articles share ("Morning briefing") is not a template block."""
    last = len(keys) - 1
    return [
        (
            _digest(f"{key}|{path}|<{keys[i - 1]}") if i else "",
            _digest(f"{key}|{path}|>{keys[i + 1] if i < last else 'END'}"),
        )
        for i, (key, path) in enumerate(zip(keys, paths, strict=True))
    ]


class BatchedParagraphStats:
    """`ParagraphStats` over the catalog's with the writes batched: articles new to the
    catalog wait in memory, counts are the catalog's plus the waiting ones, `flush()`
    writes them in one transaction (also every `batch` articles). An article the catalog
    already has adds nothing (counts are of distinct articles, from their first fetch)."""

    def __init__(self, stats: ParagraphStats, batch: int = 500) -> None:
        self.stats = stats
        self.batch = batch
        self._pending: dict[tuple[str, str], set[str]] = {}
        self._key_counts: dict[str, Counter] = {}
        self._article_counts: Counter = Counter()

    def note_paragraphs(self, site: str, article_id: str, keys: list[str]) -> None:
        which = (site, article_id)
        if which not in self._pending:
            if self.stats.has_site_article(site, article_id):
                return
            self._pending[which] = set()
            self._article_counts[site] += 1
        new_keys = set(keys) - self._pending[which]
        self._pending[which] |= new_keys
        self._key_counts.setdefault(site, Counter()).update(new_keys)
        if len(self._pending) >= self.batch:
            self.flush()

    def paragraph_counts(self, site: str, keys: list[str]) -> dict[str, int]:
        counts = self.stats.paragraph_counts(site, keys)
        waiting = self._key_counts.get(site)
        if waiting:
            for key in set(keys):
                if waiting[key]:
                    counts[key] = counts.get(key, 0) + waiting[key]
        return counts

    def site_article_count(self, site: str) -> int:
        return self.stats.site_article_count(site) + self._article_counts[site]

    def flush(self) -> None:
        if self._pending:
            self.stats.note_paragraphs_many(
                [(site, aid, sorted(keys)) for (site, aid), keys in self._pending.items()]
            )
        self._pending.clear()
        self._key_counts.clear()
        self._article_counts.clear()


class LearnedRepeats:
    def __init__(
        self,
        stats: ParagraphStats,
        *,
        min_articles: int = 10,
        min_count: int = 5,
        min_share: float = 0.3,
        max_article_share: float = 0.5,
        min_pages: int = 2,
        batch: int = 500,
    ) -> None:
        self.stats = BatchedParagraphStats(stats, batch)
        self.min_articles = min_articles
        self.min_count = min_count
        self.min_share = min_share
        self.max_article_share = max_article_share
        self.min_pages = min_pages  # 0: no template rule, the frequency rule alone

    def flush(self) -> None:
        """Write the counts still held in memory (the run's end; before others read them)."""
        self.stats.flush()

    def learn_and_apply(
        self, site: str, article_id: str, paragraphs: list[str], paths: list[str] | None = None
    ) -> tuple[list[str], list[dict]]:
        """Count this article's paragraphs for its site, then `apply`."""
        words = [_WORDS.findall(p.lower()) for p in paragraphs]
        keys = [_digest(" ".join(w)) for w in words]
        places = place_keys(keys, paths or [""] * len(keys))
        self.stats.note_paragraphs(
            site, article_id, keys + [k for pair in places for k in pair if k]
        )
        return self._apply(site, paragraphs, [len(w) for w in words], keys, places)

    def apply(
        self, site: str, paragraphs: list[str], paths: list[str] | None = None
    ) -> tuple[list[str], list[dict]]:
        """What the counts learned so far remove, without counting this article again."""
        words = [_WORDS.findall(p.lower()) for p in paragraphs]
        keys = [_digest(" ".join(w)) for w in words]
        return self._apply(
            site,
            paragraphs,
            [len(w) for w in words],
            keys,
            place_keys(keys, paths or [""] * len(keys)),
        )

    def _apply(
        self,
        site: str,
        paragraphs: list[str],
        words: list[int],
        keys: list[str],
        places: list[tuple[str, str]],
    ) -> tuple[list[str], list[dict]]:
        n_articles = self.stats.site_article_count(site)
        if n_articles < 2:
            return paragraphs, []
        counts = self.stats.paragraph_counts(site, keys + [k for p in places for k in p if k])
        threshold = max(self.min_count, self.min_share * n_articles)
        total_words = sum(words) or 1
        verdicts: list[dict | None] = []
        for text, key, place, n_words in zip(paragraphs, keys, places, words, strict=True):
            verdict = None
            if n_words / total_words <= self.max_article_share:
                at_place = max(counts.get(place[0], 0), counts.get(place[1], 0))
                if self.min_pages and at_place >= self.min_pages:
                    verdict = {
                        "kind": "site_template",
                        "layer": LAYER,
                        "text": text,
                        "articles": at_place,
                    }
                elif n_articles >= self.min_articles and counts.get(key, 0) >= threshold:
                    verdict = {
                        "kind": "site_repeat",
                        "layer": LAYER,
                        "text": text,
                        "articles": counts[key],
                    }
            verdicts.append(verdict)
        template_words = sum(
            n for n, v in zip(words, verdicts, strict=True) if v and v["kind"] == "site_template"
        )
        if template_words / total_words > self.max_article_share:
            # most of the text "repeats in place": two URLs of one story, not a template
            verdicts = [v if v and v["kind"] == "site_repeat" else None for v in verdicts]
        kept = [t for t, v in zip(paragraphs, verdicts, strict=True) if v is None]
        if not kept:
            return paragraphs, []  # everything repeats: this is not boilerplate on an article
        return kept, [v for v in verdicts if v is not None]

    def apply_to_extraction(self, extraction: dict, site: str | None, article_id: str) -> None:
        """Filter `extraction["text"]` in place, adding what went to boilerplate_removed."""
        if not site or not extraction.get("text"):
            return
        paragraphs = extraction["text"].split("\n")
        paths = extraction.get("paragraph_paths")
        if not paths or len(paths) != len(paragraphs):
            paths = None
        kept, removed = self.learn_and_apply(site, article_id, paragraphs, paths)
        extraction["text"] = "\n".join(kept)
        extraction["boilerplate_removed"] = (
            list(extraction.get("boilerplate_removed") or []) + removed
        )
