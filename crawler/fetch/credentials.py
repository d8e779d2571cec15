"""User name and password in a URL (`http://user:password@host/...`): sent, never written down.

HTTP has no place for a URL's userinfo on the request line; browsers and curl send it as
HTTP Basic authentication, and so do we (`crawler archive`, the `urls` spider): the request
goes to the URL without userinfo, with an `Authorization` header built by w3lib. Scrapy's
redirect middleware drops that header on a redirect to another origin. Everything written
down (outcomes, run manifest, catalog, logs, summary, WARC-Target-URI) names the URL without
userinfo; where the URL as given is shown, its password reads `***` (redact_url). The
Authorization header reaches the WARC request record only when WARC_REDACT_HEADERS lets it
(it does not by default).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from w3lib.http import basic_auth_header

# scheme "://" userinfo "@": userinfo runs to the authority's last '@' (RFC 3986 3.2)
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#]*)@")
PASSWORD_MARK = "***"


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """(`url` without userinfo, (user, password) percent-decoded) or (`url`, None)."""
    match = _USERINFO.match(url)
    if not match:
        return url, None
    user, _, password = match["userinfo"].partition(":")
    return match["scheme"] + url[match.end() :], (unquote(user), unquote(password))


def redact_url(url: str) -> str:
    """`url` as given, its password (if any) replaced by ***."""
    match = _USERINFO.match(url)
    if not match or ":" not in match["userinfo"]:
        return url
    user = match["userinfo"].partition(":")[0]
    return f"{match['scheme']}{user}:{PASSWORD_MARK}@{url[match.end() :]}"


def authorization_header(credentials: tuple[str, str]) -> bytes:
    """The Basic `Authorization` value for (user, password), UTF-8 (RFC 7617 2.1)."""
    return basic_auth_header(*credentials, encoding="utf-8")
