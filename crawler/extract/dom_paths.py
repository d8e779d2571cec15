"""Where each paragraph of the extracted text sat in the page: a DOM path of tag names
and class tokens (`article.story>div.appeal>p`), for few-page site template learning
(`repeats.py`): a block that repeats at the same path with the same neighbours across
articles of one site is the site's template, not its news.

Read from the parsed tree before trafilatura prunes it; paragraphs are matched to the
page's innermost block elements by their text, whitespace-collapsed and lower-cased
(cheap: the regex normalisation of `repeats` cost 4.5 ms a page over every element). On
those bench pages 42% of the paragraphs find their element (trafilatura also makes lines
of <br>-separated text and of inline runs); the others get "" and are placed by their
text and neighbours alone.
"""

from __future__ import annotations

import re

# Elements trafilatura turns into lines of text; only innermost ones are read (their text
# is then their own, not their children's). Not <div>/<section>: on 200 ../shared/bench
# pages they added 0.4 ms a page (1.4 -> 1.8) and a path to 16 of 6169 paragraphs.
_BLOCKS = frozenset(
    (
        "p",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "td",
        "th",
        "dd",
        "dt",
        "figcaption",
        "caption",
    )
)
_DEPTH = 6  # ancestors kept: enough to tell a promo box from the story body
# Class tokens that name one article (post-1234, id_8f3a) would make every path unique.
_VARYING = re.compile(r"\d")


def _step(el) -> str:
    classes = sorted({c for c in (el.get("class") or "").split() if not _VARYING.search(c)})
    return ".".join([el.tag, *classes[:3]])


def _path(el) -> str:
    steps = [_step(el)]
    for ancestor in el.iterancestors():
        if ancestor.tag in ("body", "html") or len(steps) >= _DEPTH:
            break
        steps.append(_step(ancestor))
    return ">".join(reversed(steps))


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def block_elements(tree) -> dict[str, object]:
    """Collapsed text -> the first innermost block element holding it (no block inside)."""
    found: dict[str, object] = {}
    body = tree.find(".//body")
    for el in (body if body is not None else tree).iter(*_BLOCKS):
        if any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in el):
            continue
        normal = _normal(" ".join(el.itertext()))
        if normal and normal not in found:
            found[normal] = el
    return found


def paragraph_paths(paragraphs: list[str], elements: dict[str, object]) -> list[str]:
    """The DOM path of each paragraph ("" where no single block element holds its text)."""
    paths = []
    for paragraph in paragraphs:
        el = elements.get(_normal(paragraph))
        paths.append(_path(el) if el is not None else "")
    return paths
