"""Generic boilerplate rules: whole blocks inside the article container that are not the
article (donation appeals, newsletter boxes, share prompts, disclaimers, ...).

trafilatura decides at the level of containers; these blocks sit inside the article's own
container, so it keeps them. Here every paragraph of its output is classified on its
phrasing, its shape and its position, and the rules are built to stay quiet on articles
*about* donations, newsletters or copyright:
- phrasing: each kind needs a phrase typical of the appeal/notice itself, not of
  reporting on it; appeal kinds (donation, newsletter, share, comment prompt) also need
  the reader to be addressed (you/your/please, an imperative opening a sentence, "us/our"
  for the publisher); a match inside quotation marks, or a paragraph of reported speech
  (a quote plus "said"/"sagte"/"a déclaré"/"dijo"...), is reporting, never boilerplate;
- shape: boilerplate blocks are short. A block of more than `_SHORT_BLOCK_WORDS` words
  counts only when it opens as a notice (the phrase in its first characters, like
  "Disclaimer: ..." or a fair-use notice); one of more than `_LONG_BLOCK_WORDS` never;
- position: some kinds are only boilerplate at the end of the article, in the tail (see
  `_TAIL_ONLY`): a copyright line or a "leave a comment" prompt in the middle of a text is
  part of it (an RFC's own notice, a quoted prompt); a bio or a republication credit
  needs a second boilerplate block beside it, because a last paragraph about a person or
  a source reads just like one (`_NEEDS_COMPANY`);
- evidence: a lone cross-reference ("Related: ...", "Lire aussi : ..."), newsletter promo
  or credit in the body, and the lines before the article (a copy of the page's declared
  title, a kicker such as "In-depth Report:", a "By X" byline), go only when the page
  shows boilerplate of the other kinds too (`_NEEDS_EVIDENCE`). Such lines are the only
  thing separating them from article text, and readers of a page with a clean article
  container lose less from a kept cross-reference than from a lost sentence;
- the tail rule: once the article has ended in a run of boilerplate blocks, the short
  label lines between them ("*", "Articles by: X", "Tags: ...") go too; a credit line
  becomes the author when the metadata has none.
- a text that is all boilerplate is kept whole: it is the page's content (a donation or
  legal page), not an article with furniture.
Every removal is reported as {kind, layer, text} so it can be audited and undone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from crawler.extract.boilerplate_phrases import KIND_PATTERNS as _KIND_PATTERNS

LAYER = "generic"

# Speed: the stage runs every phrase of every kind over every paragraph of every page, and
# Python's re cannot skip ahead in a case-insensitive pattern that opens with \b. So each
# phrase's leading literal text ("donat" for r"\bdonat(e|ing|ion)s?\b") is searched first
# in the lowercased paragraph (one case-sensitive alternation of all literals, which re
# scans fast, then `in` for the kind's literals), and a phrase runs only when its literal
# is there. Phrases without a leading literal always run.
_REGEX_SYNTAX = set("()[]{}?*+|.^$\\")
_PLAIN_ALTERNATIVES = re.compile(r"\(((?:[^()\[\]{}?*+.^$\\|]+\|)+[^()\[\]{}?*+.^$\\|]+)\)")


def _lead_literals(pattern: str) -> list[str] | None:
    """Lowercase texts one of which starts every match of `pattern`, or None when the
    pattern does not open with literal text (or a group of literal alternatives)."""
    p = pattern.removeprefix("^").removeprefix("\\b")
    group = _PLAIN_ALTERNATIVES.match(p)
    if group and p[group.end() : group.end() + 1] not in ("?", "*", "{"):
        return [alt.lower() for alt in group.group(1).split("|")]
    literal, i = [], 0
    while i < len(p):
        if p[i] == "\\" and i + 1 < len(p) and not p[i + 1].isalnum():
            literal.append(p[i + 1])  # an escaped punctuation mark: r"\(c\)"
            i += 2
        elif p[i] in _REGEX_SYNTAX:
            break
        else:
            literal.append(p[i])
            i += 1
    if literal and i < len(p) and p[i] in "?*{":
        literal.pop()  # "newsletters?": the quantified last letter may be absent
    return ["".join(literal).lower()] if literal else None


class _KindPhrases:
    """One kind's phrases, each behind its leading literal(s), and those without one."""

    def __init__(self, patterns: list[str]) -> None:
        self.by_literal: dict[str, list[re.Pattern]] = {}
        self.unscreened: list[re.Pattern] = []
        for pattern in patterns:
            compiled = re.compile(pattern, re.IGNORECASE)
            lead = _lead_literals(pattern)
            for literal in lead or ():
                self.by_literal.setdefault(literal, []).append(compiled)
            if not lead:
                self.unscreened.append(compiled)
        self.prefilter = (
            re.compile("|".join(map(re.escape, sorted(self.by_literal))))
            if self.by_literal
            else None
        )

    def finditer(self, text: str, lowered: str, screen: bool) -> Iterator[re.Match]:
        """Matches of the phrases in `text`, not in text order; `screen`: whether
        `lowered` (the lowercased text) holds any kind's literal at all."""
        if screen and self.prefilter is not None and self.prefilter.search(lowered):
            for literal, patterns in self.by_literal.items():
                if literal in lowered:
                    for pattern in patterns:
                        yield from pattern.finditer(text)
        for pattern in self.unscreened:
            yield from pattern.finditer(text)


_PHRASES = {kind: _KindPhrases(patterns) for kind, patterns in _KIND_PATTERNS.items()}
_ANY_LITERAL = re.compile(
    "|".join(ph.prefilter.pattern for ph in _PHRASES.values() if ph.prefilter is not None)
)

# Kinds that are appeals to the reader: they must address the reader to count.
_APPEAL_KINDS = {"donation", "newsletter", "share", "comment_prompt"}
# Where a kind counts (see the module docstring): only in the tail; in the tail only beside
# a block of a kind not in this set; in the body only once the page shows other boilerplate.
_TAIL_ONLY = {"copyright", "comment_prompt", "author_bio"}
_NEEDS_COMPANY = {"author_bio", "republication"}
_NEEDS_EVIDENCE = {"related", "newsletter", "republication"}

_ADDRESS = re.compile(
    r"\b(you|your|you're|yours|please|(?-i:us|Us)|our|we|sie|ihr|ihre|unser[e]?|uns|vous|"
    r"votre|vos|nous|notre|nos|usted|tu|tus|nuestro|nuestra)\b"
    # an imperative opening the block, a list item ("- Share on X") or a sentence
    r"|(^[-–•*]?\s*|[.!?:]\s+|[¿¡])(support|donate|subscribe|sign up|share|follow|join|"
    r"click|forward|help|get|email|contact|tell|send|unterstützen|abonnieren|teilen|folgen|"
    r"soutenez|abonnez|partagez|suivez|apoya|suscríbete|comparte|síguenos|déjanos)\b",
    re.IGNORECASE,
)
_QUOTES = '"“”„«»‘’'
_REPORTING = re.compile(
    r"\b(said|says|told|according to|wrote|added|explained|argued|sagte|sagt|erklärte|"
    r"a déclaré|a dit|selon|dijo|afirmó|explicó|según)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^(articles? by|posted by|written by|by|von|par|por)\s*:?\s+(?P<name>[^\d:;|]{3,60})$",
    re.IGNORECASE,
)
# A byline's name: capitalised words, joined by "and"/"und"/"et"/"y" or commas.
_NAME = re.compile(r"^[A-ZÀ-Þ][\w.'’-]*( ([A-ZÀ-Þ][\w.'’-]*|and|und|et|y|de|van|von|,))*$")
_WORD = re.compile(r"\w+", re.UNICODE)
# Lines shorter than this (in words) with no sentence end are labels, not prose.
_LABEL_MAX_WORDS = 8
# Shape: a block longer than this is boilerplate only if it opens as a notice...
_SHORT_BLOCK_WORDS = 60
_OPENING_CHARS = 120
# ...and a block longer than this never is.
_LONG_BLOCK_WORDS = 130


@dataclass
class Block:
    text: str
    kind: str | None = None  # set when a rule says boilerplate


def _inside_quotes(text: str, start: int) -> bool:
    before = text[:start]
    straight = before.count('"') % 2 == 1
    curly = (
        before.count("“") > before.count("”")
        or before.count("«") > before.count("»")
        or before.count("„") > before.count("“")
    )
    return straight or curly


# "..., 'Please donate,' said the director": a closing quote right before a reporting verb.
_QUOTE_THEN_REPORT = re.compile(
    r"[,.!?]['\"’”»]\s+(\w+ ){0,3}(said|says|told|added|wrote|explained|sagte|sagt|"
    r"erklärte|a déclaré|a dit|dijo|afirmó|explicó)\b",
    re.IGNORECASE,
)


def _reported_speech(text: str) -> bool:
    if _QUOTE_THEN_REPORT.search(text):
        return True
    return any(q in text for q in _QUOTES) and bool(_REPORTING.search(text))


def classify(text: str) -> str | None:
    """The boilerplate kind of one block by its phrasing and shape, or None for article
    text. Where the block sits is `apply_generic_rules`' business."""
    stripped = text.strip()
    if not stripped:
        return None
    n_words = len(_WORD.findall(stripped))
    if n_words > _LONG_BLOCK_WORDS:
        return None
    # a long block counts only when the notice opens it
    reach = len(stripped) if n_words <= _SHORT_BLOCK_WORDS else _OPENING_CHARS
    lowered = stripped.lower()
    screen = _ANY_LITERAL.search(lowered) is not None
    reported: bool | None = None  # computed on the first phrase found: most blocks have none
    for kind, phrases in _PHRASES.items():
        for match in phrases.finditer(stripped, lowered, screen):
            if match.start() >= reach or _inside_quotes(stripped, match.start()):
                continue
            if reported is None:
                reported = _reported_speech(stripped)
            if reported:
                return None
            if kind in _APPEAL_KINDS and not _ADDRESS.search(stripped):
                break
            return kind
    return None


def is_label(text: str) -> bool:
    """A short line that is not a sentence: '*', 'Tags: a, b', 'Articles by: X'."""
    words = _WORD.findall(text)
    if not words:
        return True
    return len(words) <= _LABEL_MAX_WORDS and not text.rstrip().endswith(
        (".", "!", "?", '"', "”", "»")
    )


def credit_name(text: str) -> str | None:
    """'Articles by: South Front' -> 'South Front'; None unless the rest is a name."""
    match = _CREDIT.match(text.strip())
    if not match:
        return None
    name = match.group("name").strip()
    return name if _NAME.match(name) else None


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


# Between a headline and the site's name in a <title>: "Headline | Site", "Site - Headline".
_TITLE_SEPARATOR = re.compile(r"\s+[-|–—:·»/]+\s+|\s*[|·»]\s*")


def _title_forms(titles: list[str]) -> set[str]:
    """Normalised forms of the declared titles, each also without the site name(s) that
    separators set apart at its start or end."""
    forms: set[str] = set()
    for title in titles:
        parts = [p for p in _TITLE_SEPARATOR.split(title) if _WORD.search(p)]
        for k in range(1, len(parts) + 1):
            forms.add(_norm(" ".join(parts[:k])))
            forms.add(_norm(" ".join(parts[-k:])))
    forms.discard("")
    return forms


def _head(blocks: list[Block], titles: list[str]) -> dict[int, str]:
    """Labels before the article's first paragraph: a first line repeating a title the
    page declares ("title"), kickers ("In-depth Report:") and a byline ("By X") ("label").
    index -> kind. Classified blocks among them are the body rules' business.
    A first <h1> line that differs from the declared titles stays: it is not a copy of
    the page's metadata (Readability keeps such a heading the same way)."""
    labels: dict[int, str] = {}
    title_forms = _title_forms(titles)
    for i, block in enumerate(blocks):
        if block.kind in _TAIL_ONLY:
            break
        if block.kind:
            continue  # e.g. a republication credit opening the text
        if i == 0 and _norm(block.text) in title_forms:
            labels[i] = "title"
        elif is_label(block.text) and (
            block.text.rstrip().endswith(":") or credit_name(block.text)
        ):
            labels[i] = "label"
        else:
            break
    return labels


def _tail_start(blocks: list[Block]) -> int:
    """Index of the first block of the tail: the run of classified blocks and labels that
    ends the text (len(blocks) when the last block is article text)."""
    start = len(blocks)
    while start > 0 and (blocks[start - 1].kind or is_label(blocks[start - 1].text)):
        start -= 1
    return start


def rule_removals(
    paragraphs: list[str],
    titles: list[str],
    *,
    known_boilerplate: bool = False,
    kinds: list[str | None] | None = None,
) -> dict[int, str]:
    """index -> kind of the paragraphs the generic rules and the tail rule remove, before
    the "all boilerplate is the page's content" check (`keep_content`).
    `titles`: the titles the page declares in its head (metadata.declared_titles);
    `known_boilerplate`: an earlier layer (site rules) already removed some from this page;
    `kinds`: `classify` of each paragraph, when the caller has it already."""
    if kinds is None:
        kinds = [classify(p) for p in paragraphs]
    blocks = [Block(p, kind) for p, kind in zip(paragraphs, kinds, strict=True)]
    tail = _tail_start(blocks)
    removed: dict[int, str] = {}  # index -> kind

    # The tail: every kind; a bio or a credit only beside another boilerplate block.
    tail_kinds = {i: b.kind for i, b in enumerate(blocks) if i >= tail and b.kind}
    for i, kind in tail_kinds.items():
        if kind not in _NEEDS_COMPANY or any(
            k not in _NEEDS_COMPANY for j, k in tail_kinds.items() if j != i
        ):
            removed[i] = kind
    # The body: the kinds that are boilerplate wherever they stand...
    for i, block in enumerate(blocks[:tail]):
        if block.kind and block.kind not in _TAIL_ONLY | _NEEDS_EVIDENCE:
            removed[i] = block.kind
    # ...and, once the page shows some boilerplate, the lines that a lone occurrence
    # could be article text for: cross-references, promos, credits, the title line,
    # kickers and bylines before the article.
    if removed or known_boilerplate:
        for i, block in enumerate(blocks[:tail]):
            if block.kind in _NEEDS_EVIDENCE:
                removed[i] = block.kind
        removed.update(_head(blocks[:tail], titles))
    # The tail's labels, once the tail holds boilerplate after some article text.
    if tail > 0 and any(i >= tail for i in removed):
        removed.update((i, "label") for i in range(tail, len(blocks)) if i not in removed)
    return removed


def apply_removals(
    paragraphs: list[str],
    removed: dict[int, str],
    authors: list[str],
    layers: dict[int, str] | None = None,
) -> tuple[list[str], list[dict], list[str]]:
    """(kept paragraphs, removal records, authors) once `removed` (index -> kind) is
    decided. A text that is all boilerplate is kept whole: it is the page's content (a
    donation or legal page), not an article with furniture. A removed credit line ("Articles
    by: X") becomes the author when the metadata has none. `layers`: index -> layer name
    for removals that are not the generic rules'."""
    if len(removed) == len(paragraphs):
        return list(paragraphs), [], list(authors)
    layers = layers or {}
    new_authors = list(authors)
    for i, kind in sorted(removed.items()):
        name = credit_name(paragraphs[i]) if kind == "label" else None
        if name and not new_authors:
            new_authors = [name]
    kept = [p for i, p in enumerate(paragraphs) if i not in removed]
    removals = [
        {"kind": kind, "layer": layers.get(i, LAYER), "text": paragraphs[i]}
        for i, kind in sorted(removed.items())
    ]
    return kept, removals, new_authors


def apply_generic_rules(
    paragraphs: list[str],
    titles: list[str],
    authors: list[str],
    *,
    known_boilerplate: bool = False,
) -> tuple[list[str], list[dict], list[str]]:
    """(kept paragraphs, removals, authors) after the generic rules and the tail rule.
    `titles`: the titles the page declares in its head (metadata.declared_titles);
    `known_boilerplate`: an earlier layer (site rules) already removed some from this page."""
    removed = rule_removals(paragraphs, titles, known_boilerplate=known_boilerplate)
    return apply_removals(paragraphs, removed, authors)
