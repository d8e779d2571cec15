"""A fixture site on 127.0.0.1 for the dataset feed's rights, paywall and licence facts:
each way a site declares a reservation, a paywall or a licence is one page.

    /robots.txt                  GPTBot and CCBot disallowed under /robots-ai/
    /.well-known/tdmrep.json     tdm-reservation 1 (with a policy) for /tdm-file/*
    /plain/free.html             no declaration at all
    /plain/mentions.html         mentions GPTBot, noai and tdm-reservation in its text only
    /robots-ai/story.html        an AI crawler path robots.txt disallows
    /header/story.html           tdm-reservation: 1, tdm-policy, X-Robots-Tag: noai, noimageai
    /meta/story.html             <meta name=tdm-reservation content=1>, <meta name=robots noai>
    /tdm-file/story.html         tdmrep.json reserves the path
    /tdm-file/header-zero.html   tdmrep.json reserves the path, its header tdm-reservation: 0
                                 supersedes that (TDMRep processing priority)
    /paywall/jsonld-teaser.html  JSON-LD isAccessibleForFree false, hasPart .paywall not served
    /paywall/metered.html        the same JSON-LD, but the .paywall part is served whole
    /paywall/prompt.html         a paywall widget and "Subscribe to continue reading"
    /paywall/tier.html           article:content_tier locked, a teaser
    /license/link.html           <link rel=license> to CC BY-SA 4.0
    /license/jsonld.html         JSON-LD license, a URL of the site's own terms
    /license/footer.html         a Creative Commons mark in the footer
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

from crawler.demo.loopback import LoopbackSite

ROBOTS = (
    b"User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nUser-agent: CCBot\nDisallow: /robots-ai/\n"
)
POLICY = "http://127.0.0.1/tdm-policy.json"
TDMREP = json.dumps(
    [{"location": "/tdm-file/*", "tdm-reservation": 1, "tdm-policy": POLICY}]
).encode()


def paragraphs(topic: str, n: int = 6) -> str:
    return "".join(
        f"<p>{topic}, part {i}: reporters spoke with residents, officials and experts about "
        "what the change means for the neighbourhood over the next several years.</p>"
        for i in range(n)
    )


def page(title: str, body: str, head: str = "", after: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"{head}</head><body><article><h1>{title}</h1>{body}</article>{after}</body></html>"
    ).encode()


def jsonld(data: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


_NOT_FREE = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Council votes",
    "isAccessibleForFree": False,
    "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywall"},
}
_SUBSCRIBE = "<p>Subscribe to continue reading this story.</p>"

PAGES: dict[str, tuple[bytes, list[tuple[str, str]]]] = {
    "/plain/free.html": (page("Harbour reopens", paragraphs("The harbour")), []),
    "/plain/mentions.html": (
        page(
            "Publishers and AI crawlers",
            paragraphs("Publishers block GPTBot and CCBot")
            + "<p>Some add noai to X-Robots-Tag or send tdm-reservation: 1 in a header; "
            "Subscribe to continue reading is what their paywalls say.</p>"
            + paragraphs("Publishers and licences"),
        ),
        [],
    ),
    "/robots-ai/story.html": (page("Budget passes", paragraphs("The budget")), []),
    "/header/story.html": (
        page("Bridge repairs", paragraphs("The bridge")),
        [
            ("tdm-reservation", "1"),
            ("tdm-policy", POLICY),
            ("X-Robots-Tag", "noai, noimageai"),
        ],
    ),
    "/meta/story.html": (
        page(
            "Library extends hours",
            paragraphs("The library"),
            head="<meta name='tdm-reservation' content='1'>"
            "<meta name='robots' content='index, NoAI'>",
        ),
        [],
    ),
    "/tdm-file/story.html": (page("Tram line", paragraphs("The tram line")), []),
    "/tdm-file/header-zero.html": (
        page("Ferry timetable", paragraphs("The ferry")),
        [("tdm-reservation", "0")],
    ),
    "/paywall/jsonld-teaser.html": (
        page("Council votes", paragraphs("The council vote", 2), head=jsonld(_NOT_FREE)),
        [],
    ),
    "/paywall/metered.html": (
        page(
            "Council votes again",
            paragraphs("The first vote", 2)
            + f"<div class='paywall'>{paragraphs('The second vote', 8)}</div>",
            head=jsonld(_NOT_FREE),
        ),
        [],
    ),
    "/paywall/prompt.html": (
        page(
            "Stadium plans",
            paragraphs("The stadium", 2),
            after=f"<div class='piano-offer paywall'>{_SUBSCRIBE}</div>",
        ),
        [],
    ),
    "/paywall/tier.html": (
        page(
            "School merger",
            paragraphs("The merger", 2),
            head="<meta property='article:content_tier' content='locked'>",
        ),
        [],
    ),
    "/license/link.html": (
        page(
            "Open data",
            paragraphs("Open data"),
            head="<link rel='license' href='https://creativecommons.org/licenses/by-sa/4.0/'>",
        ),
        [],
    ),
    "/license/jsonld.html": (
        page(
            "Terms",
            paragraphs("The terms"),
            head=jsonld({"@type": "NewsArticle", "license": "http://127.0.0.1/terms.html"}),
        ),
        [],
    ),
    "/license/footer.html": (
        page(
            "Footer licence",
            paragraphs("The footer"),
            after="<footer><a href='https://creativecommons.org/licenses/by/4.0/'>"
            "CC BY 4.0</a></footer>",
        ),
        [],
    ),
}


class RightsSite(LoopbackSite):
    handler_class = None  # set below

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.hits: dict[str, int] = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fixture: RightsSite

    def log_message(self, format, *args):
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.fixture.hits[path] = self.fixture.hits.get(path, 0) + 1
        if path == "/robots.txt":
            return self._send(200, ROBOTS, "text/plain")
        if path == "/.well-known/tdmrep.json":
            return self._send(200, TDMREP, "application/json")
        if path in PAGES:
            body, headers = PAGES[path]
            return self._send(200, body, "text/html; charset=utf-8", headers)
        return self._send(404, b"not found", "text/plain")


RightsSite.handler_class = _Handler
