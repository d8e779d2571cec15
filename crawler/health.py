"""Extraction health per site and run: how many articles, their median length, the share
with a title, an author and a date, and the share of text removed as boilerplate,
compared with the site's previous runs. A site whose figures jump (a new template the
extractor misreads, a paywall, a block page served instead of articles) is flagged in
the run's summary and in `runs/<crawl-id>.json` (`site_health`).

The figures are kept in the catalog (`site_health`), one row per site and run.
"""

from __future__ import annotations

from statistics import median
from typing import Protocol

MIN_ARTICLES = 3  # fewer articles in a run (or a previous run): figures too noisy to compare
PREVIOUS_RUNS = 5  # the baseline: median of the site's last this-many runs
# A jump: median words halved or doubled; a share moving this much (0..1).
WORDS_RATIO = 2.0
SHARE_DELTA = 0.3
REMOVED_DELTA = 0.2
FIGURES = ("median_words", "title_share", "author_share", "date_share", "removed_share")


class HealthStore(Protocol):  # the catalog provides these
    def site_health_history(self, site: str, crawl_id: str, limit: int) -> list[dict]: ...
    def add_site_health(self, crawl_id: str, site: str, figures: dict) -> None: ...


def record_figures(record: dict) -> tuple[int, bool, bool, bool, int, int]:
    """(words, has title, has author, has date, text chars, chars removed as boilerplate)."""
    removed = sum(
        len(r["text"]) if isinstance(r.get("text"), str) else int(r.get("length") or 0)
        for r in record.get("boilerplate_removed") or []
    )
    return (
        record["word_count"],
        bool(record.get("title")),
        bool(record.get("authors")),
        bool(record.get("published")),
        len(record.get("text") or ""),
        removed,
    )


def site_figures(rows: list[tuple[int, bool, bool, bool, int, int]]) -> dict:
    n = len(rows)
    chars = sum(r[4] + r[5] for r in rows) or 1
    return {
        "articles": n,
        "median_words": float(median(r[0] for r in rows)),
        "title_share": round(sum(r[1] for r in rows) / n, 3),
        "author_share": round(sum(r[2] for r in rows) / n, 3),
        "date_share": round(sum(r[3] for r in rows) / n, 3),
        "removed_share": round(sum(r[5] for r in rows) / chars, 3),
    }


def baseline(previous: list[dict]) -> dict | None:
    """Median of each figure over previous runs with enough articles; None if none."""
    usable = [p for p in previous if p["articles"] >= MIN_ARTICLES]
    if not usable:
        return None
    return {"runs": len(usable), **{f: float(median(p[f] for p in usable)) for f in FIGURES}}


def jumps(now: dict, before: dict | None) -> list[str]:
    """What moved too far from the baseline, in words a reader can check."""
    if before is None or now["articles"] < MIN_ARTICLES:
        return []
    flags = []
    old, new = before["median_words"], now["median_words"]
    if old > 0 and (new * WORDS_RATIO < old or new > old * WORDS_RATIO):
        flags.append(f"median words {old:.0f} -> {new:.0f}")
    for name, limit in (
        ("title_share", SHARE_DELTA),
        ("author_share", SHARE_DELTA),
        ("date_share", SHARE_DELTA),
        ("removed_share", REMOVED_DELTA),
    ):
        if abs(now[name] - before[name]) >= limit:
            label = name.replace("_share", "") + (" text" if name == "removed_share" else "")
            flags.append(f"{label} share {before[name]:.0%} -> {now[name]:.0%}")
    return flags


class SiteHealth:
    """Collects the figures of the articles a run stores (the latest version of each)."""

    def __init__(self, store: HealthStore) -> None:
        self.store = store
        self._by_site: dict[str, dict[str, tuple]] = {}

    def add(self, record: dict) -> None:
        self._by_site.setdefault(record.get("site") or "", {})[record["id"]] = record_figures(
            record
        )

    def report(self, crawl_id: str) -> dict:
        """The run report's `site_health`: per site its figures, the baseline of its
        previous runs and the flags; saved to the catalog for the runs to come."""
        sites, flagged = {}, []
        for site, rows in sorted(self._by_site.items()):
            figures = site_figures(list(rows.values()))
            before = baseline(self.store.site_health_history(site, crawl_id, PREVIOUS_RUNS))
            flags = jumps(figures, before)
            self.store.add_site_health(crawl_id, site, {**figures, "flags": flags})
            sites[site] = {**figures, "previous": before, "flags": flags}
            if flags:
                flagged.append(site)
        return {"sites": sites, "flagged": flagged}


def health_lines(section: dict | None, limit: int = 20) -> list[str]:
    """Summary lines: flagged sites first, then the largest sites with enough articles."""
    if not section:
        return []
    sites = section["sites"]
    lines = [
        f"EXTRACTION CHANGED  {site}: "
        + "; ".join(sites[site]["flags"])
        + " (template change, paywall or block page?)"
        for site in section["flagged"]
    ]
    shown = sorted(
        (s for s in sites if sites[s]["articles"] >= MIN_ARTICLES),
        key=lambda s: -sites[s]["articles"],
    )[:limit]
    for site in shown:
        f = sites[site]
        lines.append(
            f"site health  {site}: {f['articles']} articles, median "
            f"{f['median_words']:.0f} words, title {f['title_share']:.0%}, author "
            f"{f['author_share']:.0%}, date {f['date_share']:.0%}, boilerplate "
            f"{f['removed_share']:.0%} of text"
        )
    return lines
