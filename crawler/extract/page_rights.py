"""What a page's own markup declares about its use: TDMRep `<meta name="tdm-reservation">`
and `tdm-policy`, `<meta name="robots">` directives (noai, noimageai, noindex...), and its
licence (`<link rel="license">`, JSON-LD `license`, Creative Commons marks).

Read from the parsed tree in the extraction worker; the crawler process adds what the HTTP
headers, robots.txt and tdmrep.json say (`crawler.rights.declared`).
"""

from __future__ import annotations

from trafilatura.metadata import LICENSE_REGEX, extract_license

# the page's <meta> and JSON-LD as the date search reads them (one reader of each)
from crawler.extract.metadata import _jsonld_objects as jsonld_objects
from crawler.extract.metadata import _meta_values as meta_values
from crawler.rights.declared import robots_directives

# names of the page's own robots directives; bot-specific <meta name="GPTBot"> is rare and
# would need the agents list in the worker
_ROBOTS_META = ("robots",)


def _cc_name(url: str) -> str | None:
    match = LICENSE_REGEX.search(url)
    if match:
        return f"CC {match[1].upper()} {match[2]}"
    if "creativecommons.org/publicdomain/zero" in url:
        return "CC0"
    return None


def _jsonld_license(tree) -> str | None:
    for obj in jsonld_objects(tree):
        value = obj.get("license")
        if isinstance(value, dict):
            value = value.get("url") or value.get("@id") or value.get("name")
        if isinstance(value, list) and value and isinstance(value[0], str):
            value = value[0]
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _link_license(tree) -> str | None:
    for link in tree.iterfind(".//link"):
        if "license" in (link.get("rel") or "").lower().split() and link.get("href"):
            return link.get("href").strip()
    return None


def page_license(tree) -> tuple[str | None, str | None]:
    """(licence, where it was declared): json-ld, link (<link rel=license>), or marks
    (an <a rel=license>, a Creative Commons link in the footer; trafilatura's search).
    A Creative Commons licence is named as "CC BY-SA 4.0" whatever the markup; any other
    licence is given as written (a URL or a name)."""
    for source, found in (("json-ld", _jsonld_license), ("link", _link_license)):
        value = found(tree)
        if value:
            return _cc_name(value) or value, source
    value = extract_license(tree)
    return (value[:200], "marks") if value else (None, None)


def page_rights(tree) -> dict:
    """The page's TDMRep meta values (as written), robots directives and licence."""
    meta = meta_values(tree)
    robots = [
        m.get("content") or ""
        for m in tree.iterfind(".//meta")
        if (m.get("name") or "").lower() in _ROBOTS_META
    ]
    license_, license_source = page_license(tree)
    return {
        "tdm_reservation": meta.get("tdm-reservation"),
        "tdm_policy": meta.get("tdm-policy"),
        "robots": robots_directives(robots),
        "license": license_,
        "license_source": license_source,
    }
