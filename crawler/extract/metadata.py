"""Metadata normalisation: dates to ISO 8601 with offset, author lists, language, URLs.

trafilatura reports dates at day precision only; the page usually says more
(`article:published_time`, JSON-LD `datePublished`, `<time datetime>`), so the full
timestamps are read here from the parsed tree before trafilatura prunes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "og:article:modified_time",
    "dateModified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Zone abbreviations news pages and feeds print (RFC 822 dates in RSS, "10:00 CET" in
# bylines). dateutil knows only UTC/GMT and the local zone's; without these, "CET" was
# read as a naive time, i.e. as UTC, an hour off. Ambiguous ones (IST, CST in Asia) are
# left out: they stay naive and are taken as UTC.
_HOUR = 3600
TZ_ABBREVIATIONS = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": _HOUR,
    "BST": _HOUR,
    "CET": _HOUR,
    "MEZ": _HOUR,
    "CEST": 2 * _HOUR,
    "MESZ": 2 * _HOUR,
    "EET": 2 * _HOUR,
    "EEST": 3 * _HOUR,
    "MSK": 3 * _HOUR,
    "EST": -5 * _HOUR,
    "EDT": -4 * _HOUR,
    "CST": -6 * _HOUR,
    "CDT": -5 * _HOUR,
    "MST": -7 * _HOUR,
    "MDT": -6 * _HOUR,
    "PST": -8 * _HOUR,
    "PDT": -7 * _HOUR,
    "AKST": -9 * _HOUR,
    "AKDT": -8 * _HOUR,
    "HST": -10 * _HOUR,
    "JST": 9 * _HOUR,
    "KST": 9 * _HOUR,
    "AEST": 10 * _HOUR,
    "AEDT": 11 * _HOUR,
    "NZST": 12 * _HOUR,
    "NZDT": 13 * _HOUR,
}


def normalise_datetime(value: str | None) -> str | None:
    """ISO 8601: a full timestamp with its offset (naive times are taken as UTC), or a
    bare date (YYYY-MM-DD) when the source gives no time of day. None if unparseable."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if _DATE_ONLY.match(value):
        try:
            return datetime.strptime(value, "%Y-%m-%d").date().isoformat()
        except ValueError:
            return None
    parsed = parse_datetime(value)
    return parsed.isoformat() if parsed else None


def parse_datetime(value: str | None) -> datetime | None:
    """A timezone-aware datetime (naive times are taken as UTC), or None if unparseable."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dateparser.parse(value.strip(), tzinfos=TZ_ABBREVIATIONS)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or not 1900 <= parsed.year <= 2200:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _meta_values(tree) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content and key.lower() not in found:
            found[key.lower()] = content.strip()
    return found


def _jsonld_objects(tree) -> list[dict]:
    objects: list[dict] = []
    for script in tree.iterfind(".//script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack and len(objects) < 200:  # bounded: JSON-LD from strangers
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return objects


# Where a record's date came from (`published_source`, `modified_source`): structured data
# (JSON-LD), a <meta> tag, the URL path, or a date written in the page (a <time> element, a
# byline). Users filter on it; a copyright year is no evidence and gives no date at all.
DATE_SOURCES = ("json-ld", "meta", "url", "text")


@dataclass(frozen=True, slots=True)
class PageDates:
    published: str | None = None
    published_source: str | None = None
    modified: str | None = None
    modified_source: str | None = None
    meta_days: frozenset[str] = frozenset()  # YYYY-MM-DD of every date-like <meta> value


def page_date_evidence(tree) -> PageDates:
    """Dates the page states in markup, normalised, each with its source: <meta> first,
    then JSON-LD, then a <time datetime> in the page (published only)."""
    meta = _meta_values(tree)
    found: dict[str, tuple[str, str]] = {}
    for field_name, keys in (("published", _PUBLISHED_META), ("modified", _MODIFIED_META)):
        value = next((meta[k.lower()] for k in keys if k.lower() in meta), None)
        if normalise_datetime(value):
            found[field_name] = (normalise_datetime(value), "meta")
    for obj in _jsonld_objects(tree):
        for field_name, key in (("published", "datePublished"), ("modified", "dateModified")):
            if field_name not in found and normalise_datetime(obj.get(key)):
                found[field_name] = (normalise_datetime(obj[key]), "json-ld")
    if "published" not in found:
        for time_el in tree.iterfind(".//time"):
            value = normalise_datetime(time_el.get("datetime"))
            if value:
                found["published"] = (value, "text")
                break
    published, published_source = found.get("published", (None, None))
    modified, modified_source = found.get("modified", (None, None))
    meta_days = frozenset(
        day[:10]
        for day in map(
            normalise_datetime, (v for v in meta.values() if v[:1].isdigit() and len(v) <= 40)
        )
        if day
    )
    return PageDates(published, published_source, modified, modified_source, meta_days)


def page_dates(tree) -> tuple[str | None, str | None]:
    """(published, modified) as the page states them, normalised; either may be None."""
    dates = page_date_evidence(tree)
    return dates.published, dates.modified


_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?!\d)"
)


def source_of_found_date(date: str | None, url: str | None, dates: PageDates) -> str | None:
    """Where htmldate (trafilatura's date search, run without its copyright-year and
    free-text guessing) found `date`: the URL path when it names that day, a <meta>
    content naming it, else text in the page (bylines, date elements). None: no date."""
    if not date:
        return None
    day = date[:10]
    for match in _URL_DATE.finditer(urlsplit(url).path if url else ""):
        if "-".join(match.groups()) == day:
            return "url"
    if day in dates.meta_days:
        return "meta"
    return "text"


def declared_language(tree, content_language: str | None = None) -> str | None:
    """Primary language subtag the page declares (`<html lang>`, og:locale, header)."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    meta = _meta_values(tree)
    candidates += [meta.get("og:locale"), meta.get("content-language"), content_language]
    for value in candidates:
        if value:
            primary = re.split(r"[-_,;\s]", value.strip(), maxsplit=1)[0].lower()
            if re.fullmatch(r"[a-z]{2,3}", primary):
                return primary
    return None


def declared_titles(tree) -> list[str]:
    """The titles the page declares for itself in its head (<title>, og:title,
    twitter:title), as written: the boilerplate stage drops a first line that repeats one
    of them. trafilatura's own title is no such test: it may come from that very line."""
    titles = []
    head_title = tree.find(".//head/title")
    if head_title is not None:
        titles.append(head_title.text_content())
    meta = _meta_values(tree)
    titles += [meta.get("og:title"), meta.get("twitter:title")]
    return [" ".join(t.split()) for t in titles if t and t.strip()]


def split_authors(author: str | None) -> list[str]:
    """trafilatura joins authors with '; '; give a clean, de-duplicated list."""
    if not author:
        return []
    names: list[str] = []
    for name in re.split(r"\s*;\s*", author):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return names


def absolute_url(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    resolved = urljoin(base, url.strip()) if base else url.strip()
    if urlsplit(resolved).scheme not in ("http", "https"):
        return None
    return resolved


def split_list(value: str | list | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]
