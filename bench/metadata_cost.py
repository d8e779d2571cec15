"""Per-document CPU of `extract_html` on the shared benchmark pages, and what metadata costs.

    python bench/metadata_cost.py [--pages 200] [--repeat 3] [--profile]

Pages: ../shared/bench (trafilatura real-world, Readability/WCEB, L3S-GN1, Dragnet HTML),
the first --pages of them in a fixed order. Prints CPU milliseconds per document for
`extract_html` (the median of --repeat passes, one process, one core) and for the metadata
step alone (trafilatura's `extract_metadata` with its defaults, the way `bare_extraction`
ran it before, and ours), for all pages and split by whether the page states its date in
<meta>, JSON-LD or <time>; then what the metadata found, so a change can be checked for
cost and for sameness. --profile prints the top functions of one pass. Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import pstats
import statistics
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
GLOBS = (
    "trafilatura-realworld/cache/*.html",
    "wceb/readability/html/*.html.gz",
    "l3s-gn1/html/*",
    "dragnet/html/*",
)


def load_pages(limit: int) -> list[bytes]:
    per_glob = max(1, limit // len(GLOBS))
    pages: list[bytes] = []
    for pattern in GLOBS:
        for path in sorted(SHARED.glob(pattern))[:per_glob]:
            data = path.read_bytes()
            pages.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return pages


def cpu_per_doc(fn, make_docs, repeat: int) -> float:
    """Median over `repeat` passes of CPU ms per document; `make_docs()` (not timed) gives
    fresh documents for each pass (a step may prune the tree it is given)."""
    runs = []
    for _ in range(repeat):
        docs = make_docs()
        start = time.process_time()
        for doc in docs:
            fn(doc)
        runs.append((time.process_time() - start) / len(docs))
    return 1000 * statistics.median(runs)


def main() -> None:
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    from crawler.extract.metadata import page_dates
    from crawler.extract.trafilatura_extractor import decode_html, extract_html

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    texts = [decode_html(p) for p in load_pages(args.pages)]
    url = "https://news.example/story.html"
    for text in texts[:5]:
        extract_html(text, url)  # warm caches and imports
    try:  # absent before the change this measures
        from crawler.extract.metadata import page_date_evidence
        from crawler.extract.page_metadata import page_metadata

        def ours_metadata(tree) -> None:
            page_metadata(tree, url, page_date_evidence(tree))
    except ImportError:
        ours_metadata = None
    dated = [t for t in texts if page_dates(load_html(t))[0]]
    undated = [t for t in texts if t not in dated]
    for name, group in (("all", texts), ("dated in markup", dated), ("undated", undated)):
        if not group:
            continue
        whole = cpu_per_doc(lambda t: extract_html(t, url), lambda g=group: g, args.repeat)
        trees = lambda g=group: [load_html(t) for t in g]  # noqa: E731
        theirs = cpu_per_doc(lambda tree: extract_metadata(tree, url), trees, args.repeat)
        line = (
            f"{name}: {len(group)} pages: extract_html {whole:.1f} ms CPU/doc; "
            f"trafilatura extract_metadata (defaults) {theirs:.1f} ms"
        )
        if ours_metadata is not None:
            ours = cpu_per_doc(ours_metadata, trees, args.repeat)
            line += f"; ours (page_metadata) {ours:.1f} ms"
        print(line)
    found = [extract_html(t, url) for t in texts]
    print(
        "found: title {}, authors {}, published {}, site_name {}, categories {}, tags {}".format(
            *(
                sum(bool(getattr(e, f)) for e in found)
                for f in ("title", "authors", "published", "site_name", "categories", "tags")
            )
        )
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for text in texts:
            extract_html(text, url)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
