"""The block classifier's threshold curve on the validation pages (`quality.py --curve`).

One in-process pass per page (trafilatura, the rules, the model's probabilities), then for
each threshold the text the stage would keep: macro P/R/F1 per gold corpus, boilerplate
blocks removed and article words lost (blocks labelled by the gold), and the realworld
must-include snippets found. Shows where precision and recall bend.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.corpora import GoldIndex, tokens

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)  # 1.01: the rules alone


@dataclass
class Scored:
    paragraphs: list[str]
    probs: list[float]
    by_rules: set[int]
    blocks: list  # blocks.PageBlock: their DOM context, for the container threshold
    kinds: list  # the rules' kind of each block (boilerplate.classify)


def score_page(html: bytes, url: str | None) -> Scored:
    from bench.train_blocks import segment
    from crawler.extract.block_features import page_features
    from crawler.extract.blocks import page_blocks
    from crawler.extract.boilerplate import classify, rule_removals
    from crawler.extract.classifier import default_model

    tree, paragraphs, titles = segment(html, url)
    kinds = [classify(p) for p in paragraphs]
    removed = rule_removals(paragraphs, titles, kinds=kinds)
    blocks = page_blocks(tree, paragraphs)
    probs = default_model().probabilities(page_features(blocks, kinds, removed))
    return Scored(paragraphs, probs, set(removed), blocks, kinds)


def kept_at(s: Scored, threshold: float, container: float) -> tuple[list[str], list[str]]:
    from crawler.extract.classifier import model_removals

    by_model = model_removals(s.probs, s.blocks, s.kinds, s.by_rules, threshold, container)
    gone = s.by_rules | set(by_model)
    if len(gone) == len(s.paragraphs):  # all boilerplate: the page's content
        gone = set()
    return (
        [p for i, p in enumerate(s.paragraphs) if i not in gone],
        [p for i, p in enumerate(s.paragraphs) if i in gone],
    )


def print_curve(pages) -> None:
    """`pages`: quality.Page objects (realworld with snippets, gold corpora with gold)."""
    from bench.quality import Score, score_against_gold
    from crawler.extract.classifier import default_model

    scored = [(page, score_page(page.html, page.url)) for page in pages]
    container = default_model().container_threshold
    datasets = sorted({p.dataset for p, _ in scored if p.gold is not None})
    head = (
        f"{'threshold':>9} "
        + " ".join(f"{d + ' F1':>15}" for d in datasets)
        + f" {'boiler removed':>15} {'words lost':>11} {'realworld incl.':>16}"
    )
    print(
        "\n== block classifier threshold curve (validation pages; 1.01 = rules alone; blocks in"
        f" the article's container at max(threshold, {container:g})) =="
    )
    print(head)
    for t in THRESHOLDS:
        f1s = {d: [] for d in datasets}
        boiler = [0, 0]
        words = [0, 0]
        found = total = 0
        for page, s in scored:
            kept, gone = kept_at(s, t, max(t, container))
            text = "\n".join(kept)
            if page.gold is not None:
                score = Score()
                score_against_gold(text, page.gold, score)
                f1s[page.dataset].append(score.f1)
                gold = GoldIndex(page.gold)
                for blocks, removed in ((kept, 0), (gone, 1)):
                    for b in blocks:
                        if gold.is_article(b):
                            n = len(tokens(b))
                            words[0] += n
                            words[1] += n * removed
                        elif b.strip():
                            boiler[0] += 1
                            boiler[1] += removed
            for snippet in page.must_include:
                total += 1
                found += bool(text) and snippet in text
        print(
            f"{t:9.2f} "
            + " ".join(f"{statistics.fmean(f1s[d]):15.4f}" for d in datasets)
            + f" {boiler[1] / max(1, boiler[0]):15.1%} {words[1] / max(1, words[0]):11.2%}"
            + f" {found:>9}/{total}"
        )
