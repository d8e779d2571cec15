"""Choose the block classifier's thresholds and C on the development split, not the validation
split (the validation figures of bench/quality.py stay unseen).

    python bench/calibrate_blocks.py [--data DIR] [--cache FILE] [--c 0.25,0.5,1]

For each C: a model trained on the training part minus its development part
(bench/corpora.is_development), with the appeal corpus' fold-0 templates held out; then, on
the development pages, for each (threshold, container threshold) of the grid: macro F1 per
corpus (4-token shingles, as quality.py), boilerplate blocks removed and article words lost
(blocks labelled by the gold text), and on the development pages with the held-out appeals
and hard negatives inserted: appeals removed, negatives lost. The container threshold is
the one for blocks in the article's own container (classifier.model_removals); where it
equals the threshold there is no such guard. Prints the curve; writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.appeals import generate  # noqa: E402
from bench.corpora import GoldIndex, is_development, tokens  # noqa: E402
from bench.quality import Score, score_against_gold  # noqa: E402
from bench.train_blocks import (  # noqa: E402
    DEFAULT_DATA,
    ScoredPage,
    augmented,
    fit,
    load_segmented,
    score_pages,
    training_set,
)

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
CONTAINER = (0.9, 0.95, 0.98, 0.99)
HELD_FOLD = 0
DATASETS = ("l3s-gn1", "dragnet", "readability")


def corpus_figures(scored: list[ScoredPage], t: float, h: float) -> tuple[dict, float, float]:
    """(dataset -> macro F1, boilerplate blocks removed, article words lost)."""
    f1s: dict[str, list[float]] = {}
    boiler, words = [0, 0], [0, 0]
    for s in scored:
        gone = s.removed(t, h)
        texts = [b.text for b in s.page.blocks]
        if len(gone) == len(texts):  # all boilerplate: the page's content (keep_content)
            gone = set()
        score = Score()
        kept = "\n".join(x for i, x in enumerate(texts) if i not in gone)
        score_against_gold(kept, s.page.gold, score)
        f1s.setdefault(s.page.id.split("/")[0], []).append(score.f1)
        gold = GoldIndex(s.page.gold)
        for i, text in enumerate(texts):
            if gold.is_article(text):
                n = len(tokens(text))
                words[0] += n
                words[1] += n * (i in gone)
            elif text.strip():
                boiler[0] += 1
                boiler[1] += i in gone
    return (
        {d: statistics.fmean(v) for d, v in sorted(f1s.items())},
        boiler[1] / max(1, boiler[0]),
        words[1] / max(1, words[0]),
    )


def appeal_figures(scored: list[ScoredPage], t: float, h: float) -> tuple[float, float]:
    """(held-out appeals removed, hard negatives lost)."""
    counts = {"appeal": [0, 0], "negative": [0, 0]}
    for s in scored:
        gone = s.removed(t, h)
        for i, snippet in enumerate(s.page.snippet):
            if snippet is not None:
                c = counts["negative" if snippet.kind == "negative" else "appeal"]
                c[0] += 1
                c[1] += i in gone
    return tuple(gone / max(1, n) for n, gone in counts.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None, help="as train_blocks.py --cache")
    parser.add_argument("--c", default="0.5", help="comma-separated values of C (0.5)")
    args = parser.parse_args(argv)
    if not (args.data / "l3s-gn1").is_dir():
        print(f"no training data under {args.data}")
        return 1
    train, _, fixtures = load_segmented(args.data, args.cache)  # the validation part unused
    dev = [p for p in train if is_development(p.group)]
    rest = [p for p in train if not is_development(p.group)]
    snippets = generate()
    seen = [s for s in snippets if s.fold != HELD_FOLD]
    held = [s for s in snippets if s.fold == HELD_FOLD]
    print(
        f"{len(rest)} training pages, {len(dev)} development pages, appeal templates of fold "
        f"{HELD_FOLD} held out ({len(held)} snippets)",
        flush=True,
    )
    for c in (float(x) for x in args.c.split(",")):
        fitted = fit(training_set(rest, fixtures, seen), c)
        plain = score_pages(fitted, dev)
        with_appeals = score_pages(fitted, augmented(dev, held, copies=1, seed="dev/held"))
        print(f"\nC={c:g}: threshold, container threshold, development figures")
        print(
            f"{'t':>5} {'h':>5} {'l3s F1':>7} {'dragnet':>7} {'readab.':>7} {'mean':>7} "
            f"{'boiler':>7} {'lost':>6} {'appeals':>7} {'neg.':>6}"
        )
        for t in (*THRESHOLDS, 1.01):  # 1.01: the rules alone
            for h in (t, *(x for x in CONTAINER if x > t)):
                f1, boiler, lost = corpus_figures(plain, t, h)
                appeals, negatives = appeal_figures(with_appeals, t, h)
                print(
                    f"{t:5.2f} {h:5.2f} "
                    + " ".join(f"{f1.get(d, 0):7.4f}" for d in DATASETS)
                    + f" {statistics.fmean(f1.values()):7.4f} {boiler:7.1%} {lost:6.2%}"
                    f" {appeals:7.1%} {negatives:6.2%}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
