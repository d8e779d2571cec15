"""Where each paragraph of the extracted text sat in the page: a DOM path of tag names
and class tokens (`article.story>div.appeal>p`), for few-page site template learning
(`repeats.py`): a block that repeats at the same path with the same neighbours across
articles of one site is the site's template, not its news.

The element of a paragraph is the one the block classifier reads its DOM context from
(`blocks.element_index`: one mapping, one walk over the page). A paragraph found in no
element gets "" and is placed by its text and neighbours alone.
"""

from __future__ import annotations

import re

from crawler.extract.blocks import element_of

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


def paragraph_paths(paragraphs: list[str], index: dict[str, object]) -> list[str]:
    """The DOM path of each paragraph ("" where the page's `index` has no element for it)."""
    paths = []
    for paragraph in paragraphs:
        el = element_of(index, paragraph)
        paths.append(_path(el) if el is not None else "")
    return paths
