"""Generic and per-site boilerplate rules, on their own (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html

from crawler.extract.boilerplate import apply_generic_rules, classify
from crawler.extract.site_rules import (
    SiteConfigError,
    apply_text_rules,
    load_site_rules,
    prune_tree,
)

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed-article.txt"
SEED_TITLE = "Video: Syrian Army Repels Major Attack by Idlib Al Qaeda Affiliated Mercenaries"


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed-article.txt not present")
def test_seed_lines():
    lines = [ln for ln in SEED.read_text().split("\n") if ln.strip()]
    kept, removed, authors = apply_generic_rules(lines, [SEED_TITLE], [])
    assert kept[0].startswith("Last weekend, the province of Idlib once again")
    assert kept[-1].endswith("and the Assad government.")
    assert len(kept) == 11
    assert authors == ["South Front"]
    kinds = [r["kind"] for r in removed]
    assert kinds == ["title", "label", "label", "share", "donation", "donation", "label",
                     "disclaimer", "copyright", "contact"]
    assert all(r["layer"] == "generic" for r in removed)


@pytest.mark.parametrize("text, kind", [
    ("Subscribe to our newsletter and get the best stories delivered to your inbox.",
     "newsletter"),
    ("Please support independent journalism: become a member today.", "donation"),
    ("Share this article with your friends on Facebook and X.", "share"),
    ("The views expressed in this article are the author's own.", "disclaimer"),
    ("© 2024 Example Media. All rights reserved.", "copyright"),
    ("For media inquiries: press@example.org", "contact"),
    ("Read more: Council approves new harbour budget", "related"),
    ("This article was originally published by The Conversation and is republished with "
     "permission.", "republication"),
    ("What do you think? Let us know in the comments below.", "comment_prompt"),
    ("Advertisement", "ad_label"),
    ("Unterstützen Sie unsere Arbeit mit einer Spende.", "donation"),
    ("Abonnez-vous à notre newsletter pour recevoir nos articles.", "newsletter"),
    ("Todos los derechos reservados.", "copyright"),
    ("Lesen Sie auch: Die Stadt plant neue Radwege", "related"),
])
def test_boilerplate_kinds(text, kind):
    assert classify(text) == kind


@pytest.mark.parametrize("text", [
    "'Please donate whatever you can,' said Maria Lopez, who runs the food bank.",
    "Donations to the food bank rose 20 percent this year, according to its annual report.",
    "The newsletter now has 200,000 paying subscribers, up from 40,000 two years ago.",
    'The judge noted that the label "All rights reserved" does not by itself defeat a '
    "fair use defence.",
    "Researchers found that people share articles on social media without reading them.",
    "The company's disclaimer, the plaintiffs argue, was buried on page 40 of the contract.",
    "Volunteers said they would keep collecting coats until the end of the month.",
])
def test_reporting_about_the_topic_is_kept(text):
    assert classify(text) is None


def test_tail_labels_only_after_the_article_ended():
    paragraphs = [
        "The mayor opened the new bridge on Monday after three years of construction work.",
        "It ends here.",
        "Tags: bridge, city",
    ]
    kept, removed, _ = apply_generic_rules(paragraphs, [], [])
    # no boilerplate block in the tail: nothing is a label, nothing goes
    assert kept == paragraphs and removed == []


def test_site_rules_file(tmp_path):
    path = tmp_path / "gazette.toml"
    path.write_text('[site]\ndomains = ["gazette.example"]\n[boilerplate]\n'
                    'remove = [".promo", "//aside"]\ndrop = ["^Photo:"]\n'
                    'end_before = ["^About the author"]\n')
    rules = load_site_rules(path)
    assert rules.matches("www.gazette.example") and not rules.matches("gazette.example.org")
    tree = html.fromstring("<html><body><article><p>Keep me.</p><div class='promo'>Buy now"
                           "</div><aside>Aside text</aside></article></body></html>")
    removed = prune_tree(tree, rules)
    assert [r["text"] for r in removed] == ["Buy now", "Aside text"]
    assert "Buy now" not in tree.text_content()
    kept, removed = apply_text_rules(
        ["Para one.", "Photo: AP", "Para two.", "About the author: X", "Para three."], rules)
    assert kept == ["Para one.", "Para two."]
    assert [r["kind"] for r in removed] == ["site_pattern", "site_after_end", "site_after_end"]


@pytest.mark.parametrize("content, message", [
    ('[site]\ndomains = "x.example"\n', "[site] domains must be a list of strings"),
    ("[site]\n", "[site] domains must list at least one host name"),
    ('[site]\ndomains = ["x"]\n[boilerplate]\ndrop = ["(unclosed"]\n',
     "[boilerplate] drop: '(unclosed' is not a valid regular expression"),
    ('[site]\ndomains = ["x"]\n[boilerplate]\nremove = ["div[["]\n',
     "neither XPath nor valid CSS"),
    ("[site\n", "not valid TOML"),
])
def test_site_rules_errors_name_file_and_key(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SiteConfigError) as err:
        load_site_rules(path)
    assert str(path) in str(err.value) and message in str(err.value)
