"""Features of one block of the article container, hashed into a fixed-size index space.

What carries across sites (issue 11): the block's words and character n-grams, where it
stands (from the start and from the end of the text), its length, link density and shape
(punctuation, digits, a list bullet), whether it addresses the reader or speaks for the
publisher, e-mail addresses and URLs, its DOM context (`blocks.py`), and what the phrase
rules (`boilerplate.py`) say about it: the rules are one voice among the features.

Every feature is a string hashed with CRC-32 (stable across processes and Python versions,
unlike `hash()`); the model is a weight per hashed index. Changing a feature here changes
the model's input: retrain (crawler/extract/model/train.py) and bump its version.
"""

from __future__ import annotations

import math
import re
import zlib

from crawler.extract.blocks import PageBlock
from crawler.extract.boilerplate import _ADDRESS  # the rules' own "addresses the reader"

DIM_BITS = 18
DIM = 1 << DIM_BITS
_MASK = DIM - 1
_WORD = re.compile(r"\w+")
_PUBLISHER = re.compile(
    r"\b(we|our|us|wir|unser\w*|uns|nous|notre|nos|nosotros|nuestr[oa]s?)\b", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_URL = re.compile(r"https?://|www\.\w|\b\w+\.(com|org|net|de|fr|es|co\.uk)\b", re.IGNORECASE)
_CHAR_SPAN = 80  # character n-grams of the block's opening only: the costly part
_CHAR_N = 4
_BIGRAM_WORDS = 40
_END_MARKS = '.!?:;,)”"»…'
_QUOTE_MARKS = '"“”„«»'


def _bucket(value: float, edges: tuple[float, ...]) -> int:
    for i, edge in enumerate(edges):
        if value < edge:
            return i
    return len(edges)


def _shape(text: str, words: list[str]) -> list[str]:
    stripped = text.strip()
    n = max(1, len(stripped))
    last = stripped[-1:] if stripped else ""
    digits = sum(map(str.isdigit, stripped)) / n  # map: a third faster than a generator
    upper = sum(map(str.isupper, stripped)) / n
    return [
        f"end={last if last in _END_MARKS else ('w' if last.isalnum() else 'o')}",
        f"digits={_bucket(digits, (0.001, 0.05, 0.2))}",
        f"upper={_bucket(upper, (0.03, 0.08, 0.2, 0.5))}",
        f"bullet={stripped[:1] in '-–•*►»|'}",
        f"pipe={'|' in stripped}",
        f"sentences={_bucket(sum(stripped.count(c) for c in '.!?'), (1, 2, 4))}",
        f"quote={any(q in stripped for q in _QUOTE_MARKS)}",
        f"email={bool(_EMAIL.search(stripped))}",
        f"url={bool(_URL.search(stripped))}",
        f"address={bool(_ADDRESS.search(stripped))}",
        f"publisher={bool(_PUBLISHER.search(stripped))}",
        f"caps_start={bool(words) and stripped[:1].isupper()}",
    ]


def block_feature_names(
    blocks: list[PageBlock], rule_kinds: list[str | None], removed_by_rules: dict[int, str], i: int
) -> tuple[list[str], list[str]]:
    """The feature strings of block `i` of the page's `blocks`: (layout, lexical)."""
    block, n = blocks[i], len(blocks)
    text = block.text
    lowered = text.lower()
    words = _WORD.findall(lowered)
    length = _bucket(math.log2(len(words) + 1), (1.01, 2.01, 3.01, 4.01, 5.01, 6.01, 7.01))
    from_end = min(n - 1 - i, 4)
    from_start = min(i, 4)
    link = _bucket(block.link_density, (0.01, 0.3, 0.6, 0.9))
    names = [
        "bias",
        f"len={length}",
        f"from_end={from_end}",
        f"from_start={from_start}",
        f"rel={int(10 * i / n)}",
        f"link={link}",
        f"len*end={length},{from_end}",
        f"len*start={length},{from_start}",
        f"len*link={length},{link}",
        f"rule={rule_kinds[i]}",
        f"rule_removed={removed_by_rules.get(i)}",
    ]
    shape = _shape(text, words)
    names += shape
    names += [f"{s}*end={from_end}" for s in shape[-3:-1]]  # address, publisher by position
    lexical = [f"w={w}" for w in words]
    lexical += [
        f"b={a} {b}" for a, b in zip(words[:_BIGRAM_WORDS], words[1:_BIGRAM_WORDS], strict=False)
    ]
    head = " ".join(words)[:_CHAR_SPAN]
    lexical += [f"c={head[k : k + _CHAR_N]}" for k in range(max(1, len(head) - _CHAR_N + 1))]
    names += list(block.context)
    names += [f"{c}*len={length}" for c in block.context if c.startswith("tag0=")]
    # the neighbours' rule verdicts: appeals come in runs
    for d in (-1, 1):
        j = i + d
        names.append(f"rule[{d}]={rule_kinds[j] if 0 <= j < n else 'edge'}")
    return names, lexical


# One block's features: sorted unique hashed indices and their values.
Vector = tuple[list[int], list[float]]


def hashed(layout: list[str], lexical: list[str]) -> Vector:
    """Layout features count 1 each; the lexical ones share a unit length (1/sqrt(n)
    each), so that a long block's many words and n-grams do not outvote its layout: with
    one count per n-gram, any long text in a language the corpora have little article
    text in summed up to boilerplate."""
    values: dict[int, float] = {}
    for name in set(layout):
        index = zlib.crc32(name.encode("utf-8")) & _MASK
        values[index] = values.get(index, 0.0) + 1.0
    unique = set(lexical)
    share = 1.0 / math.sqrt(len(unique)) if unique else 0.0
    for name in unique:
        index = zlib.crc32(name.encode("utf-8")) & _MASK
        values[index] = values.get(index, 0.0) + share
    indices = sorted(values)
    return indices, [values[k] for k in indices]


def page_features(
    blocks: list[PageBlock], rule_kinds: list[str | None], removed_by_rules: dict[int, str]
) -> list[Vector]:
    """The feature vector of every block of one page."""
    return [
        hashed(*block_feature_names(blocks, rule_kinds, removed_by_rules, i))
        for i in range(len(blocks))
    ]
