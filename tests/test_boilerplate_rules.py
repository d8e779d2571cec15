"""Generic and per-site boilerplate rules, on their own (no network)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import html

from crawler.extract.boilerplate import (
    _KIND_PATTERNS,
    _lead_literals,
    apply_generic_rules,
    classify,
)
from crawler.extract.site_rules import (
    apply_text_rules,
    load_site_rules,
    prune_tree,
)
from crawler.sites.files import SiteConfigError

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
    assert kinds == [
        "title",
        "label",
        "label",
        "share",
        "donation",
        "donation",
        "label",
        "disclaimer",
        "copyright",
        "contact",
    ]
    assert all(r["layer"] == "generic" for r in removed)


@pytest.mark.parametrize(
    "text, kind",
    [
        (
            "Subscribe to our newsletter and get the best stories delivered to your inbox.",
            "newsletter",
        ),
        ("Please support independent journalism: become a member today.", "donation"),
        ("Share this article with your friends on Facebook and X.", "share"),
        ("The views expressed in this article are the author's own.", "disclaimer"),
        ("© 2024 Example Media. All rights reserved.", "copyright"),
        ("For media inquiries: press@example.org", "contact"),
        ("Read more: Council approves new harbour budget", "related"),
        (
            "This article was originally published by The Conversation and is republished with "
            "permission.",
            "republication",
        ),
        ("What do you think? Let us know in the comments below.", "comment_prompt"),
        ("Advertisement", "ad_label"),
        ("Unterstützen Sie unsere Arbeit mit einer Spende.", "donation"),
        ("Abonnez-vous à notre newsletter pour recevoir nos articles.", "newsletter"),
        ("Todos los derechos reservados.", "copyright"),
        ("Lesen Sie auch: Die Stadt plant neue Radwege", "related"),
        # disclosures and disclaimers
        ("Disclosure: The author holds no positions in any of the stocks mentioned.", "disclaimer"),
        (
            "This article is for informational purposes only and does not constitute legal or "
            "investment advice.",
            "disclaimer",
        ),
        (
            "Opinions expressed by guest columnists are their own and do not necessarily reflect "
            "the views of the Dispatch.",
            "disclaimer",
        ),
        ("Offenlegung: Der Autor hält keine Aktien der genannten Unternehmen.", "disclaimer"),
        (
            "Avertissement : cet article ne constitue pas un conseil en investissement.",
            "disclaimer",
        ),
        (
            "Descargo de responsabilidad: este artículo no constituye asesoramiento financiero.",
            "disclaimer",
        ),
        # Creative Commons: terms for the reader are copyright, a source credit is republication
        (
            "Republish this story for free under a Creative Commons Attribution-NoDerivatives 4.0 "
            "license. Please credit the Project.",
            "copyright",
        ),
        (
            "This website and all documents on it are licensed under a Creative Commons "
            "Attribution-Share Alike 3.0 License.",
            "copyright",
        ),
        ("Dieser Artikel steht unter einer Creative-Commons-Lizenz (CC BY 4.0).", "copyright"),
        ("Cet article est publié sous licence Creative Commons BY-SA.", "copyright"),
        ("Este artículo se publica bajo licencia Creative Commons.", "copyright"),
        (
            "This article is republished from The Conversation under a Creative Commons license. "
            "Read the original article.",
            "republication",
        ),
        ("This column originally appeared in the Flint Hills Herald.", "republication"),
        # share prompts: an imperative opening any sentence addresses the reader
        ("Follow the Coastal Gazette on X and Facebook for the latest news.", "share"),
        ("Know someone who uses the app? Share this article with them.", "share"),
        ("Found this useful? Share it with a friend.", "share"),
        ("- Share on Facebook", "share"),  # a list item is an imperative too
        ("Folgen Sie uns auf Instagram und Facebook.", "share"),
        ("Partagez cet article avec vos proches.", "share"),
        ("Comparte este artículo en tus redes.", "share"),
        # contact and tip lines
        ("Got a story? Email newsdesk@example.co.uk or message us on WhatsApp.", "contact"),
        (
            "Do you work in a nursing home? We want to hear from you. Contact reporter Jo Lee at "
            "jo@example.org.",
            "contact",
        ),
        ("Haben Sie einen Hinweis? Schreiben Sie an hinweise@example.de.", "contact"),
        ("Vous avez une info ? Écrivez-nous à redaction@example.fr.", "contact"),
        ("¿Tienes una pista? Escríbenos a redaccion@example.es.", "contact"),
        # bios
        (
            "Maya Okafor is an associate professor of marine ecology at Coast University.",
            "author_bio",
        ),
        ("Alan Whitcomb is president of Flint Hills Community College in Emporia.", "author_bio"),
        # comment prompts
        ("Do you agree? Share your thoughts in the comments below.", "comment_prompt"),
        (
            "¿Qué opinas sobre el reparto del agua? Déjanos tu comentario más abajo.",
            "comment_prompt",
        ),
        ("Was meinen Sie? Diskutieren Sie mit in den Kommentaren.", "comment_prompt"),
        ("Qu'en pensez-vous ? Laissez un commentaire ci-dessous.", "comment_prompt"),
    ],
)
def test_boilerplate_kinds(text, kind):
    assert classify(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "'Please donate whatever you can,' said Maria Lopez, who runs the food bank.",
        "Donations to the food bank rose 20 percent this year, according to its annual report.",
        "The newsletter now has 200,000 paying subscribers, up from 40,000 two years ago.",
        'The judge noted that the label "All rights reserved" does not by itself defeat a '
        "fair use defence.",
        "Researchers found that people share articles on social media without reading them.",
        "The company's disclaimer, the plaintiffs argue, was buried on page 40 of the contract.",
        "Volunteers said they would keep collecting coats until the end of the month.",
        # phrasings of the newer rules, in reporting
        "Readers who share this article with friends rarely read it, the study found.",
        "Millions follow the president on X, where he posts several times a day.",
        "- Researchers asked users to share this article with a friend before reading it",
        "The disclosure of the documents forced the minister to resign.",
        "Analysts said the bank holds no positions in Russian debt.",
        "He declined to say whether he held positions in any of the companies.",
        "The museum published its catalogue under a Creative Commons licence last year, making "
        "4,000 images free to reuse.",
        "Rutherford, James (April 2009) [originally published in 1966]. An Encyclopaedia of New "
        "Zealand. Retrieved 7 January 2011.",
        "The mayor is a former reporter who covered city hall for a decade.",
        'Every screen carries the line "This app is for informational purposes only and does '
        'not constitute investment advice."',
    ],
)
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
    path.write_text(
        '[site]\ndomains = ["gazette.example"]\n[boilerplate]\n'
        'remove = [".promo", "//aside"]\ndrop = ["^Photo:"]\n'
        'end_before = ["^About the author"]\n'
    )
    rules = load_site_rules(path)
    assert rules.matches("www.gazette.example") and not rules.matches("gazette.example.org")
    tree = html.fromstring(
        "<html><body><article><p>Keep me.</p><div class='promo'>Buy now"
        "</div><aside>Aside text</aside></article></body></html>"
    )
    removed = prune_tree(tree, rules)
    assert [r["text"] for r in removed] == ["Buy now", "Aside text"]
    assert "Buy now" not in tree.text_content()
    kept, removed = apply_text_rules(
        ["Para one.", "Photo: AP", "Para two.", "About the author: X", "Para three."], rules
    )
    assert kept == ["Para one.", "Para two."]
    assert [r["kind"] for r in removed] == ["site_pattern", "site_after_end", "site_after_end"]


@pytest.mark.parametrize(
    "content, message",
    [
        ('[site]\ndomains = "x.example"\n', "[site] domains: expected a list of strings"),
        ("[site]\n", "[site] domains must list at least one host name"),
        (
            '[site]\ndomains = ["x"]\n[boilerplate]\ndrop = ["(unclosed"]\n',
            "[boilerplate] drop: '(unclosed' is not a valid regular expression",
        ),
        (
            '[site]\ndomains = ["x"]\n[boilerplate]\nremove = ["div[["]\n',
            "neither XPath nor valid CSS",
        ),
        ("[site\n", "not valid TOML"),
    ],
)
def test_site_rules_errors_name_file_and_key(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SiteConfigError) as err:
        load_site_rules(path)
    assert str(path) in str(err.value) and message in str(err.value)


# -- shape: a long paragraph is boilerplate only when the notice opens it ------------------

_FILLER = (
    "The committee heard from residents, engineers and the county's finance office "
    "before it voted on the plan late on Tuesday evening. "
)


def test_long_paragraph_with_a_phrase_in_its_middle_is_article_text():
    # the lifehacker paragraph: "remove all of your saved credit card or Paypal information"
    text = (
        _FILLER * 3 + "Block shopping sites when you are weakest, or remove your saved "
        "credit card or PayPal information. " + _FILLER * 2
    )
    assert 60 < len(text.split()) <= 130
    assert classify(text) is None
    assert classify("Remove your saved PayPal information and support us.") == "donation"


def test_long_notice_counts_when_it_opens_the_block_but_not_beyond_130_words():
    notice = "Disclaimer: The contents of this article are of sole responsibility of the author. "
    assert classify(notice + _FILLER * 3) == "disclaimer"  # ~90 words
    assert classify(notice + _FILLER * 6) is None  # ~150 words: an article paragraph


# -- position: the tail, companions and evidence ---------------------------------------------

ARTICLE = [
    "The council approved the harbour budget on Tuesday after a three-hour debate in which "
    "residents asked for more money for dredging.",
    "The plan sets aside 1.2 million pounds for the work, which is due to start in spring, "
    "and a further 300,000 pounds for repairs to the sea wall.",
    "Councillors will review progress in September, when the first survey results arrive.",
]


def _kinds(removed: list[dict]) -> list[str]:
    return [r["kind"] for r in removed]


def test_lone_cross_reference_in_a_clean_article_stays():
    # CNN's "Related:", Le Monde's "Lire aussi :" on pages without other boilerplate
    paragraphs = ARTICLE[:1] + ["Related: Harbour wall repairs to cost 1.2m"] + ARTICLE[1:]
    kept, removed, _ = apply_generic_rules(paragraphs, [], [])
    assert kept == paragraphs and removed == []


def test_cross_reference_goes_once_the_page_shows_boilerplate():
    paragraphs = (
        ARTICLE[:1]
        + ["Related: Harbour wall repairs to cost 1.2m"]
        + ARTICLE[1:]
        + ["© 2024 Coastal Gazette Media Ltd. All rights reserved."]
    )
    kept, removed, _ = apply_generic_rules(paragraphs, [], [])
    assert kept == ARTICLE
    assert _kinds(removed) == ["related", "copyright"]


def test_comment_prompt_and_copyright_only_in_the_tail():
    prompt = "What do you think? Let us know down below in the comments."
    mid = ARTICLE[:2] + [prompt, "© 2019 Example Agency"] + ARTICLE[2:]
    kept, removed, _ = apply_generic_rules(mid, [], [])
    assert kept == mid and removed == []  # the knowtechie line, an agency credit mid-text
    kept, removed, _ = apply_generic_rules(ARTICLE + [prompt], [], [])
    assert kept == ARTICLE and _kinds(removed) == ["comment_prompt"]


def test_bio_and_credit_need_a_companion_in_the_tail():
    bio = (
        "Lucas Nolan is a reporter for the Tech desk covering free speech. Follow him on "
        "X @lucas or email him at lucas@example.com"
    )
    credit = "This article originally appeared on The Atlantic."
    for alone in (bio, credit):
        kept, removed, _ = apply_generic_rules(ARTICLE + [alone], [], [])
        assert kept == ARTICLE + [alone] and removed == []
    kept, removed, _ = apply_generic_rules(ARTICLE + [bio, credit], [], [])
    assert kept == ARTICLE + [bio, credit]  # two that need company are no company
    disclaimer = "The views expressed in this article are the author's own."
    kept, removed, _ = apply_generic_rules(ARTICLE + [bio, credit, disclaimer], [], [])
    assert kept == ARTICLE
    assert _kinds(removed) == ["author_bio", "republication", "disclaimer"]


def test_title_line_matches_the_declared_titles_and_needs_evidence():
    titles = ["Council approves harbour budget | Coastal Gazette", "Council approves harbour"]
    tail = ["Please support our journalism: become a member today."]
    # "Headline | Site": the headline part matches
    kept, removed, _ = apply_generic_rules(
        ["Council approves harbour budget"] + ARTICLE + tail, titles[:1], []
    )
    assert kept == ARTICLE and _kinds(removed) == ["title", "donation"]
    # a first line that is not a declared title (an <h1> unlike <title>) stays
    kept, _, _ = apply_generic_rules(["Harbour: the vote"] + ARTICLE + tail, titles, [])
    assert kept == ["Harbour: the vote"] + ARTICLE
    # no boilerplate on the page: the title line stays too
    kept, removed, _ = apply_generic_rules(
        ["Council approves harbour budget"] + ARTICLE, titles[:1], []
    )
    assert kept[0] == "Council approves harbour budget" and removed == []


@pytest.mark.parametrize(
    "byline, name",
    [
        ("By Tomas Lindqvist", "Tomas Lindqvist"),
        ("Von Anna Schmidt", "Anna Schmidt"),
        ("Par Jean Dupont et Marie Claire", "Jean Dupont et Marie Claire"),
        ("Por Lucía Montero", "Lucía Montero"),
    ],
)
def test_leading_byline_is_a_label_and_the_author(byline, name):
    tail = ["Share this article with your friends on Facebook."]
    kept, removed, authors = apply_generic_rules([byline] + ARTICLE + tail, [], [])
    assert kept == ARTICLE and authors == [name]
    assert _kinds(removed) == ["label", "share"]
    # metadata authors win; a sentence starting with "By" is no byline
    _, _, authors = apply_generic_rules(["By Tomas Lindqvist"] + ARTICLE + tail, [], ["X Y"])
    assert authors == ["X Y"]
    first = "By the end of the year, prices had risen"
    kept, _, _ = apply_generic_rules([first] + ARTICLE + tail, [], [])
    assert kept[0] == first


def test_text_that_is_all_boilerplate_is_kept_whole():
    # a donation page is that page's content, not an article with furniture
    paragraphs = ["Support our journalism", "Please donate today: every gift helps us report."]
    kept, removed, _ = apply_generic_rules(paragraphs, [], [])
    assert kept == paragraphs and removed == []


# -- speed: the literal prefilter must never hide a match --------------------------------------


@pytest.mark.parametrize(
    "pattern, literals",
    [
        (r"\bdonat(e|ing|ion)s?\b", ["donat"]),
        (r"\bnewsletters?\b.{0,80}\b(sign up|subscribe)", ["newsletter"]),
        (r"\bbecome an? (paid )?(patron|member)\b", ["become a"]),
        (
            r"^(déclaration d'intérêts|avertissement)\s*:",
            ["déclaration d'intérêts", "avertissement"],
        ),
        (r"\(c\) (19|20)\d\d\b", ["(c) "]),
        (r"©\s*(copyright\s*)?((19|20)\d\d)", ["©"]),
        (r"^(read more|related articles?)\s*:", None),  # an alternative with a quantifier
        (r"\b(holds?|has) no\b", None),
        (r"^(?-i:[A-Z][a-z]+) is\b", None),
        (r"\b(a|b)?c\b", None),  # an optional group opens no literal
    ],
)
def test_lead_literals(pattern, literals):
    assert _lead_literals(pattern) == literals


def _corpus() -> list[str]:
    fixtures = Path(__file__).resolve().parent / "fixtures" / "boilerplate" / "expected.json"
    lines = []
    for page in json.loads(fixtures.read_text(encoding="utf-8")).values():
        lines += page["text"].split("\n") + [r["text"] for r in page["removed"]]
    for test in (test_boilerplate_kinds, test_reporting_about_the_topic_is_kept):
        for mark in test.pytestmark:
            lines += [v[0] if isinstance(v, tuple) else v for v in mark.args[1]]
    return lines


def test_every_phrase_match_contains_its_lead_literal():
    corpus = _corpus()
    assert len(corpus) > 250
    checked = 0
    for patterns in _KIND_PATTERNS.values():
        for pattern in patterns:
            literals = _lead_literals(pattern)
            if literals is None:
                continue
            for text in corpus:
                match = re.search(pattern, text, re.IGNORECASE)
                if match:
                    checked += 1
                    assert any(lit in text.lower() for lit in literals), (pattern, text)
    assert checked > 60  # the corpus exercises the phrases
