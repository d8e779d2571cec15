"""The boilerplate stage on fixture pages in many CMS styles, plus hard negatives.

`tests/fixtures/boilerplate/expected.json` holds, per page, the exact clean text and the
blocks that must be removed (derived from plain trafilatura's output; see the README in
that folder). Every block removed, every negative kept, texts exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract.trafilatura_extractor import extract_html
from tests.conftest import run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "boilerplate"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page(name):
    want = EXPECTED[name]
    got = extract_html((FIXTURES / "pages" / name).read_bytes(), want["url"])
    assert got.text == want["text"]
    removed = [(r["kind"], r["text"]) for r in got.boilerplate_removed]
    assert removed == [(r["kind"], r["text"]) for r in want["removed"]]
    if "authors" in want:
        assert got.authors == want["authors"]


def test_fixture_set_has_enough_pages_and_negatives():
    # exactness per page is test_page's job; this guards the set against shrinking
    negatives = [n for n in EXPECTED if n.startswith("negative-")]
    assert len(negatives) >= 5 and len(EXPECTED) - len(negatives) >= 10
    kinds = {r["kind"] for page in EXPECTED.values() for r in page["removed"]}
    assert {"donation", "newsletter", "disclaimer", "related"} <= kinds


def test_seed_page_through_the_cli():
    want = EXPECTED["seed.html"]
    result = run_cli("extract", str(FIXTURES / "pages" / "seed.html"), "--url", want["url"])
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    lines = record["text"].split("\n")
    assert lines[0].startswith("Last weekend, the province of Idlib once again turned")
    assert lines[-1].endswith("and the Assad government.")
    assert "In-depth Report" not in record["text"] and "Note to readers" not in record["text"]
    assert record["authors"] == ["South Front"]
    kinds = {r["kind"] for r in record["boilerplate_removed"]}
    assert {"share", "donation", "disclaimer", "copyright", "contact"} <= kinds
    assert all(set(r) >= {"kind", "layer", "text"} for r in record["boilerplate_removed"])
