"""The learned block classifier (crawler/extract/classifier.py): its model file, the DOM
context of blocks, appeals the phrase rules miss, hard negatives, deterministic training,
and the fixed validation split of the benchmark corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract.blocks import page_blocks
from crawler.extract.boilerplate import apply_generic_rules
from crawler.extract.classifier import MODEL_DIR, default_model, load_model
from crawler.extract.trafilatura_extractor import extract_html, extractor_versions

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "boilerplate"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))

ARTICLE = [
    "The county's water authority approved a plan on Tuesday to replace 40 miles of lead "
    "service lines over the next six years, a project its engineers estimate will cost "
    "about $210 million and require rate increases for most households.",
    "Board members voted 6-1 in favour after a three-hour hearing in which residents of "
    "older neighbourhoods described discoloured tap water and months of boil notices.",
    "The authority will apply for federal infrastructure grants to cover part of the cost, "
    "its director said, and expects the first streets to be dug up next spring.",
    "Officials said the remaining lines, most of them in the northern districts, would be "
    "mapped by the end of the year using records and test excavations.",
]


def page(paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>Water authority approves lead pipe plan</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>Water authority approves lead pipe "
        f"plan</h1>{body}</article><footer>Contact us</footer></body></html>"
    )


def test_model_ships_small_and_names_its_version():
    model = default_model()
    meta = json.loads((MODEL_DIR / "blocks.json").read_text(encoding="utf-8"))
    assert model.version == meta["version"] and model.version.startswith("blocks-lr-")
    assert extractor_versions()["block_model"] == model.version
    assert sum(f.stat().st_size for f in MODEL_DIR.iterdir() if f.is_file()) < 4_000_000
    assert 0.5 <= model.threshold < 1


# Notices that no phrase rule removes (worded for this test, not copied from the appeal
# corpus, though of kinds it has; how far the model carries to wordings unlike the corpus
# is measured by `bench/train_blocks.py --appeals`, not here).
RULES_KEEP = [
    "Want stories like this every morning? Enter your email address for our free briefing.",
    "Got a question about your water bill? Write to our reporters at tips@ledger.example.",
    "Comments on this story are moderated. Please keep them civil.",
    "Maria Chen is a senior reporter covering infrastructure for the Ledger.",
]


@pytest.mark.parametrize("appeal", RULES_KEEP)
def test_model_removes_an_appeal_the_rules_keep(appeal):
    paragraphs = [*ARTICLE, appeal]
    rules_kept, _, _ = apply_generic_rules(paragraphs, [], [])
    assert appeal in rules_kept  # the old stage: rules only
    got = extract_html(page(paragraphs), "http://127.0.0.1/news/lead-pipes")
    assert appeal not in got.text
    assert all(p in got.text for p in ARTICLE)
    (removal,) = [r for r in got.boilerplate_removed if r["text"] == appeal]
    assert removal["layer"] == "learned" and removal["kind"]


def test_article_about_donations_and_newsletters_keeps_its_text():
    paragraphs = [
        ARTICLE[0],
        "The utility's charitable fund said donations from customers, collected through a "
        "round-up option on monthly bills, fell by a third last year.",
        "A newsletter the authority mails to 90,000 households will explain the work and "
        "list the streets affected each quarter, a spokeswoman said.",
        ARTICLE[1],
        ARTICLE[2],
    ]
    got = extract_html(page(paragraphs), "http://127.0.0.1/news/lead-pipes")
    # the <h1> stays: a page showing no boilerplate keeps its heading line (boilerplate.py)
    assert got.text == "\n".join(["Water authority approves lead pipe plan", *paragraphs])
    assert got.boilerplate_removed == []


def test_blocks_carry_their_dom_context():
    from trafilatura.utils import load_html

    tree = load_html(
        "<html><body><article class='story-body'><p>First words of the story and more.</p>"
        "<div class='newsletterPromo sidebar-box' id='nl-signup'><p>Get the morning "
        "briefing in your inbox.</p></div><p><a href='/x'>Read more</a> elsewhere</p>"
        "</article></body></html>"
    )
    blocks = page_blocks(
        tree,
        [
            "First words of the story and more.",
            "Get the morning briefing in your inbox.",
            "Read more elsewhere",
            "A line the page does not have",
        ],
    )
    assert "tag0=p" in blocks[0].context and "cls=story" in blocks[0].context
    assert {"cls=newsletter", "cls=promo", "cls=signup", "tag1=div"} <= set(blocks[1].context)
    assert 0.4 < blocks[2].link_density < 1  # "Read more" of "Read more elsewhere"
    assert blocks[3].context == () and blocks[3].link_density == 0.0


def test_training_is_deterministic(tmp_path):
    pytest.importorskip("sklearn")
    from bench.appeals import generate
    from bench.train_blocks import fit, fixture_pages, model_bytes, training_set, write_model

    fixtures = fixture_pages()
    snippets = generate(per_template=2)
    first = fit(training_set(fixtures, [], snippets))
    second = fit(training_set(fixtures, [], snippets))
    assert model_bytes(first) == model_bytes(second)
    version = write_model(first, tmp_path, {"test": True})
    assert load_model(tmp_path).version == version


def test_validation_split_keeps_a_site_on_one_side():
    from bench.corpora import is_validation, site_of

    a = b"<html><head><link rel='canonical' href='https://www.example.org/a/1'></head></html>"
    b = (
        b"<a href='http://example.org/x'>x</a><a href='http://example.org/y'>y</a>"
        b"<a href='http://ad.doubleclick.net/z'>ad</a><a href='http://ad.doubleclick.net/q'>"
    )
    assert site_of(a) == site_of(b) == "example.org"
    assert site_of(b"<p>no links</p>") is None
    keys = [f"site:host{i}.example" for i in range(200)]
    share = sum(map(is_validation, keys)) / len(keys)
    assert 0.1 < share < 0.3 and is_validation(keys[0]) == is_validation(keys[0])


def test_model_alone_takes_no_line_out_of_the_article_container_unless_sure():
    """classifier.model_removals: a block in the DOM context of kept article paragraphs goes
    only at the container threshold, unless the rules half agree (a kind, or it speaks to
    the reader); a block in a context of its own goes at the threshold."""
    from crawler.extract.blocks import PageBlock
    from crawler.extract.boilerplate import classify
    from crawler.extract.classifier import model_removals

    story = ("tag0=p", "tag1=div", "cls=story")
    box = ("tag0=p", "tag1=div", "cls=box")
    texts = [
        *ARTICLE[:2],
        "Many thanks for the interesting interview!",  # in the story's container
        "Share this story with your friends.",  # a kind the rules name
        "Thanks for reading and see you next week.",  # in a box of its own
        ARTICLE[2],
    ]
    contexts = [story, story, story, story, box, story]
    blocks = [PageBlock(t, c) for t, c in zip(texts, contexts, strict=True)]
    kinds = [classify(t) for t in texts]
    probabilities = [0.1, 0.1, 0.9, 0.9, 0.9, 0.1]
    assert model_removals(probabilities, blocks, kinds, {}, 0.8, 0.95) == [3, 4]
    assert model_removals(probabilities, blocks, kinds, {}, 0.8, 0.8) == [2, 3, 4]
    probabilities[2] = 0.97
    assert model_removals(probabilities, blocks, kinds, {}, 0.8, 0.95) == [2, 3, 4]


def test_element_index_reads_only_elements_that_open_like_a_paragraph():
    from trafilatura.utils import load_html

    from crawler.extract.blocks import element_index, element_of

    links = "".join(f"<li><a href='/{i}'>Link number {i} of the list</a></li>" for i in range(50))
    tree = load_html(
        f"<html><body><ul class='pad'>{links}</ul><article>"
        + "".join(f"<p class='s'>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    full = element_index(tree)
    only = element_index(tree, ARTICLE)
    assert len(only) < 10 < len(full)
    for p in ARTICLE:
        assert element_of(only, p) is element_of(full, p) is not None


REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "bench" / "trafilatura-realworld"


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/bench not present")
def test_short_fast_mode_output_falls_back_to_trafilaturas_comparison():
    """A page where fast mode finds only a 400-character header keeps its article: below
    SHORT_OUTPUT_CHARS the readability/jusText comparison runs after all."""
    import trafilatura
    from trafilatura.utils import load_html

    from crawler.extract.trafilatura_extractor import (
        SHORT_OUTPUT_CHARS,
        TRAFILATURA_ARGS,
        decode_html,
    )

    html = (REALWORLD / "cache" / "laviedesidees.fr.evaluation.html").read_bytes()
    body = "Depuis longtemps, les économistes et les gestionnaires"
    fast = trafilatura.bare_extraction(load_html(decode_html(html)), **TRAFILATURA_ARGS)
    assert len(fast.text) < SHORT_OUTPUT_CHARS and body not in fast.text
    got = extract_html(html, "http://127.0.0.1/evaluation")
    assert body in got.text and len(got.text) > 20_000
