"""Generic boilerplate rules: whole blocks inside the article container that are not the
article (donation appeals, newsletter boxes, share prompts, disclaimers, ...).

trafilatura decides at the level of containers; these blocks sit inside the article's own
container, so it keeps them. Here every paragraph of its output is classified on its own
phrasing, and the rules are built to stay quiet on articles *about* donations,
newsletters or copyright:
- each kind needs a phrase typical of the appeal/notice itself, not of reporting on it;
- appeal kinds (donation, newsletter, share, comment prompt) also need the reader to be
  addressed (you/your/please, an imperative opening, "us/our" for the publisher);
- a match inside quotation marks, or a paragraph of reported speech (a quote plus
  "said"/"sagte"/"a déclaré"/"dijo"...), is reporting, never boilerplate;
- the tail rule: once the article has ended in a run of boilerplate blocks, the short
  label lines between them ("*", "Articles by: X", "Tags: ...") go too; a credit line
  becomes the author when the metadata has none.
Every removal is reported as {kind, layer, text} so it can be audited and undone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LAYER = "generic"

# Phrases by kind. English first; German, French and Spanish for the common kinds.
_KIND_PATTERNS: dict[str, list[str]] = {
    "donation": [
        r"\bdonat(e|ing|ion)s?\b", r"\bsupport (us|our (work|journalism|reporting|project|"
        r"mission|newsroom|content)|the project|independent (journalism|media))\b",
        r"\bchip in\b", r"\bbecome an? (patron|member|supporter|sustaining member)\b",
        r"\bmake an? (one-time |monthly )?(contribution|gift)\b", r"\bpatreon\b", r"\bpaypal\b",
        r"\bbuy (us|me) a coffee\b", r"\bko-fi\b", r"/donate\b",
        r"\bunterstützen sie (uns|unsere)\b", r"\bjetzt spenden\b", r"\bspende[nr]?\b",
        r"\bsoutenez[- ]nous\b", r"\bfaire un don\b", r"\bfaites un don\b",
        r"\bapoya (nuestro|a)\b", r"\bhaz una donación\b", r"\bdona ahora\b",
        r"\bhazte socio\b", r"\bcall (up)?on (\w+ ){0,3}readers to support\b",
        r"\bsupport\b.{0,60}\bin (its|their|our) (endeavou?rs|work|efforts|mission)\b",
    ],
    "newsletter": [
        r"\bnewsletters?\b.{0,80}\b(sign up|subscribe|inbox|deliver)",
        r"\b(sign up|subscribe)\b.{0,80}\bnewsletters?\b", r"\bin your inbox\b",
        r"\bdelivered (straight |directly )?to your inbox\b", r"\bnewsletter abonnieren\b",
        r"\babonnieren sie\b", r"\babonnez-vous\b", r"\binscrivez-vous à (notre|la) newsletter\b",
        r"\bsuscríbete\b", r"\bbolet[ií]n\b.{0,60}\b(suscr|recib)",
    ],
    "share": [
        r"\bshare (this|the) (article|story|post|page)\b", r"\bclick the share buttons?\b",
        r"\bforward this (article|story|email)\b", r"\bcrosspost\b",
        r"\bfollow us on\b", r"\bshare (it )?on (facebook|twitter|x|linkedin|whatsapp)\b",
        r"\bteilen sie (diesen|den) (artikel|beitrag)\b", r"\bfolgen sie uns\b",
        r"\bpartagez (cet|cet article|l'article)\b", r"\bsuivez-nous\b",
        r"\bcomparte (este|esta) (artículo|nota|noticia)\b", r"\bsíguenos\b",
    ],
    "disclaimer": [
        r"^disclaimer\b", r"\bthe views (and opinions )?expressed\b.{0,80}\b(author|own|"
        r"necessarily|solely)\b", r"\bsole responsibility of the author",
        r"\bdoes not constitute (financial|legal|investment|medical) advice\b",
        r"\bwill not be (held )?responsible for any\b", r"^haftungsausschluss\b",
        r"\bgibt die meinung de[rs] autor", r"\bn'engage(nt)? que (leur|son|ses) auteur",
        r"\bno se hace responsable\b", r"\bno refleja(n)? necesariamente\b",
        r"\bspiegel(t|n) nicht (zwingend |unbedingt |notwendigerweise )?die meinung\b",
    ],
    "copyright": [
        r"©", r"\(c\) (19|20)\d\d\b", r"\bcopyright (©\s*)?(19|20)\d\d\b",
        r"\ball rights reserved\b", r"\balle rechte vorbehalten\b", r"\btous droits réservés\b",
        r"\btodos los derechos reservados\b", r"\bcontains copyrighted material\b",
        r"\bprovisions of \W?fair use\b", r"\bgrants permission to cross-post\b",
        r"\bmay not be (reproduced|republished|redistributed)\b",
    ],
    "contact": [
        r"\bfor media inquiries\b", r"\bmedia (contact|inquiries)\s*:", r"\bpress (contact|"
        r"inquiries)\s*:", r"\bpressekontakt\b", r"\bcontact presse\b",
        r"\bcontacto de prensa\b", r"\bhave a (news )?tip\b", r"\bsend (us )?(your )?tips\b",
    ],
    "related": [
        r"^(read more|related|related articles?|also read|see also|more on this( story)?|"
        r"recommended|lesen sie auch|mehr zum thema|auch interessant|à lire aussi|lire aussi|"
        r"voir aussi|lee también|te puede interesar|más información)\s*[:\-–—]",
    ],
    "author_bio": [
        r"^[A-Z][\w.'-]+( [A-Z][\w.'-]+){1,3} (is|was) an? (\w+ ){0,3}(reporter|correspondent|"
        r"writer|editor|journalist|columnist|contributor|freelancer)\b",
        r"\bfollow (him|her|them) on\b",
    ],
    "republication": [
        r"\boriginally (published|appeared) (by|in|on|at)\b",
        r"\brepublished (here )?(with permission|under)\b",
        r"\bthis (article|story) was (produced|published) (in partnership|by|with)\b",
        r"\bzuerst erschienen (bei|in|auf)\b", r"\b(publié|paru) initialement\b",
        r"\bpublicado originalmente\b",
    ],
    "comment_prompt": [
        r"\bleave a (comment|reply)\b", r"\blet us know in the comments\b",
        r"\bjoin the (conversation|discussion)\b", r"^what do you think\?",
        r"\bcomments? (are|is) (closed|moderated)\b", r"\bkommentieren sie\b",
        r"\blaissez un commentaire\b", r"\bdeja (un|tu) comentario\b",
    ],
    "ad_label": [
        r"^(advertisement|advertising|sponsored( content| post)?|paid (post|content)|anzeige|"
        r"werbung|publicité|publicidad|ad)\W*$",
    ],
}
_COMPILED = {
    kind: [re.compile(p, re.IGNORECASE | re.UNICODE) for p in patterns]
    for kind, patterns in _KIND_PATTERNS.items()
}

# Kinds that are appeals to the reader: they must address the reader to count.
_APPEAL_KINDS = {"donation", "newsletter", "share", "comment_prompt"}
_ADDRESS = re.compile(
    r"\b(you|your|you're|yours|please|(?-i:us|Us)|our|we|sie|ihr|ihre|unser[e]?|uns|vous|votre|vos|"
    r"nous|notre|nos|usted|tu|tus|nuestro|nuestra|nos)\b|^(support|donate|subscribe|sign up|"
    r"share|follow|join|click|forward|help|get|unterstützen|abonnieren|teilen|soutenez|"
    r"abonnez|partagez|apoya|suscríbete|comparte)\b",
    re.IGNORECASE,
)
_QUOTES = "\"“”„«»‘’"
_REPORTING = re.compile(
    r"\b(said|says|told|according to|wrote|added|explained|argued|sagte|sagt|erklärte|"
    r"a déclaré|a dit|selon|dijo|afirmó|explicó|según)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^(articles? by|posted by|written by|by|von|par|por)\s*:?\s+(?P<name>[^\d:;|]{3,60})$",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
# Lines shorter than this (in words) with no sentence end are labels, not prose.
_LABEL_MAX_WORDS = 8


@dataclass
class Block:
    text: str
    kind: str | None = None  # set when a rule says boilerplate


def _inside_quotes(text: str, start: int) -> bool:
    before = text[:start]
    straight = before.count('"') % 2 == 1
    curly = before.count("“") > before.count("”") or before.count("«") > before.count("»") \
        or before.count("„") > before.count("“")
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
    """The boilerplate kind of one block, or None for article text."""
    stripped = text.strip()
    if not stripped:
        return None
    if _reported_speech(stripped):
        return None
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            match = pattern.search(stripped)
            if match is None or _inside_quotes(stripped, match.start()):
                continue
            if kind in _APPEAL_KINDS and not _ADDRESS.search(stripped):
                continue
            return kind
    return None


def is_label(text: str) -> bool:
    """A short line that is not a sentence: '*', 'Tags: a, b', 'Articles by: X'."""
    words = _WORD.findall(text)
    if not words:
        return True
    return len(words) <= _LABEL_MAX_WORDS and not text.rstrip().endswith((".", "!", "?", '"',
                                                                          "”", "»"))


def credit_name(text: str) -> str | None:
    """'Articles by: South Front' -> 'South Front'."""
    match = _CREDIT.match(text.strip())
    return match.group("name").strip() if match else None


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def apply_generic_rules(
    paragraphs: list[str], title: str | None, authors: list[str]
) -> tuple[list[str], list[dict], list[str]]:
    """(kept paragraphs, removals, authors) after the generic rules and the tail rule."""
    blocks = [Block(p, classify(p)) for p in paragraphs]
    removed: dict[int, tuple[str, str]] = {}  # index -> (kind, text)

    for i, block in enumerate(blocks):
        if block.kind:
            removed[i] = (block.kind, block.text)

    # Leading labels: a first line repeating the title, "In-depth Report:"-style kickers.
    title_norm = _norm(title) if title else None
    for i, block in enumerate(blocks):
        if i in removed:
            continue
        if title_norm and _norm(block.text) == title_norm:
            removed[i] = ("title", block.text)
            continue
        if is_label(block.text) and block.text.rstrip().endswith(":"):
            removed[i] = ("label", block.text)
            continue
        break

    # The tail: after the last article paragraph, everything is boilerplate or a label.
    last_article = max((i for i, b in enumerate(blocks)
                        if i not in removed and not is_label(b.text)), default=-1)
    tail = range(last_article + 1, len(blocks))
    tail_has_boilerplate = any(i in removed for i in tail)
    new_authors = list(authors)
    if tail_has_boilerplate:
        for i in tail:
            if i in removed:
                continue
            text = blocks[i].text
            removed[i] = ("label", text)
            name = credit_name(text)
            if name and not new_authors:
                new_authors = [name]

    kept = [b.text for i, b in enumerate(blocks) if i not in removed]
    removals = [{"kind": kind, "layer": LAYER, "text": text}
                for _, (kind, text) in sorted(removed.items())]
    return kept, removals, new_authors
