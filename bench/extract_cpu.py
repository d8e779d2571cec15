"""CPU per document of the extraction, in one process, same pages, side by side:

    python bench/extract_cpu.py [--data DIR] [--rounds 3] [--limit N]

  ours                 crawler.extract extract_html (boilerplate stage on, no site rules)
  bare, our arguments  trafilatura.bare_extraction as extract_html calls it
  bare, defaults       trafilatura.bare_extraction(tree, url=url, with_metadata=True)
over the realworld pages and every gold corpus page (bench/corpora.py). Process CPU time
(user + system), the median of `rounds` passes after a warm-up pass, interleaved.
To measure another checkout's `crawler` (e.g. before a change), put it first on
PYTHONPATH: the script imports the package from wherever Python finds it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.append(str(REPO))  # after PYTHONPATH: a checkout given there wins

DEFAULT_DATA = REPO.parent / "shared" / "bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"extraction CPU benchmark skipped: no data under {args.data}")
        return 0
    import trafilatura
    from trafilatura.utils import load_html

    import crawler.extract.trafilatura_extractor as ours
    from bench.corpora import load_gold_pages

    realworld = sorted((args.data / "trafilatura-realworld" / "cache").glob("*.html"))
    pages: list[tuple[bytes, str | None]] = [(path.read_bytes(), None) for path in realworld]
    pages += [(g.html, g.url) for g in load_gold_pages(args.data)]
    pages = pages[: args.limit]
    our_args = getattr(
        ours,
        "TRAFILATURA_ARGS",
        dict(with_metadata=True, include_comments=False, include_tables=True, deduplicate=False),
    )

    def run_ours(html, url):
        ours.extract_html(html, url)

    def bare(kwargs):
        def run(html, url):
            trafilatura.bare_extraction(load_html(ours.decode_html(html)), url=url, **kwargs)

        return run

    systems = {
        "ours": run_ours,
        "bare, our arguments": bare(our_args),
        "bare, defaults": bare({"with_metadata": True}),
    }
    times: dict[str, list[float]] = {name: [] for name in systems}
    for rnd in range(args.rounds + 1):
        for name, run in systems.items():
            start = time.process_time()
            for html, url in pages:
                run(html, url)
            if rnd:  # round 0 is the warm-up
                times[name].append(time.process_time() - start)
    print(
        f"crawler from {Path(ours.__file__).parents[2]}; {len(pages)} pages; trafilatura "
        f"{trafilatura.__version__}; median of {args.rounds} rounds"
    )
    for name, values in times.items():
        print(f"  {name:22} {1000 * statistics.median(values) / len(pages):6.1f} ms CPU/doc")
    return 0


if __name__ == "__main__":
    sys.exit(main())
