"""Per-site boilerplate rules, from the `[boilerplate]` table of `settings/sites/<site>.toml`.

    [site]
    name = "globalresearch"
    domains = ["globalresearch.ca"]          # the host and its subdomains

    [boilerplate]
    remove = [".share-buttons", "//div[@id='donate']"]   # CSS or XPath, cut before extraction
    drop = ["^Articles by:", "^Related:"]                 # regexes: paragraphs to drop
    end_before = ["^Note to readers"]                     # the article ends before this

The rest of the file format (start URLs, feeds, schedule...) is read by
`crawler.sites.config`, which calls `rules_from_table`; this module reads only what the
boilerplate stage needs and says exactly what is wrong
with a file that does not fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cssselect import GenericTranslator, SelectorError

from crawler.sites.files import (
    SiteConfigError,
    SiteFile,
    file_stem,
    list_of_strings,
    read_site_file,
    site_files,
)
from crawler.urls import host_in_domains

LAYER = "site"


@dataclass
class SiteRules:
    name: str
    domains: list[str]
    remove_xpaths: list[str] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)
    end_before: list[str] = field(default_factory=list)

    def matches(self, host: str | None) -> bool:
        return host_in_domains(host, self.domains)


def _strings(path: SiteFile, table: dict, key: str, where: str) -> list[str]:
    return list_of_strings(path, where, key, table.get(key, []))


def _to_xpath(path: SiteFile, selector: str) -> str:
    if selector.startswith(("/", "./", "(")):
        return selector
    try:
        return GenericTranslator().css_to_xpath(selector, prefix="descendant-or-self::")
    except SelectorError as exc:
        raise SiteConfigError(
            f"{path}: [boilerplate] remove: {selector!r} is neither XPath nor valid CSS ({exc})"
        ) from exc


def load_site_rules(path: SiteFile) -> SiteRules:
    return rules_from_table(path, read_site_file(path))


def rules_from_table(path: SiteFile, data: dict) -> SiteRules:
    """The `[site]` identity and `[boilerplate]` rules of an already parsed site file."""
    site = data.get("site", {})
    if not isinstance(site, dict):
        raise SiteConfigError(f"{path}: [site] must be a table")
    name = site.get("name", file_stem(path))
    domains = _strings(path, site, "domains", "site")
    if not domains:
        raise SiteConfigError(
            f"{path}: [site] domains must list at least one host name, "
            'e.g. domains = ["example.com"]'
        )
    rules = data.get("boilerplate", {})
    if not isinstance(rules, dict):
        raise SiteConfigError(f"{path}: [boilerplate] must be a table")
    drop = _strings(path, rules, "drop", "boilerplate")
    end_before = _strings(path, rules, "end_before", "boilerplate")
    for key, patterns in (("drop", drop), ("end_before", end_before)):
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SiteConfigError(
                    f"{path}: [boilerplate] {key}: {pattern!r} is not a "
                    f"valid regular expression ({exc})"
                ) from exc
    return SiteRules(
        name=str(name),
        domains=[d.lower().lstrip(".") for d in domains],
        remove_xpaths=[_to_xpath(path, s) for s in _strings(path, rules, "remove", "boilerplate")],
        drop=drop,
        end_before=end_before,
    )


def load_all(dirs: list[str | Path]) -> list[SiteRules]:
    return [load_site_rules(path) for path in site_files(dirs)]


def rules_from_settings(settings) -> list[SiteRules]:
    """The per-site rules of the SITES_DIRS folders; none when BOILERPLATE_ENABLED is off."""
    return (
        load_all(settings.getlist("SITES_DIRS")) if settings.getbool("BOILERPLATE_ENABLED") else []
    )


def rules_for(host: str | None, all_rules: list[SiteRules]) -> SiteRules | None:
    return next((r for r in all_rules if r.matches(host)), None)


def prune_tree(tree, rules: SiteRules) -> list[dict]:
    """Cut the selected elements out of the parsed page, before trafilatura sees it."""
    removed = []
    for xpath in rules.remove_xpaths:
        for element in tree.xpath(xpath):
            if element.getparent() is None:
                continue  # never drop the root
            text = " ".join(element.text_content().split())
            element.drop_tree()
            if text:
                removed.append({"kind": "site_selector", "layer": LAYER, "text": text})
    return removed


def apply_text_rules(paragraphs: list[str], rules: SiteRules) -> tuple[list[str], list[dict]]:
    kept, removed = [], []
    ended = False
    for text in paragraphs:
        if not ended and any(re.search(p, text) for p in rules.end_before):
            ended = True
        if ended:
            removed.append({"kind": "site_after_end", "layer": LAYER, "text": text})
        elif any(re.search(p, text) for p in rules.drop):
            removed.append({"kind": "site_pattern", "layer": LAYER, "text": text})
        else:
            kept.append(text)
    return kept, removed
