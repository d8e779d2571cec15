"""A near-duplicate test set: the same wire story with edits at several distances, plus
different stories that share a wire template, and the pairwise precision and recall of a
clustering over it. Used by tests/test_near_duplicates.py and bench/dedup.py.

Stories are drawn from a Zipf-weighted vocabulary (common words recur across stories, as
in real text), deterministically from a seed. Variants of each story, in the order a
crawl would meet them (the original first):

    typo       two words replaced                       duplicate
    edit-2     2% of the words replaced                 duplicate
    lede       a new first sentence and dateline         duplicate
    trim       the last paragraph cut                   duplicate
    footer     a site's own sign-off appended           duplicate
    edit-5     5% of the words replaced                 duplicate (the hard end)
    edit-15    15% of the words replaced                not a duplicate: a rewrite
    edit-40    40% of the words replaced                not a duplicate
    template   another story in the same wire template  not a duplicate
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

DUPLICATE_KINDS = ("typo", "edit-2", "lede", "trim", "footer", "edit-5")
OTHER_KINDS = ("edit-15", "edit-40", "template")


@dataclass(frozen=True)
class Item:
    key: str
    story: int  # the original it derives from
    kind: str  # "original" or a variant kind
    text: str

    @property
    def duplicate_of_original(self) -> bool:
        return self.kind == "original" or self.kind in DUPLICATE_KINDS


def _vocabulary(rng: random.Random, size: int = 4000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = sorted({"".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(size)})
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    rng.shuffle(words)
    return words, weights


def _paragraph(rng, words, weights, n: int) -> str:
    return " ".join(rng.choices(words, weights, k=n)).capitalize() + "."


def _replace(rng, text: str, share: float, words, weights) -> str:
    tokens = text.split(" ")
    for i in rng.sample(range(len(tokens)), max(1, round(len(tokens) * share))):
        tokens[i] = rng.choices(words, weights)[0]
    return " ".join(tokens)


def build_set(stories: int = 20, seed: int = 14, paragraphs: int = 8) -> list[Item]:
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    intro = _paragraph(rng, words, weights, 30)  # the wire's boilerplate intro and sign-off
    outro = _paragraph(rng, words, weights, 20)
    items: list[Item] = []
    for story in range(stories):
        body = [_paragraph(rng, words, weights, rng.randint(35, 60)) for _ in range(paragraphs)]
        original = "\n".join([intro, *body, outro])
        other = [_paragraph(rng, words, weights, rng.randint(35, 60)) for _ in range(paragraphs)]
        variant = {
            "typo": _replace(rng, original, 2 / len(original.split()), words, weights),
            "edit-2": _replace(rng, original, 0.02, words, weights),
            "lede": _paragraph(rng, words, weights, 25) + "\n" + original,
            "trim": "\n".join(original.split("\n")[:-2] + [outro]),
            "footer": original + "\n" + _paragraph(rng, words, weights, 30),
            "edit-5": _replace(rng, original, 0.05, words, weights),
            "edit-15": _replace(rng, original, 0.15, words, weights),
            "edit-40": _replace(rng, original, 0.40, words, weights),
            "template": "\n".join([intro, *other, outro]),
        }
        items.append(Item(f"s{story}/original", story, "original", original))
        kinds = list(variant)
        rng.shuffle(kinds)  # the original first, its variants in any order
        items += [Item(f"s{story}/{kind}", story, kind, variant[kind]) for kind in kinds]
    return items


def true_pairs(items: list[Item]) -> set[frozenset[str]]:
    """Pairs that are near-duplicates: both are the original or a duplicate variant of it."""
    groups: dict[int, list[str]] = {}
    for item in items:
        if item.duplicate_of_original:
            groups.setdefault(item.story, []).append(item.key)
    return {frozenset(p) for keys in groups.values() for p in itertools.combinations(keys, 2)}


def marked_pairs(clusters: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, list[str]] = {}
    for key, cluster in clusters.items():
        members.setdefault(cluster, []).append(key)
    return {frozenset(p) for keys in members.values() for p in itertools.combinations(keys, 2)}


def precision_recall(items: list[Item], clusters: dict[str, str]) -> dict:
    """Pairwise precision and recall of `clusters` (key -> cluster id), and per variant
    kind the share of variants put in their original's cluster."""
    truth, marked = true_pairs(items), marked_pairs(clusters)
    hits = len(truth & marked)
    originals = {i.story: clusters[i.key] for i in items if i.kind == "original"}
    joined: dict[str, list[bool]] = {}
    for item in items:
        if item.kind != "original":
            joined.setdefault(item.kind, []).append(clusters[item.key] == originals[item.story])
    return {
        "precision": hits / len(marked) if marked else 1.0,
        "recall": hits / len(truth) if truth else 1.0,
        "pairs": {"true": len(truth), "marked": len(marked), "both": hits},
        "joined_original": {k: sum(v) / len(v) for k, v in sorted(joined.items())},
    }
