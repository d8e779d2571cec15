"""Is the text we got the whole article, or what a paywall lets through?

Evidence, read from the page before extraction (`paywall_evidence`):
- JSON-LD `isAccessibleForFree: false`, and its `hasPart` elements (`cssSelector`) that
  are not free: Google's documented markup for paywalled content;
- `<meta property="article:content_tier" content="locked|metered">` (Open Graph);
- the common paywall widgets' class and id names (Piano/Tinypass, "paywall", "regwall"...);
- a subscribe prompt in the page ("Subscribe to continue reading").

`access_of` weighs it against the extracted text: `free` (no paywall evidence),
`paywalled` (a paywall, and the text is a teaser: short, cut at a prompt, or the parts
the page marks as not free are missing from what was served), `partial` (a paywall is
declared or shown but the text does not stop at a teaser: a metered or client-side wall
served the article whole, or its free part is long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cssselect import SelectorError

from crawler.extract.metadata import _jsonld_objects as jsonld_objects
from crawler.extract.metadata import _meta_values as meta_values

ACCESS_VALUES = ("free", "paywalled", "partial")
# A paywall page whose text is shorter than this is a teaser: news teasers run a lede and
# a paragraph or two (50-150 words); articles that short are rare behind a paywall.
TEASER_MAX_WORDS = 150
# Parts the page marks as not free that hold fewer words than this were not served.
_SERVED_PART_MIN_WORDS = 30
_MARKER_CLASS = re.compile(
    r"(?:^|[\s_-])(paywall|paywalled|regwall|tp-modal|tp-container-inner|piano-offer|"
    r"meteredcontent|metered-content|subscriber-only|subscribers-only|locked-content|"
    r"article-locked|premium-paywall)(?:$|[\s_-])"
)
_PROMPT = re.compile(
    r"subscribe (?:now )?to (?:continue|keep) reading|subscribe to read|"
    r"to continue reading,? (?:please )?(?:subscribe|log in|sign in)|"
    r"(?:this|the rest of this) (?:article|story|content) is (?:only )?(?:available )?"
    r"(?:for|to) (?:paying )?subscribers|already a subscriber\?|"
    r"you(?:'ve| have) reached your (?:free )?(?:article|monthly) limit|"
    r"for subscribers only|"
    r"nur für abonnenten|jetzt weiterlesen mit|weiterlesen mit [a-z+ ]*abo"
)
# every prompt holds one of these: the regex runs only on pages that have one (it cost
# 2 ms a page on ../shared/bench pages, the substring tests 0.1 ms)
_PROMPT_HINTS = ("subscri", "abonnent", "weiterlesen", " limit")


@dataclass
class PaywallEvidence:
    declared: list[str] = field(default_factory=list)  # what says "not free"
    missing_parts: list[str] = field(default_factory=list)  # not-free parts not served
    served_parts: list[str] = field(default_factory=list)  # not-free parts served anyway
    prompts: list[str] = field(default_factory=list)  # subscribe prompts, as written


def _not_free(value) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _parts(obj: dict) -> list[dict]:
    parts = obj.get("hasPart")
    parts = parts if isinstance(parts, list) else [parts]
    return [p for p in parts if isinstance(p, dict)]


def _part_words(tree, selector: str) -> int | None:
    """Words in the elements `selector` picks; None for a selector lxml cannot run."""
    try:
        elements = tree.cssselect(selector)
    except (SelectorError, ValueError, TypeError):
        return None
    return sum(len(el.text_content().split()) for el in elements[:50])


def _jsonld_evidence(tree, evidence: PaywallEvidence) -> None:
    for obj in jsonld_objects(tree):
        if _not_free(obj.get("isAccessibleForFree")):
            note = "json-ld: isAccessibleForFree false"
            if note not in evidence.declared:
                evidence.declared.append(note)
        for part in _parts(obj):
            selector = part.get("cssSelector")
            if not _not_free(part.get("isAccessibleForFree")) or not isinstance(selector, str):
                continue
            words = _part_words(tree, selector[:200])
            if words is None:
                continue
            kind = (
                evidence.served_parts if words >= _SERVED_PART_MIN_WORDS else evidence.missing_parts
            )
            kind.append(f"json-ld hasPart {selector[:200]}: {words} words in the page")


def paywall_evidence(tree) -> PaywallEvidence:
    """What the page says or shows about a paywall. Read before extraction prunes it."""
    evidence = PaywallEvidence()
    _jsonld_evidence(tree, evidence)
    tier = (meta_values(tree).get("article:content_tier") or "").strip().lower()
    if tier in ("locked", "metered"):
        evidence.declared.append(f"meta: article:content_tier {tier}")
    # one pass over every class and id value of the page, lower case
    attributes = " ".join(tree.xpath("//@class|//@id")).lower()
    for name in dict.fromkeys(m.group(1) for m in _MARKER_CLASS.finditer(attributes)):
        evidence.declared.append(f"marker: {name}")
    body = tree.find(".//body")
    text = " ".join((body if body is not None else tree).text_content().lower().split())
    if any(hint in text for hint in _PROMPT_HINTS):
        prompts = (m.group(0) for m in _PROMPT.finditer(text))
        evidence.prompts = list(dict.fromkeys(prompts))[:5]
    return evidence


def access_of(evidence: PaywallEvidence, text: str) -> tuple[str, list[str]]:
    """(`free` | `paywalled` | `partial`, the evidence as short notes)."""
    last_line = text.rstrip().rsplit("\n", 1)[-1]
    # a prompt inside the article's own text (not its last line) is the article talking
    # about paywalls, not one
    lowered = " ".join(text.lower().split())
    prompts = [p for p in evidence.prompts if p not in lowered or p in last_line.lower()]
    notes = [*evidence.declared, *evidence.missing_parts, *evidence.served_parts]
    notes += [f"prompt: {p}" for p in prompts]
    if not notes:
        return "free", []
    words = len(text.split())
    cut_at_prompt = bool(_PROMPT.search(last_line.lower())) or text.rstrip().endswith(("…", "..."))
    teaser = words < TEASER_MAX_WORDS or cut_at_prompt or bool(evidence.missing_parts)
    if evidence.served_parts and not evidence.missing_parts and words >= TEASER_MAX_WORDS:
        teaser = False
    notes.append(f"text: {words} words" + (", cut at a prompt" if cut_at_prompt else ""))
    return ("paywalled" if teaser else "partial"), notes
