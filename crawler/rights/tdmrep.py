"""TDMRep (W3C Community Group final report, 2024): `/.well-known/tdmrep.json` is a JSON
array of rules `{"location": pattern, "tdm-reservation": 0|1, "tdm-policy": url}`.
`location` is a path pattern as in robots.txt (`*` any characters, `$` the end); rules are
read in file order and the first one whose location matches the page's path applies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

TDMREP_PATH = "/.well-known/tdmrep.json"
# a site's tdmrep.json holds a handful of rules; more is no file we should work through
MAX_RULES = 1000


@dataclass(frozen=True, slots=True)
class TdmRule:
    location: str
    reserved: bool | None
    policy: str | None

    def matches(self, path: str) -> bool:
        return _pattern(self.location).match(path or "/") is not None


def _pattern(location: str) -> re.Pattern:
    anchored = location.endswith("$")
    body = location[:-1] if anchored else location
    if not body.startswith("/") and not body.startswith("*"):
        body = "/" + body
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


def reservation_value(value) -> bool | None:
    """`tdm-reservation` as written (header, meta content or JSON): 1 -> True, 0 -> False,
    anything else -> None (a malformed value is no declaration)."""
    text = str(value).strip() if value is not None else ""
    return {"1": True, "0": False}.get(text)


def parse_tdmrep(body: bytes) -> list[TdmRule]:
    """The rules of a tdmrep.json body; [] for a body that is not such a file."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    rules = []
    for item in data[:MAX_RULES]:
        if not isinstance(item, dict) or not isinstance(item.get("location"), str):
            continue
        policy = item.get("tdm-policy")
        rules.append(
            TdmRule(
                item["location"].strip(),
                reservation_value(item.get("tdm-reservation")),
                policy.strip() if isinstance(policy, str) and policy.strip() else None,
            )
        )
    return rules


def rule_for(rules: list[TdmRule], path: str) -> TdmRule | None:
    """The first rule whose location matches `path`, or None."""
    return next((rule for rule in rules if rule.matches(path)), None)
