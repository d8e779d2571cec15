"""Train the block classifier (crawler/extract/classifier.py) and write its model files.

    pip install -e '.[train]'
    python bench/train_blocks.py [--data DIR] [--out DIR] [--cache FILE]
    python bench/train_blocks.py --appeals      # leave-templates-out figures, writes nothing
    python bench/train_blocks.py --check        # train twice, compare the bytes

Training data, all from the training part of the split (bench/corpora.py; the validation
part is only ever scored):
- L3S-GN1, Dragnet, Readability pages: trafilatura's blocks, labelled by aligning them with
  the gold text (bench/corpora.GoldIndex);
- the boilerplate fixture pages (tests/fixtures/boilerplate): their expected removals;
- our appeal corpus (bench/appeals.py) inserted into the corpus pages at the end, in the
  middle and after the first paragraph, with hard negatives inserted as article text.
Deterministic: sorted inputs, seeded generators, liblinear with a fixed seed, and a zip
written with fixed timestamps; the model's version is a hash of its weights.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import pickle
import random
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.appeals import Snippet, generate  # noqa: E402
from bench.corpora import GoldIndex, GoldPage, load_gold_pages, tokens  # noqa: E402
from crawler.extract.block_features import DIM, Vector, page_features  # noqa: E402
from crawler.extract.blocks import PageBlock, page_blocks  # noqa: E402
from crawler.extract.boilerplate import classify, rule_removals  # noqa: E402
from crawler.extract.classifier import model_removals  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "bench"
MODEL_DIR = REPO / "crawler" / "extract" / "model"
FIXTURES = REPO / "tests" / "fixtures" / "boilerplate"
KIND_BITS = 14
# Chosen on the development split (bench/calibrate_blocks.py; bench/README.md has the grid):
# the highest mean F1 over the three corpora with at most 1% of the held-out hard negatives
# lost. C: inverse L2 strength (0.25 over 0.5: +0.002 mean F1, 1.27% vs 1.82% words lost);
# THRESHOLD: P(boilerplate) at which the model removes a block; CONTAINER_THRESHOLD: the
# same for a block in the article's own container (classifier.model_removals).
C = 0.25
THRESHOLD = 0.8
CONTAINER_THRESHOLD = 0.95
ARTICLE, BOILERPLATE = 0, 1
OTHER = "other"  # boilerplate the corpora label without a kind: navigation, link lists...


@dataclass
class Page:
    """One page as the classifier sees it: its blocks and their labels."""

    id: str
    blocks: list[PageBlock]
    titles: list[str]
    labels: list[int]  # ARTICLE / BOILERPLATE
    kinds: list[str | None]  # the boilerplate kind where known
    snippet: list[Snippet | None] = field(default_factory=list)  # inserted appeal/negative
    group: str = ""  # the split's key (bench/corpora.py); "" for the fixture pages
    gold: str = ""  # the corpus' article text, for scoring (bench/calibrate_blocks.py)


def segment(html: bytes, url: str | None) -> tuple[object, list[str], list[str]]:
    """(tree, paragraphs, titles) exactly as extract_html gets them."""
    from trafilatura.utils import load_html

    from crawler.extract.metadata import declared_titles
    from crawler.extract.trafilatura_extractor import article_container, decode_html, main_text

    tree = load_html(decode_html(html))
    if tree is None:
        return None, [], []
    titles = declared_titles(tree)
    doc = article_container(tree, url)
    text = main_text(doc) if doc is not None else ""
    return tree, (text.split("\n") if text else []), titles


def corpus_page(gp: GoldPage) -> Page:
    tree, paragraphs, titles = segment(gp.html, gp.url)
    gold = GoldIndex(gp.gold)
    labels = [ARTICLE if gold.is_article(p) else BOILERPLATE for p in paragraphs]
    kinds = [None if lab == ARTICLE else OTHER for lab in labels]
    return Page(
        f"{gp.dataset}/{gp.id}",
        page_blocks(tree, paragraphs),
        titles,
        labels,
        kinds,
        [None] * len(paragraphs),
        gp.group,
        gp.gold,
    )


def fixture_pages() -> list[Page]:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    pages = []
    for name in sorted(expected):
        want = expected[name]
        tree, paragraphs, titles = segment((FIXTURES / "pages" / name).read_bytes(), want["url"])
        removed = {r["text"]: r["kind"] for r in want["removed"]}
        labels = [BOILERPLATE if p in removed else ARTICLE for p in paragraphs]
        kinds = [removed.get(p) for p in paragraphs]
        pages.append(
            Page(
                f"fixture/{name}",
                page_blocks(tree, paragraphs),
                titles,
                labels,
                kinds,
                [None] * len(paragraphs),
            )
        )
    return pages


def load_segmented(data: Path, cache: Path | None) -> tuple[list[Page], list[Page], list[Page]]:
    """(corpus training pages, corpus validation pages, fixture pages)."""
    if cache and cache.is_file():
        return pickle.loads(cache.read_bytes())
    train, valid = [], []
    for gp in load_gold_pages(data):
        (valid if gp.validation else train).append(corpus_page(gp))
    result = (train, valid, fixture_pages())
    if cache:
        cache.write_bytes(pickle.dumps(result))
    return result


# -- the appeal corpus, inserted --------------------------------------------------------------


def insert_snippets(
    page: Page, appeals: list[Snippet], negatives: list[Snippet], rng: random.Random
) -> Page:
    """A copy of `page` with the appeals at realistic places (a run at the end, one after
    the first paragraph, one in the middle) and the hard negatives among the article
    paragraphs. An inserted block takes the DOM context of the article paragraph beside it:
    the hard case, an appeal written into the article's own container."""
    blocks, labels = list(page.blocks), list(page.labels)
    kinds, snippets = list(page.kinds), list(page.snippet)
    article = [i for i, lab in enumerate(labels) if lab == ARTICLE]
    if not article:
        return page

    def put(at: int, snippet: Snippet, like: int) -> None:
        neighbour = blocks[like]
        link = 1.0 if snippet.kind == "related" and rng.random() < 0.5 else 0.0
        blocks.insert(at, PageBlock(snippet.text, neighbour.context, link))
        negative = snippet.kind == "negative"
        labels.insert(at, ARTICLE if negative else BOILERPLATE)
        kinds.insert(at, None if negative else snippet.kind)
        snippets.insert(at, snippet)

    for snippet in negatives:
        j = rng.choice(article)
        put(j + 1, snippet, j)
        article = [i for i, lab in enumerate(labels) if lab == ARTICLE]
    for n, snippet in enumerate(appeals):
        article = [i for i, lab in enumerate(labels) if lab == ARTICLE]
        place = rng.random() if n else 0.0  # the first of a page: always at the end
        if place < 0.6:
            last = article[-1]
            put(last + 1 + rng.randint(0, min(2, len(blocks) - last - 1)), snippet, last)
        elif place < 0.8:
            put(article[0] + 1, snippet, article[0])
        else:
            j = article[len(article) // 2]
            put(j + 1, snippet, j)
    return Page(
        page.id + "+appeals", blocks, page.titles, labels, kinds, snippets, page.group, page.gold
    )


def augmented(pages: list[Page], snippets: list[Snippet], copies: int, seed: str) -> list[Page]:
    """`copies` copies of each page with snippets inserted, every snippet used in turn.
    Each appeal comes with a hard negative of its language: the corpora are English, and
    appeals alone would teach the model that German, French or Spanish is boilerplate."""
    rng = random.Random(seed)
    appeals = [s for s in snippets if s.kind != "negative"]
    negatives: dict[str, list[Snippet]] = {}
    for s in snippets:
        if s.kind == "negative":
            negatives.setdefault(s.lang, []).append(s)
    rng.shuffle(appeals)
    for group in negatives.values():
        rng.shuffle(group)
    out, a, n = [], 0, 0
    for copy in range(copies):
        for page in pages:
            k = rng.choice((1, 1, 2, 3))
            chosen = [appeals[(a + i) % len(appeals)] for i in range(k)]
            a += k
            neg = []
            for snippet in chosen:
                group = negatives.get(snippet.lang) or negatives.get("en") or []
                if group:
                    neg.append(group[n % len(group)])
                    n += 1
            out.append(
                insert_snippets(page, chosen, neg, random.Random(f"{seed}/{copy}/{page.id}"))
            )
    return out


# -- features and fitting ---------------------------------------------------------------------


def features_of(page: Page) -> tuple[list[Vector], dict[int, str]]:
    paragraphs = [b.text for b in page.blocks]
    rule_kinds = [classify(p) for p in paragraphs]
    removed = rule_removals(paragraphs, page.titles, kinds=rule_kinds)
    return page_features(page.blocks, rule_kinds, removed), removed


def matrix(rows: list[Vector], dim: int, mask: int | None = None):
    """The rows as a sparse matrix; `mask`: fold the indices into `mask + 1` columns (the
    kind head's), summing what lands on one column, as the inference does."""
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for cols, vals in rows:
        indices += [c & mask for c in cols] if mask is not None else cols
        data += vals
        indptr.append(len(indices))
    m = csr_matrix(
        (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(rows), dim),
    )
    m.sum_duplicates()
    return m


@dataclass
class Fitted:
    weights: np.ndarray  # float32 [DIM], the bias folded into the "bias" feature
    kinds: list[str]
    kind_weights: np.ndarray  # float32 [len(kinds), 2**KIND_BITS]

    def probabilities(self, rows: list[Vector]) -> np.ndarray:
        z = np.array(
            [self.weights[c] @ np.asarray(v, dtype=np.float32) for c, v in rows], dtype=np.float64
        )
        return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def fit(pages: list[Page], c: float = C) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    rows, labels, kind_rows, kind_labels = [], [], [], []
    for page in pages:
        feats, _ = features_of(page)
        rows += feats
        labels += page.labels
        for f, lab, kind in zip(feats, page.labels, page.kinds, strict=True):
            if lab == BOILERPLATE:
                kind_rows.append(f)
                kind_labels.append(kind or OTHER)
    # liblinear: deterministic for a fixed random_state; the "bias" feature is the intercept
    model = LogisticRegression(
        C=c, solver="liblinear", fit_intercept=False, random_state=0, max_iter=1000
    )
    model.fit(matrix(rows, DIM), np.array(labels))
    kinds = sorted(set(kind_labels))
    kind_model = LogisticRegression(C=c, solver="lbfgs", fit_intercept=False, max_iter=300)
    kind_model.fit(
        matrix(kind_rows, 1 << KIND_BITS, (1 << KIND_BITS) - 1),
        np.array([kinds.index(k) for k in kind_labels]),
    )
    kind_weights = kind_model.coef_.astype(np.float32)
    if len(kinds) == 2:  # binary: liblinear gives one row for the second class
        kind_weights = np.vstack([-kind_weights, kind_weights])
    # stored as float16: round here so that what is scored is what is shipped
    return Fitted(
        model.coef_[0].astype(np.float16).astype(np.float32),
        kinds,
        kind_weights.astype(np.float16).astype(np.float32),
    )


# -- evaluation -------------------------------------------------------------------------------


@dataclass
class ScoredPage:
    page: Page
    probabilities: list[float]
    by_rules: dict[int, str]
    rule_kinds: list[str | None]

    def removed(self, threshold: float, container_threshold: float) -> set[int]:
        """What the stage removes at these thresholds (rules and model)."""
        return set(self.by_rules) | set(
            model_removals(
                self.probabilities,
                self.page.blocks,
                self.rule_kinds,
                self.by_rules,
                threshold,
                container_threshold,
            )
        )


def score_pages(fitted: Fitted, pages: list[Page]) -> list[ScoredPage]:
    out = []
    for page in pages:
        feats, removed = features_of(page)
        probs = [float(p) for p in fitted.probabilities(feats)] if feats else []
        kinds = [classify(b.text) for b in page.blocks]
        out.append(ScoredPage(page, probs, removed, kinds))
    return out


def curve(scored: list[ScoredPage], thresholds) -> list[str]:
    """Blocks removed and article words lost at each threshold (the container threshold as
    shipped, or the threshold where that is lower)."""
    labelled = [(s, i) for s in scored for i in range(len(s.page.labels))]
    boiler = sum(1 for s, i in labelled if s.page.labels[i] == BOILERPLATE)
    words = sum(
        len(tokens(s.page.blocks[i].text)) for s, i in labelled if s.page.labels[i] == ARTICLE
    )
    lines = [
        f"  {'threshold':>9} {'boilerplate removed':>20} {'article words lost':>19} "
        f"{'precision':>9}"
    ]
    for t in thresholds:
        gone = [
            (s.page.labels[i], s.page.blocks[i].text)
            for s in scored
            for i in s.removed(t, max(t, CONTAINER_THRESHOLD))
        ]
        hit = sum(1 for lab, _ in gone if lab == BOILERPLATE)
        lost = sum(len(tokens(text)) for lab, text in gone if lab == ARTICLE)
        lines.append(
            f"  {t:9.2f} {hit / max(1, boiler):19.1%} {lost / max(1, words):18.2%} "
            f"{hit / max(1, len(gone)):9.3f}"
        )
    return lines


THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


# -- writing ----------------------------------------------------------------------------------


def model_bytes(fitted: Fitted) -> bytes:
    """The .npz (a zip of .npy files) with fixed timestamps, so equal weights give equal
    bytes (np.savez stamps the current time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, array in (
            ("weights", fitted.weights.astype(np.float16)),
            ("kind_weights", fitted.kind_weights.astype(np.float16)),
        ):
            npy = io.BytesIO()
            np.lib.format.write_array(npy, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, npy.getvalue())
    return buffer.getvalue()


def write_model(fitted: Fitted, out: Path, notes: dict) -> str:
    blob = model_bytes(fitted)
    version = "blocks-lr-" + hashlib.sha256(blob).hexdigest()[:12]
    out.mkdir(parents=True, exist_ok=True)
    (out / "blocks.npz").write_bytes(blob)
    meta = {
        "version": version,
        "threshold": THRESHOLD,
        "container_threshold": CONTAINER_THRESHOLD,
        "kinds": fitted.kinds,
        "dim": DIM,
        "kind_dim": 1 << KIND_BITS,
        "trained_on": notes,
    }
    (out / "blocks.json").write_text(
        json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return version


def training_set(train: list[Page], fixtures: list[Page], snippets: list[Snippet]) -> list[Page]:
    return train + fixtures + augmented(train, snippets, copies=2, seed="train")


def appeals_report(
    train: list[Page], valid: list[Page], fixtures: list[Page], snippets: list[Snippet]
) -> None:
    """Leave templates out: for each fold, train without its templates, insert them into
    the validation pages, and count how many appeals go and how many negatives stay."""
    from bench.appeals import FOLDS

    totals = {"appeal": [0, 0, 0], "negative": [0, 0, 0]}  # n, removed by model+rules, rules
    by_kind: dict[str, list[int]] = {}
    for fold in range(FOLDS):
        seen = [s for s in snippets if s.fold != fold]
        held = [s for s in snippets if s.fold == fold]
        fitted = fit(training_set(train, fixtures, seen))
        test = augmented(valid, held, copies=2, seed=f"held/{fold}")
        for scored in score_pages(fitted, test):
            removed = scored.removed(THRESHOLD, CONTAINER_THRESHOLD)
            for i, snippet in enumerate(scored.page.snippet):
                if snippet is None:
                    continue
                key = "negative" if snippet.kind == "negative" else "appeal"
                gone = i in removed
                totals[key][0] += 1
                totals[key][1] += gone
                totals[key][2] += i in scored.by_rules
                k = by_kind.setdefault(snippet.kind, [0, 0])
                k[0] += 1
                k[1] += gone
        print(
            f"fold {fold}: {len(held)} held-out snippets from "
            f"{len({s.template for s in held})} templates",
            flush=True,
        )
    for key, (n, gone, rules) in totals.items():
        print(
            f"{key}: {n} inserted, removed {gone / max(1, n):.1%} (model + rules), "
            f"{rules / max(1, n):.1%} by the rules alone"
        )
    for kind, (n, gone) in sorted(by_kind.items()):
        print(f"  {kind:15} {gone}/{n} removed ({gone / max(1, n):.1%})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--cache", type=Path, default=None, help="pickle of the segmented pages (speeds up reruns)"
    )
    parser.add_argument(
        "--appeals",
        action="store_true",
        help="leave-templates-out figures for the appeal corpus; no model",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="train twice and compare the model bytes; no model written",
    )
    args = parser.parse_args(argv)
    if not (args.data / "l3s-gn1").is_dir():
        print(f"no training data under {args.data}")
        return 1
    start = time.perf_counter()
    train, valid, fixtures = load_segmented(args.data, args.cache)
    snippets = generate()
    print(
        f"{len(train)} training pages, {len(valid)} validation pages (not trained on), "
        f"{len(fixtures)} fixture pages, {len(snippets)} snippets; segmented in "
        f"{time.perf_counter() - start:.0f}s",
        flush=True,
    )
    if args.appeals:
        appeals_report(train, valid, fixtures, snippets)
        return 0
    pages = training_set(train, fixtures, snippets)
    fitted = fit(pages)
    if args.check:
        again = fit(training_set(train, fixtures, snippets))
        same = model_bytes(fitted) == model_bytes(again)
        print("two trainings give identical model bytes" if same else "MODEL BYTES DIFFER")
        return 0 if same else 1
    n_blocks = sum(len(p.labels) for p in pages)
    version = write_model(
        fitted,
        args.out,
        {
            "pages": len(pages),
            "blocks": n_blocks,
            "corpus_pages": len(train),
            "fixture_pages": len(fixtures),
            "snippets": len(snippets),
            "C": C,
        },
    )
    print(
        f"wrote {args.out}: {version}, {n_blocks} training blocks, "
        f"{time.perf_counter() - start:.0f}s"
    )
    print("validation blocks (corpora, never trained on): rules + model at thresholds")
    print("\n".join(curve(score_pages(fitted, valid), THRESHOLDS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
