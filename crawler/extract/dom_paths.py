"""Where each paragraph of the extracted text sat in the page: a DOM path of tag names
and class tokens (`article.story>div.appeal>p`), for few-page site template learning
(`repeats.py`): a block that repeats at the same path with the same neighbours across
articles of one site is the site's template, not its news.

Read from the parsed tree before trafilatura prunes it; paragraphs are matched to the
page's block elements by their normalised text (`repeats.normal_text`).
"""

from __future__ import annotations

import re

from crawler.extract.repeats import normal_text

# Elements trafilatura turns into lines of text; a <div> only when it holds no such block
# itself (its text is then its own, not its children's).
_BLOCKS = frozenset(("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                     "td", "th", "dd", "dt", "figcaption", "caption", "div", "section"))
_CONTAINERS = frozenset(("div", "section"))
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


def block_paths(tree) -> dict[str, str]:
    """Normalised block text -> the DOM path of the first block element holding it."""
    paths: dict[str, str] = {}
    body = tree.find(".//body")
    for el in (body if body is not None else tree).iter(*_BLOCKS):
        if el.tag in _CONTAINERS and any(
                isinstance(child.tag, str) and child.tag in _BLOCKS for child in el):
            continue
        normal = normal_text(" ".join(el.itertext()))
        if normal and normal not in paths:
            paths[normal] = _path(el)
    return paths


def paragraph_paths(paragraphs: list[str], paths: dict[str, str]) -> list[str]:
    """The DOM path of each paragraph ("" where no single block element holds its text)."""
    return [paths.get(normal_text(p), "") for p in paragraphs]
