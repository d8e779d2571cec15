"""The blocks of the article container and where each sat in the page.

The blocks are the paragraphs of trafilatura's plain text, the same segmentation the
phrase rules (`boilerplate.py`) and the site rules work on: one line of its output is one
block. trafilatura's output keeps no trace of the page's markup, so each block is found
again in the page's tree, which trafilatura leaves untouched (it works on a copy of a tree
it is given): the block element whose text opens with the same words. Its tag, class and
id tokens and those of its ancestors are the DOM context a classifier needs
(`newsletter`, `promo`, `bio`, `related`, `sponsor`...), and the share of its text inside
links is its link density.

This is the one paragraph-to-element mapping: the site templates' DOM paths
(`dom_paths.py`) read the same index (`element_index`, built once a page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Elements that hold a block of text in a page (trafilatura's own unit of output).
_BLOCK_TAGS = (
    "p",
    "div",
    "li",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "dd",
    "dt",
    "section",
    "article",
    "aside",
    "figcaption",
    "pre",
    "span",
    "font",
    "center",
    "header",
    "footer",
    "strong",
    "b",
    "em",
    "i",
    "small",
    "caption",
    "address",
    "label",
    "form",
    "ul",
    "ol",
    "table",
    "tr",
    "a",
    "cite",
    "q",
)
# Elements a block of text never starts inside of: a container whose first child is one of
# these and that has no text of its own starts where that child starts, and the child,
# deeper, is the better match anyway (see `element_index`), so the container is not looked at.
_CONTAINERS = frozenset(
    (
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "form",
        "ul",
        "ol",
        "table",
        "tr",
        "center",
        "p",
        "li",
        "td",
        "th",
        "blockquote",
        "figure",
        "main",
        "nav",
        "tbody",
        "dl",
    )
)
_WORD = re.compile(r"\w+")
_KEY_WORDS = 6  # a block is found by its first words
_ANCESTORS = 3  # the element and this many ancestors give the context
# class/id tokens: "article-footer__newsletterBox2" -> article, footer, newsletter, box
_ATTR_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


@dataclass
class PageBlock:
    text: str
    context: tuple[str, ...] = ()  # "tag0=p", "cls=newsletter", ... (see `_context`)
    link_density: float = 0.0  # share of the element's characters inside <a>


def _key(text: str) -> str | None:
    words = _WORD.findall(text.lower())
    return " ".join(words[:_KEY_WORDS]) if words else None


def _first_words(element) -> str | None:
    """The first words of the element's text, reading no further than needed."""
    words: list[str] = []
    for piece in element.itertext():
        words += _WORD.findall(piece.lower())
        if len(words) >= _KEY_WORDS:
            break
    return " ".join(words[:_KEY_WORDS]) if words else None


def _opening_word(element) -> str | None:
    for piece in element.itertext():
        match = _WORD.search(piece.lower())
        if match:
            return match.group()
    return None


def element_index(tree, paragraphs: list[str] | None = None) -> dict[str, object]:
    """First words -> the deepest block element whose text opens with them (descendants
    come after their ancestors in document order and overwrite them). `paragraphs`: only
    the elements whose text can open like one of these are indexed (an element whose own
    text starts with another word is skipped unread: on link-list padding most are)."""
    index: dict[str, object] = {}
    firsts = None
    if paragraphs is not None:
        firsts = {k.partition(" ")[0] for k in map(_key, paragraphs) if k}
    body = tree.find(".//body")
    for element in (body if body is not None else tree).iter(*_BLOCK_TAGS):
        text = element.text
        if (not text or text.isspace()) and len(element) and element[0].tag in _CONTAINERS:
            continue
        if firsts is not None and _opening_word(element) not in firsts:
            continue
        key = _first_words(element)
        if key:
            index[key] = element
    return index


def _attr_tokens(element) -> list[str]:
    tokens = []
    for attr in ("class", "id"):
        value = element.get(attr)
        if value:
            tokens += [t.lower() for t in _ATTR_TOKEN.findall(value) if 2 <= len(t) <= 20]
    return tokens


def _context(element) -> tuple[str, ...]:
    """tag{d}=<tag> for the element (d=0) and its ancestors, and cls=<token> for their class
    and id tokens (cls0=<token> for the element's own): where the site put the block."""
    context: list[str] = []
    for depth in range(_ANCESTORS + 1):
        if element is None or not isinstance(element.tag, str):
            break
        context.append(f"tag{depth}={element.tag}")
        for token in _attr_tokens(element):
            context.append(f"cls={token}")
            if depth == 0:
                context.append(f"cls0={token}")
        element = element.getparent()
    return tuple(dict.fromkeys(context))


def _link_density(element) -> float:
    total = len(element.text_content() or "")
    if not total:
        return 0.0
    linked = sum(len(a.text_content() or "") for a in element.iter("a"))
    return min(1.0, linked / total)


def element_of(index: dict[str, object], paragraph: str):
    """The page element `paragraph` was found in (`element_index`), or None."""
    key = _key(paragraph)
    return index.get(key) if key else None


def page_blocks(
    tree, paragraphs: list[str], index: dict[str, object] | None = None
) -> list[PageBlock]:
    """Each paragraph of trafilatura's text with its place in `tree` (the parsed page);
    a paragraph not found there gets no context. `index`: `element_index(tree)`, when the
    caller has built it already."""
    if index is None:
        index = element_index(tree, paragraphs) if tree is not None else {}
    blocks = []
    for text in paragraphs:
        element = element_of(index, text)
        if element is None:
            blocks.append(PageBlock(text))
        else:
            blocks.append(PageBlock(text, _context(element), _link_density(element)))
    return blocks
