"""The article record's `rights`: what the site declared about mining and AI use of the
page, each fact with where it was found. Nothing here decides what a user may do; the
export's `--exclude-reserved` reads `reservation_reasons`.

    {"tdm_reserved": true | false | null,     TDMRep tdm-reservation (null: none declared)
     "tdm_policy": url | null,                TDMRep tdm-policy, from the same source
     "robots_ai_disallowed": [agent...] | null,  RIGHTS_AI_USER_AGENTS robots.txt forbids
                                              this page to (null: robots.txt not consulted)
     "x_robots": [directive...],              X-Robots-Tag + <meta name=robots>
     "source": {"tdm": "tdmrep.json" | "http-header" | "html-meta" | null,
                "x_robots": ["http-header", "html-meta"], "robots_txt": bool,
                "tdmrep_json": bool}}         whether robots.txt / tdmrep.json were read

TDMRep's processing priority (final report, "Processing priority"): the site's
tdmrep.json rule for the path is read first, a `tdm-reservation` HTTP header supersedes
it, and the page's <meta name="tdm-reservation"> supersedes both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.rights.tdmrep import TdmRule, reservation_value

# the response headers a CapturedPage keeps for its rights (lower case)
RIGHTS_HEADERS = ("x-robots-tag", "tdm-reservation", "tdm-policy")
# why --exclude-reserved leaves a record out; the manifest counts each
RESERVATION_REASONS = ("tdm-reservation", "x-robots-noai", "robots-ai-disallowed")


@dataclass(frozen=True, slots=True)
class HostRights:
    """What the crawl learned about the page's host outside the page itself."""

    robots_ai_disallowed: list[str] | None = None  # None: robots.txt was not consulted
    tdm_rule: TdmRule | None = None  # the tdmrep.json rule for the page's path
    tdmrep_read: bool = False  # a tdmrep.json was fetched and read for the host


def robots_directives(values: list[str]) -> list[str]:
    """Directives of X-Robots-Tag / <meta name=robots> values, lower case, in order, once
    each. A user-agent prefix ("googlebot: noindex") stays with its directive, as written;
    directives with a value of their own (max-snippet: 20) stay whole too."""
    found: list[str] = []
    for value in values:
        for part in value.split(","):
            token = " ".join(part.strip().lower().split())
            token = re.sub(r"\s*:\s*", ": ", token)
            if token and token not in found:
                found.append(token)
    return found


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name) or []
    return values[0].strip() if values else None


def _tdm(page: dict, headers: dict[str, list[str]], host: HostRights):
    """(reserved, policy, source) by TDMRep's processing priority: <meta> over the HTTP
    header over tdmrep.json. Each source gives its reservation and its own policy."""
    reserved = reservation_value(page.get("tdm_reservation"))
    if reserved is not None:
        return reserved, page.get("tdm_policy"), "html-meta"
    reserved = reservation_value(_first(headers, "tdm-reservation"))
    if reserved is not None:
        return reserved, _first(headers, "tdm-policy"), "http-header"
    rule = host.tdm_rule
    if rule is not None and rule.reserved is not None:
        return rule.reserved, rule.policy, "tdmrep.json"
    return None, None, None


def rights_of(
    page: dict | None, headers: dict[str, list[str]] | None, host: HostRights | None
) -> dict:
    """The record's `rights` from the page's markup (`Extraction.page_rights`), the
    response's RIGHTS_HEADERS (None: not known, e.g. `crawler extract` of a file) and what
    the crawl knows of the host."""
    page, headers, host = page or {}, headers or {}, host or HostRights()
    reserved, policy, tdm_source = _tdm(page, headers, host)
    header_robots = robots_directives(headers.get("x-robots-tag") or [])
    meta_robots = list(page.get("robots") or [])
    return {
        "tdm_reserved": reserved,
        "tdm_policy": policy,
        "robots_ai_disallowed": (
            None if host.robots_ai_disallowed is None else list(host.robots_ai_disallowed)
        ),
        "x_robots": list(dict.fromkeys(header_robots + meta_robots)),
        "source": {
            "tdm": tdm_source,
            "x_robots": [
                where
                for where, found in (("http-header", header_robots), ("html-meta", meta_robots))
                if found
            ],
            "robots_txt": host.robots_ai_disallowed is not None,
            "tdmrep_json": host.tdmrep_read,
        },
    }


def reservation_reasons(rights: dict | None) -> list[str]:
    """Why a record's site reserved mining/AI rights (RESERVATION_REASONS), [] if it did
    not say so. `noimageai` concerns images, not the text the feed holds."""
    if not rights:
        return []
    reasons = []
    if rights.get("tdm_reserved") is True:
        reasons.append("tdm-reservation")
    if any(d == "noai" or d.endswith(": noai") for d in rights.get("x_robots") or []):
        reasons.append("x-robots-noai")
    if rights.get("robots_ai_disallowed"):
        reasons.append("robots-ai-disallowed")
    return reasons
