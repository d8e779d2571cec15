"""Site configuration: one TOML file per site (`settings/sites/<site>.toml`).

    [site]
    name = "example"                       # default: the file name
    domains = ["news.example"]             # the host and its subdomains; nothing else is followed
    start_urls = ["https://news.example/"] # home page(s): links are followed from here
    schedule = "*/30 * * * *"              # cron (5 fields, or 6 with seconds first)

    [discovery]
    feeds = "discover"           # or a list of RSS / Atom / JSON Feed URLs; [] for none
    sitemaps = "discover"        # or a list of sitemap (index) URLs; [] for none
    sections = ["https://news.example/world/"]
    article_allow = ['/\\d{4}/\\d{2}/\\d{2}/[^/]+\\.html$']   # regexes on the full URL
    article_deny = ['/tag/']
    follow_allow = ['[?&]page=\\d+$']      # hub links (pagination, sub-sections) to follow
    max_depth = 2                # link hops from a start URL or section page
    max_pages = 1000             # page budget per run (hubs and articles)
    window = "7d"                # only articles published within; "" = no limit
    max_url_length = 2048
    max_repeated_segments = 2    # /a/b/a/b/a/... traps
    strip_params = ["utm_*", "fbclid", "gclid", "sessionid", "sid", "phpsessid", "jsessionid"]

    [politeness]
    download_delay = 1.0         # seconds between requests to the site (at least)
    concurrency = 2              # concurrent requests to the site
    autothrottle = true
    obey_robots = true
    max_refusals = 20            # 403/429/503 answers (less half the others) that stop a run

    [recrawl]
    policy = "never"             # never | always | after
    after = "7d"                 # with policy = "after": refetch articles older than this

    [boilerplate]                # see crawler.extract.site_rules
    remove = [".share-buttons"]

Every mistake is reported as `<file>: [table] key: what was expected, got what`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from crawler.extract.site_rules import SiteRules, rules_from_table
from crawler.sites.files import (
    SiteConfigError,
    SiteFile,
    file_stem,
    list_of_strings,
    read_site_file,
    site_files,
)
from crawler.sites.patterns import PatternError, SitePattern, compile_site_pattern
from crawler.timebounds import DURATION_FORMS, TimeBoundError, parse_duration
from crawler.urls import DEFAULT_STRIP_PARAMS, url_in_domains

DISCOVER = "discover"
RECRAWL_POLICIES = ("never", "always", "after")
_KNOWN = {
    "site": {"name", "domains", "start_urls", "schedule"},
    "discovery": {
        "feeds",
        "sitemaps",
        "sections",
        "article_allow",
        "article_deny",
        "follow_allow",
        "max_depth",
        "max_pages",
        "window",
        "max_url_length",
        "max_repeated_segments",
        "strip_params",
    },
    "politeness": {"download_delay", "concurrency", "autothrottle", "obey_robots", "max_refusals"},
    "recrawl": {"policy", "after"},
    "boilerplate": {"remove", "drop", "end_before"},
}


@dataclass
class SiteConfig:
    name: str
    path: SiteFile
    domains: list[str]
    start_urls: list[str]
    schedule: str | None
    feeds: list[str] | str  # list of URLs or DISCOVER
    sitemaps: list[str] | str
    sections: list[str]
    article_allow: list[re.Pattern]
    article_deny: list[re.Pattern]
    follow_allow: list[re.Pattern]
    max_depth: int = 2
    max_pages: int = 1000
    window: timedelta | None = None
    max_url_length: int = 2048
    max_repeated_segments: int = 2
    strip_params: list[str] = field(default_factory=lambda: list(DEFAULT_STRIP_PARAMS))
    download_delay: float = 1.0
    concurrency: int = 2
    autothrottle: bool = True
    obey_robots: bool = True
    max_refusals: int = 20
    recrawl_policy: str = "never"
    recrawl_after: timedelta | None = None
    rules: SiteRules | None = None

    def on_site(self, url: str) -> bool:
        return url_in_domains(url, self.domains)

    def is_article(self, url: str) -> bool:
        if any(p.search(url) for p in self.article_deny):
            return False
        return any(p.search(url) for p in self.article_allow)

    def is_followable_hub(self, url: str) -> bool:
        return any(p.search(url) for p in self.follow_allow) and not any(
            p.search(url) for p in self.article_deny
        )


class _Reader:
    """Typed access to one table of one file, with errors that name file, table and key."""

    def __init__(self, path: SiteFile, data: dict, table: str) -> None:
        self.path, self.table = path, table
        value = data.get(table, {})
        if not isinstance(value, dict):
            self.fail(None, "a table", value)
        unknown = sorted(set(value) - _KNOWN[table])
        if unknown:
            raise SiteConfigError(
                f"{path}: [{table}] unknown key {unknown[0]!r}; known keys: "
                f"{', '.join(sorted(_KNOWN[table]))}"
            )
        self.values = value

    def fail(self, key: str | None, expected: str, got) -> None:
        where = f"[{self.table}] {key}" if key else f"[{self.table}]"
        raise SiteConfigError(f"{self.path}: {where}: expected {expected}, got {got!r}")

    def strings(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.values.get(key, default if default is not None else [])
        return list_of_strings(self.path, self.table, key, value)

    def urls(self, key: str) -> list[str]:
        found = self.strings(key)
        for url in found:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                self.fail(key, "absolute http(s) URLs", url)
        return found

    def urls_or_discover(self, key: str) -> list[str] | str:
        value = self.values.get(key, DISCOVER)
        if value == DISCOVER:
            return DISCOVER
        if isinstance(value, str):
            self.fail(key, f'"{DISCOVER}" or a list of URLs', value)
        return self.urls(key)

    def patterns(self, key: str) -> list[SitePattern]:
        compiled = []
        for text in self.strings(key):
            try:
                compiled.append(compile_site_pattern(text))  # RE2: linear time on site URLs
            except PatternError as exc:
                self.fail(key, f"valid regular expressions ({exc})", text)
        return compiled

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"an integer >= {minimum}", value)
        return value

    def number(self, key: str, default: float) -> float:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            self.fail(key, "a number >= 0", value)
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, "true or false", value)
        return value

    def duration(self, key: str) -> timedelta | None:
        value = self.values.get(key, "")
        if value == "":
            return None
        if not isinstance(value, str):
            self.fail(key, "a duration string such as 2d", value)
        try:
            return parse_duration(value)
        except TimeBoundError:
            self.fail(key, f"a duration: {DURATION_FORMS}", value)
        return None  # unreachable


# Each default once: the dataclass's; the file reader asks it for the ones it needs
_DEFAULTS = {f.name: f.default for f in fields(SiteConfig)}


def load_site_config(path: str | SiteFile) -> SiteConfig:
    path = Path(path) if isinstance(path, str) else path
    data = read_site_file(path)
    unknown = sorted(set(data) - set(_KNOWN))
    if unknown:
        raise SiteConfigError(
            f"{path}: unknown table [{unknown[0]}]; known tables: "
            f"{', '.join('[' + t + ']' for t in _KNOWN)}"
        )
    rules = rules_from_table(path, data)
    site = _Reader(path, data, "site")
    start_urls = site.urls("start_urls")
    schedule = site.values.get("schedule")
    if schedule is not None:
        from crawler.scheduler import CronError, parse_cron

        try:
            parse_cron(schedule)
        except CronError as exc:
            site.fail("schedule", f"a cron expression ({exc})", schedule)
    disc = _Reader(path, data, "discovery")
    pol = _Reader(path, data, "politeness")
    rec = _Reader(path, data, "recrawl")
    policy = rec.values.get("policy", _DEFAULTS["recrawl_policy"])
    if policy not in RECRAWL_POLICIES:
        rec.fail("policy", " or ".join(repr(p) for p in RECRAWL_POLICIES), policy)
    after = rec.duration("after")
    if policy == "after" and after is None:
        rec.fail("after", 'a duration such as "7d" when policy = "after"', after)
    config = SiteConfig(
        name=rules.name,
        path=path,
        domains=rules.domains,
        start_urls=start_urls,
        schedule=schedule,
        feeds=disc.urls_or_discover("feeds"),
        sitemaps=disc.urls_or_discover("sitemaps"),
        sections=disc.urls("sections"),
        article_allow=disc.patterns("article_allow"),
        article_deny=disc.patterns("article_deny"),
        follow_allow=disc.patterns("follow_allow"),
        max_depth=disc.integer("max_depth", _DEFAULTS["max_depth"]),
        max_pages=disc.integer("max_pages", _DEFAULTS["max_pages"], minimum=1),
        window=disc.duration("window"),
        max_url_length=disc.integer("max_url_length", _DEFAULTS["max_url_length"], minimum=32),
        max_repeated_segments=disc.integer(
            "max_repeated_segments", _DEFAULTS["max_repeated_segments"], minimum=1
        ),
        strip_params=[p.lower() for p in disc.strings("strip_params", list(DEFAULT_STRIP_PARAMS))],
        download_delay=pol.number("download_delay", _DEFAULTS["download_delay"]),
        concurrency=pol.integer("concurrency", _DEFAULTS["concurrency"], minimum=1),
        autothrottle=pol.boolean("autothrottle", _DEFAULTS["autothrottle"]),
        obey_robots=pol.boolean("obey_robots", _DEFAULTS["obey_robots"]),
        max_refusals=pol.integer("max_refusals", _DEFAULTS["max_refusals"], minimum=1),
        recrawl_policy=policy,
        recrawl_after=after,
        rules=rules,
    )
    _check_whole(config, site, disc)
    return config


def _check_whole(config: SiteConfig, site: _Reader, disc: _Reader) -> None:
    """What no single key can tell: the site has article patterns, starts on its own
    domains, and has somewhere to start."""
    if not config.article_allow:
        disc.fail("article_allow", "at least one regex that matches article URLs", [])
    for url in config.start_urls:
        if not config.on_site(url):
            site.fail("start_urls", f"URLs on the site's domains {config.domains}", url)
    if not (config.start_urls or config.sections or config.feeds or config.sitemaps):
        site.fail("start_urls", "somewhere to start: start_urls, sections, feeds or sitemaps", [])
    if (config.feeds == DISCOVER or config.sitemaps == DISCOVER) and not config.start_urls:
        site.fail("start_urls", 'a home page when feeds or sitemaps are "discover"', [])


def find_site(name_or_path: str, dirs: list[str | Path]) -> SiteConfig:
    """A site by name (its file stem or [site] name in the sites dirs) or by file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise SiteConfigError(f"{candidate}: no such site file")
        return load_site_config(candidate)
    names = []
    files = site_files(dirs)
    for path in files:
        if file_stem(path) == name_or_path:
            return load_site_config(path)
        names.append(file_stem(path))
    broken = 0
    for path in files:
        try:
            config = load_site_config(path)
        except SiteConfigError:
            broken += 1  # not this one's business; `crawler sites` lists it
            continue
        if config.name == name_or_path:
            return config
    known = ", ".join(names) or "none"
    note = f"; {broken} invalid file(s), see `crawler sites`" if broken else ""
    raise SiteConfigError(
        f"no site named {name_or_path!r} in {', '.join(map(str, dirs))} "
        f"(configured sites: {known}{note})"
    )
