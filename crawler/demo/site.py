"""The fixture news site: real-looking articles plus fault endpoints, on 127.0.0.1 only.

Faults are endpoints, like Scrapy's own mock server: /gzip/..., /br/..., /deflate/...,
/zstd/... (the same article in each Content-Encoding), /chunked/...,
/redirect/<n>, /redirect-loop, /status/<code>, /flaky/<key> (503 then 200),
/non-html/report.pdf, /non-html/data.json, /charset/wrong.html (latin-1 bytes declared
utf-8), /charset/latin1-declared.html, /charset/cp1251-header-only.html (no <meta>),
/slow?delay=S, /drip?seconds=S (a byte every 0.5 s), /big?mb=N[&unsized=1], /random?kb=N&seed=S
(incompressible bytes), /gzip-bomb, /broken.html, /cookies.html, /query.html?..., /empty.html,
/auth/basic.html (401 unless sent BASIC_AUTH's user and password).

    python -m crawler.demo.site [--port N]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import random
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import brotli

from crawler.capture.content_decoding import zstd
from crawler.demo.loopback import LoopbackSite

PAGES = Path(__file__).resolve().parent / "pages"
ARTICLES = {
    "/2019/12/03/syrian-army-repels-attack.html": "syrian-army-repels-attack.html",
    "/2024/03/12/council-budget-schools.html": "council-budget-schools.html",
    "/2024/05/02/radio-bursts-dwarf-galaxy.html": "radio-bursts-dwarf-galaxy.html",
    "/de/2024/04/20/fc-riverstadt-sieg.html": "fc-riverstadt-sieg.html",
}
_LATIN1_ARTICLE = (
    "<html><head><title>Caf\u00e9 owners in Z\u00fcrich</title></head><body><article>"
    "<h1>Caf\u00e9 owners in Z\u00fcrich fight rent rises</h1>"
    + "".join(
        f"<p>Paragraph {i}: the caf\u00e9 run by Anna M\u00fcller in Z\u00fcrich has served "
        "espresso for thirty years, and her na\u00efve r\u00e9sum\u00e9 of the dispute is that "
        "landlords want the whole street for offices.</p>"
        for i in range(8)
    )
    + "</article></body></html>"
).encode("latin-1")
_CP1251_ARTICLE = (
    "<html><head><title>\u041d\u043e\u0432\u043e\u0441\u0442\u0438</title></head><body>"
    "<article><h1>\u0420\u0435\u043a\u0430 \u0432\u044b\u0448\u043b\u0430 \u0438\u0437 "
    "\u0431\u0435\u0440\u0435\u0433\u043e\u0432</h1>"
    + "".join(
        f"<p>\u0410\u0431\u0437\u0430\u0446 {i}: \u0436\u0438\u0442\u0435\u043b\u0438 "
        "\u043d\u0438\u0436\u043d\u0435\u0433\u043e \u0433\u043e\u0440\u043e\u0434\u0430 "
        "\u0441\u043d\u043e\u0432\u0430 \u0443\u0431\u0438\u0440\u0430\u044e\u0442 "
        "\u0432\u043e\u0434\u0443 \u0438\u0437 \u043f\u043e\u0434\u0432\u0430\u043b\u043e\u0432, "
        "\u0430 \u0432\u043b\u0430\u0441\u0442\u0438 \u043e\u0431\u0435\u0449\u0430\u044e\u0442 "
        "\u043f\u043e\u0434\u043d\u044f\u0442\u044c \u0434\u0430\u043c\u0431\u0443 "
        "\u0434\u043e \u043b\u0435\u0442\u0430.</p>"
        for i in range(8)
    )
    + "</article></body></html>"
).encode("cp1251")
_BROKEN = (
    b"<html><head><title>Broken page</title><body><div><div class=story><h1>Broken markup"
    b" still tells a story</h2><table><p>"
    + b"".join(
        b"<p>Sentence group %d: the river flooded the lower town again this spring, and "
        b"residents who had rebuilt twice said they would not do it a third time unless "
        b"the dike was raised</div>" % i
        for i in range(8)
    )
    + b"</td></span>"
)
# /<encoding>/article.html: the first article, encoded as a server would send it
_ENCODERS = {
    "gzip": gzip.compress,
    "br": brotli.compress,
    "deflate": zlib.compress,
    "zstd": zstd.compress,
}
# /auth/basic.html wants these (user, password): a password with characters URLs must escape
BASIC_AUTH = ("reader", "s3cret pw:@1")
_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _small_article(title: str) -> bytes:
    paras = "".join(
        f"<p>{title}, part {i}: reporters spoke with residents, officials and experts about "
        "what the change means for the neighbourhood over the next several years.</p>"
        for i in range(6)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>{paras}</article></body></html>"
    ).encode()


class FixtureSite(LoopbackSite):
    handler_class = None  # set below, once _Handler exists

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, extra_pages: dict[str, bytes] | None = None
    ) -> None:
        super().__init__(host, port)
        self.pages = {path: (PAGES / name).read_bytes() for path, name in ARTICLES.items()}
        self.extra_pages = dict(extra_pages or {})
        self.sent: dict[str, bytes] = {}
        self._hits: dict[str, int] = {}
        self._flaky: dict[str, int] = {}
        self._lock = threading.Lock()
        self._bomb: bytes | None = None

    def article_paths(self) -> list[str]:
        return list(ARTICLES)

    def hits(self, path: str) -> int:
        return self._hits.get(path, 0)

    def gzip_bomb(self) -> bytes:
        # 1 GiB of zeros compressed once, in chunks, so memory stays small (~1 MB result)
        with self._lock:
            if self._bomb is None:
                comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS + 16)
                zeros = bytes(1 << 20)
                self._bomb = b"".join(comp.compress(zeros) for _ in range(1024)) + comp.flush()
            return self._bomb


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fixture: FixtureSite

    def log_message(self, format, *args):  # silent: benchmarks serve thousands of pages
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        self.fixture.sent[self.path] = body
        self.wfile.write(body)

    # One branch per fault endpoint, in the order the README lists them: long, but a reader
    # finds an endpoint by its path here, as in Scrapy's mock server.
    def do_GET(self) -> None:  # noqa: C901
        site = self.fixture
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        with site._lock:
            site._hits[path] = site._hits.get(path, 0) + 1
        try:
            if path in site.extra_pages:
                return self._send(200, site.extra_pages[path])
            if path in site.pages:
                return self._send(200, site.pages[path])
            if path in ("/", "/index.html"):
                links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in ARTICLES)
                return self._send(200, f"<html><body><ul>{links}</ul></body></html>".encode())
            if path == "/robots.txt":
                return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            if path.endswith("/article.html") and path.split("/")[1] in _ENCODERS:
                encoding = path.split("/")[1]
                body = _ENCODERS[encoding](site.pages[list(ARTICLES)[0]])
                return self._send(200, body, headers=[("Content-Encoding", encoding)])
            if path == "/chunked/article.html":
                return self._chunked(site.pages[list(ARTICLES)[1]])
            if path.startswith("/redirect/"):
                n = int(path.rsplit("/", 1)[1])
                target = f"/redirect/{n - 1}" if n > 0 else list(ARTICLES)[0]
                return self._send(302, b"", headers=[("Location", target)])
            if path in ("/redirect-loop", "/redirect-loop-b"):
                target = "/redirect-loop-b" if path == "/redirect-loop" else "/redirect-loop"
                return self._send(302, b"", headers=[("Location", target)])
            if path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                return self._send(code, f"<html><body>status {code}</body></html>".encode())
            if path.startswith("/flaky/"):
                with site._lock:
                    n = site._flaky[path] = site._flaky.get(path, 0) + 1
                if n == 1:
                    return self._send(503, b"busy", headers=[("Retry-After", "0")])
                return self._send(200, site.pages[list(ARTICLES)[2]])
            if path == "/non-html/report.pdf":
                return self._send(200, _PDF, "application/pdf")
            if path == "/non-html/data.json":
                return self._send(200, b'{"ok": true}', "application/json")
            if path == "/charset/wrong.html":
                return self._send(200, _LATIN1_ARTICLE)
            if path == "/charset/latin1-declared.html":
                return self._send(200, _LATIN1_ARTICLE, "text/html; charset=iso-8859-1")
            if path == "/charset/cp1251-header-only.html":  # only the header names it
                return self._send(200, _CP1251_ARTICLE, "text/html; charset=windows-1251")
            if path == "/slow":
                time.sleep(min(float(query.get("delay", ["1"])[0]), 30.0))
                return self._send(200, _small_article("A slow page"))
            if path == "/drip":  # a byte every half second: only a timeout ends it
                return self._drip(min(float(query.get("seconds", ["10"])[0]), 120.0))
            if path == "/big":  # &unsized=1: no Content-Length, the body ends at close
                return self._big(int(query.get("mb", ["1"])[0]), "unsized" in query)
            if path == "/random":  # incompressible: fills a small disk in a few pages
                seed, kb = query.get("seed", ["0"])[0], int(query.get("kb", ["64"])[0])
                body = random.Random(seed).randbytes(min(kb, 16384) << 10)
                return self._send(200, body, "application/octet-stream")
            if path == "/gzip-bomb":
                return self._send(200, site.gzip_bomb(), headers=[("Content-Encoding", "gzip")])
            if path == "/broken.html":
                return self._send(200, _BROKEN)
            if path == "/cookies.html":
                return self._send(
                    200,
                    _small_article("Cookies"),
                    headers=[
                        ("Set-Cookie", "a=1; Path=/"),
                        ("Set-Cookie", "b=2; Path=/"),
                        ("X-Trace", "abc"),
                    ],
                )
            if path == "/query.html":
                return self._send(200, _small_article("Query page"))
            if path == "/auth/basic.html":
                expected = "Basic " + base64.b64encode(":".join(BASIC_AUTH).encode()).decode()
                if self.headers.get("Authorization") == expected:
                    return self._send(200, _small_article("Members only"))
                return self._send(
                    401,
                    b"<html><body>log in</body></html>",
                    headers=[("WWW-Authenticate", 'Basic realm="fixture"')],
                )
            if path == "/empty.html":
                return self._send(200, b"")
            return self._send(404, b"<html><body>not found</body></html>")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _chunked(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.fixture.sent[self.path] = body
        for start in range(0, len(body), 1000):
            chunk = body[start : start + 1000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def _drip(self, seconds: float) -> None:
        count = int(seconds * 2)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(count))
        self.end_headers()
        for _ in range(count):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(0.5)

    def _big(self, mb: int, unsized: bool = False) -> None:
        total = mb << 20
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if unsized:  # only a size limit counting streamed bytes stops it
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        block = (b"<p>filler</p>" * 5042)[: 64 << 10]
        sent = 0
        while sent < total:
            piece = block[: min(len(block), total - sent)]
            self.wfile.write(piece)
            sent += len(piece)


FixtureSite.handler_class = _Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fixture news site on loopback")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    site = FixtureSite(port=args.port).start()
    print(f"serving {site.base_url}")
    for path in site.article_paths():
        print(site.url(path))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
