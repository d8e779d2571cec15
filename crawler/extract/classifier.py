"""The learned block classifier: which blocks of the article container are boilerplate.

A linear model (logistic regression) over the hashed features of `block_features.py`,
trained by bench/train_blocks.py on the development corpora and our own appeal corpus;
inference is a sum of weights, so numpy is all it needs. The phrase rules of
`boilerplate.py` are one voice in it (features) and a high-precision override: a block
the rules remove is removed whatever the model says. What the model removes on its own is
reported with layer "learned" and the kind its second head names, for the audit.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from crawler.extract.block_features import DIM, Vector, page_features
from crawler.extract.blocks import PageBlock, page_blocks
from crawler.extract.boilerplate import (
    _ADDRESS,  # the rules' "addresses the reader"
    _LONG_BLOCK_WORDS,  # the rules' "a block longer than this never is boilerplate"
    _WORD,
    apply_removals,
    classify,
    rule_removals,
)

MODEL_DIR = Path(__file__).resolve().parent / "model"
LAYER = "learned"


@dataclass(frozen=True)
class BlockModel:
    version: str  # names the model in the record's `extractor` field
    threshold: float  # P(boilerplate) at or above which a block goes
    container_threshold: float  # the same, for a block in the article's own container
    weights: np.ndarray  # float32 [DIM]: boilerplate-vs-article log-odds per feature
    kinds: tuple[str, ...]  # the kind head's classes
    kind_weights: np.ndarray  # float32 [len(kinds), kind_dim]
    kind_mask: int  # feature index & kind_mask -> the kind head's column

    def probabilities(self, features: list[Vector]) -> list[float]:
        out = []
        for indices, values in features:
            z = float(self.weights[indices] @ np.asarray(values, dtype=np.float32))
            out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
        return out

    def kind(self, vector: Vector) -> str:
        indices, values = vector
        columns = np.asarray(indices) & self.kind_mask
        scores = self.kind_weights[:, columns] @ np.asarray(values, dtype=np.float32)
        return self.kinds[int(scores.argmax())]


def load_model(directory: Path | Traversable | None = None) -> BlockModel:
    """The model of `directory` (blocks.json: version, threshold, kinds; blocks.npz: the
    weights as float16, widened here); by default the one shipped in the package, read
    through importlib.resources (inside a zip or a scrapyd egg it is not a folder)."""
    directory = directory or resources.files("crawler.extract") / "model"
    meta = json.loads((directory / "blocks.json").read_text(encoding="utf-8"))
    arrays = np.load(io.BytesIO((directory / "blocks.npz").read_bytes()))
    weights = arrays["weights"].astype(np.float32)
    if weights.shape != (DIM,):
        raise ValueError(
            f"{directory}: weights for {weights.shape} features, the code "
            f"hashes into {DIM}: retrain with bench/train_blocks.py"
        )
    kind_weights = arrays["kind_weights"].astype(np.float32)
    return BlockModel(
        meta["version"],
        float(meta["threshold"]),
        float(meta["container_threshold"]),
        weights,
        tuple(meta["kinds"]),
        kind_weights,
        kind_weights.shape[1] - 1,
    )


@lru_cache(maxsize=1)
def default_model() -> BlockModel:
    return load_model()


def removes(probability: float, text: str, threshold: float) -> bool:
    """Whether the model removes a block: P(boilerplate) at or above the threshold, long
    blocks excepted as in the rules (in-container boilerplate is short; a long block the
    model doubts is article text more often than not)."""
    return probability >= threshold and len(_WORD.findall(text)) <= _LONG_BLOCK_WORDS


# A kept block this long is article text whose DOM context marks the article's container.
_ARTICLE_WORDS = 8


def model_removals(
    probabilities: list[float],
    blocks: list[PageBlock],
    rule_kinds: list[str | None],
    by_rules: dict[int, str] | set[int],
    threshold: float,
    container_threshold: float,
) -> list[int]:
    """The blocks the model removes on its own (`removes`), in order. A block in the same
    DOM context (element and ancestors: tags, classes, ids) as a kept article block goes
    only at `container_threshold`, unless the rules half agree (they name a kind for it,
    `rule_kinds`, or it addresses the reader): the model alone does not take a paragraph
    out of the article's own container unless it is very sure. What it lost on
    trafilatura's real-world pages were such paragraphs (closing lines, short German
    sentences), while the navigation and related links it gains on sit in containers of
    their own, and appeals mostly speak to the reader."""
    texts = [b.text for b in blocks]
    candidates = [
        i
        for i, p in enumerate(probabilities)
        if i not in by_rules and removes(p, texts[i], threshold)
    ]
    gone = set(by_rules) | set(candidates)
    article = {
        b.context
        for i, b in enumerate(blocks)
        if i not in gone and b.context and len(_WORD.findall(b.text)) >= _ARTICLE_WORDS
    }
    return [
        i
        for i in candidates
        if probabilities[i] >= container_threshold
        or blocks[i].context not in article
        or rule_kinds[i]
        or _ADDRESS.search(texts[i])
    ]


def apply_block_model(
    tree,
    paragraphs: list[str],
    titles: list[str],
    authors: list[str],
    *,
    known_boilerplate: bool = False,
    model: BlockModel | None = None,
    index: dict[str, object] | None = None,
) -> tuple[list[str], list[dict], list[str]]:
    """(kept paragraphs, removals, authors): the rules' removals plus the blocks the model
    removes (`removes`). `tree`: the parsed page (for the blocks' DOM context; `index`: its
    `blocks.element_index`, when built already), the rest as
    `boilerplate.apply_generic_rules`."""
    model = model or default_model()
    kinds = [classify(p) for p in paragraphs]
    removed = rule_removals(paragraphs, titles, known_boilerplate=known_boilerplate, kinds=kinds)
    blocks = page_blocks(tree, paragraphs, index)
    features = page_features(blocks, kinds, removed)
    probabilities = model.probabilities(features)
    layers: dict[int, str] = {}
    for i in model_removals(
        probabilities, blocks, kinds, removed, model.threshold, model.container_threshold
    ):
        removed[i], layers[i] = model.kind(features[i]), LAYER
    return apply_removals(paragraphs, removed, authors, layers)
