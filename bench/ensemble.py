"""Would a per-block vote of extractors make a better container? (issue 11, item 5)

    python bench/ensemble.py [--data DIR]

On the validation pages of the gold corpora (bench/corpora.py), one process: trafilatura
(our arguments), readability-lxml and jusText as trafilatura ships them
(trafilatura.external), and votes over their blocks (a block = one paragraph of text,
matched across systems by its normalised words):
  vote 2 of 3     blocks at least two systems keep;
  traf + (R & J)  trafilatura's blocks plus those both others keep (recall);
  traf + R        trafilatura's blocks plus readability's;
Prints macro F1 / P / R per corpus and CPU ms per document of each system. Measurement
only: nothing here is used by the crawler.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from copy import deepcopy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.corpora import load_gold_pages, tokens  # noqa: E402
from bench.quality import Score, score_against_gold  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "bench"
_BLOCK_TAGS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "td",
    "dd",
    "div",
}


def element_blocks(element) -> list[str]:
    """Paragraph texts of an extractor's output element (leaf-most block elements)."""
    if element is None:
        return []
    out = []
    for el in element.iter():
        if not isinstance(el.tag, str) or el.tag not in _BLOCK_TAGS:
            continue
        if any(isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el.iterdescendants()):
            continue
        text = " ".join("".join(el.itertext()).split())
        if text:
            out.append(text)
    return out


def systems(html: bytes, url: str | None) -> dict[str, tuple[list[str], float]]:
    import trafilatura
    from trafilatura.external import basic_cleaning, try_justext, try_readability
    from trafilatura.utils import load_html

    from crawler.extract.trafilatura_extractor import TRAFILATURA_ARGS, decode_html, main_text

    tree = load_html(decode_html(html))
    out = {}
    t = time.process_time()
    doc = trafilatura.bare_extraction(deepcopy(tree), url=url, **TRAFILATURA_ARGS)
    text = main_text(doc) if doc is not None else ""
    out["trafilatura"] = ([p for p in text.split("\n") if p.strip()], time.process_time() - t)
    t = time.process_time()
    try:
        readability = element_blocks(try_readability(deepcopy(tree)))
    except Exception:  # noqa: BLE001 - a failed extractor votes for nothing
        readability = []
    out["readability"] = (readability, time.process_time() - t)
    t = time.process_time()
    try:
        # as trafilatura's own justext_rescue calls it; the corpora are English
        justext = element_blocks(try_justext(basic_cleaning(deepcopy(tree)), url, "en"))
    except Exception:  # noqa: BLE001
        justext = []
    out["justext"] = (justext, time.process_time() - t)
    return out


def key(block: str) -> str:
    return " ".join(tokens(block))


def vote(parts: dict[str, list[str]], need: int, base: str | None = None) -> list[str]:
    """Blocks that at least `need` systems keep, in the order of their first appearance
    (trafilatura's first); with `base`, all of that system's blocks too."""
    votes: dict[str, int] = {}
    first: dict[str, str] = {}
    for blocks in parts.values():
        for k in {key(b) for b in blocks}:
            votes[k] = votes.get(k, 0) + 1
    for blocks in parts.values():
        for b in blocks:
            first.setdefault(key(b), b)
    kept = {k for k, n in votes.items() if n >= need}
    if base:
        kept |= {key(b) for b in parts[base]}
    return [b for k, b in first.items() if k in kept and k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    pages = [p for p in load_gold_pages(args.data) if p.validation] if args.data.is_dir() else []
    if not pages:
        print(f"ensemble benchmark skipped: no gold corpora under {args.data}")
        return 0
    names = ("trafilatura", "readability", "justext", "vote 2 of 3", "traf + (R & J)", "traf + R")
    figures: dict[str, dict[str, list[Score]]] = {}
    cpu = {n: 0.0 for n in names[:3]}
    for page in pages:
        got = systems(page.html, page.url)
        parts = {n: blocks for n, (blocks, _) in got.items()}
        for n, (_, seconds) in got.items():
            cpu[n] += seconds
        texts = {
            **{n: parts[n] for n in parts},
            "vote 2 of 3": vote(parts, 2),
            "traf + (R & J)": vote(
                {
                    "readability": parts["readability"],
                    "justext": parts["justext"],
                    "trafilatura": parts["trafilatura"],
                },
                3,
                base="trafilatura",
            ),
        }
        # R & J without trafilatura: blocks both others keep, plus trafilatura's own
        both = {key(b) for b in parts["readability"]} & {key(b) for b in parts["justext"]}
        texts["traf + (R & J)"] = parts["trafilatura"] + [
            b
            for b in parts["readability"]
            if key(b) in both and key(b) not in {key(t) for t in parts["trafilatura"]}
        ]
        texts["traf + R"] = parts["trafilatura"] + [
            b for b in parts["readability"] if key(b) not in {key(t) for t in parts["trafilatura"]}
        ]
        for n in names:
            score = Score()
            score_against_gold("\n".join(texts[n]), page.gold, score)
            figures.setdefault(page.dataset, {}).setdefault(n, []).append(score)
    print(f"{len(pages)} validation pages; macro F1 (P / R)")
    for dataset, by_name in sorted(figures.items()):
        print(f"\n{dataset} ({len(by_name['trafilatura'])} pages)")
        for n in names:
            s = by_name[n]
            print(
                f"  {n:16} F1 {statistics.fmean(x.f1 for x in s):.4f}  "
                f"(P {statistics.fmean(x.p for x in s):.4f} / "
                f"R {statistics.fmean(x.r for x in s):.4f})"
            )
    print("\nCPU ms/doc: " + ", ".join(f"{n} {1000 * c / len(pages):.1f}" for n, c in cpu.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
