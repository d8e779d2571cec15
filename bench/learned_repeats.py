"""Micro-benchmark: the crawler process's cost of learned site repeats per article.

    python bench/learned_repeats.py [--articles 2000] [--sites 4] [--paragraphs 30]

Feeds synthetic articles (each site's articles end in the same three appeal paragraphs)
through `ArticleSink`'s learned-repeats step (`LearnedRepeats.apply_to_extraction`) over a
real SQLite catalog in a temporary folder, as the store pipeline does, and prints CPU and
wall milliseconds per article. It asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from crawler.extract.repeats import LearnedRepeats
from crawler.store.catalog import open_catalog

APPEALS = [
    "Support independent reporting from the valley with a monthly gift today.",
    "Forward this story to a neighbour who would want to read it.",
    "Tips about the council reach the newsroom through the form on our contact page.",
]


def articles(n: int, sites: int, paragraphs: int, seed: int = 1):
    rnd = random.Random(seed)
    words = [f"w{i}" for i in range(5000)]
    for i in range(n):
        own = [" ".join(rnd.choices(words, k=rnd.randint(15, 60))) for _ in range(paragraphs)]
        text = "\n".join(own + APPEALS)
        paths = ["article>p"] * paragraphs + ["article>div.appeal>p"] * len(APPEALS)
        yield f"site{i % sites}.example", f"article-{i:06d}", text, paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--paragraphs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-repeats-") as tmp:
        catalog = open_catalog(Path(tmp) / "catalog.sqlite")
        repeats = LearnedRepeats(catalog)
        docs = list(articles(args.articles, args.sites, args.paragraphs))
        removed = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for site, aid, text, paths in docs:
            extraction = {"text": text, "paragraph_paths": paths}
            repeats.apply_to_extraction(extraction, site, aid)
            removed += len(extraction.get("boilerplate_removed") or [])
        if hasattr(repeats, "flush"):
            repeats.flush()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        catalog.close()
    print(
        f"{args.articles} articles x {args.paragraphs + len(APPEALS)} paragraphs, "
        f"{args.sites} sites: {1000 * cpu / args.articles:.3f} ms CPU, "
        f"{1000 * wall / args.articles:.3f} ms wall per article; "
        f"{removed} paragraphs removed as repeats"
    )


if __name__ == "__main__":
    main()
