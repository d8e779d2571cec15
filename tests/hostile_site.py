"""A loopback site that streams what a hostile or broken server may send: a response
header of 16 MB, a robots.txt of 119 MB. Everything is streamed in 64 KiB pieces and
stops when the client hangs up, so a test holds no such size in memory."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from crawler.demo.loopback import LoopbackSite

PIECE = 64 << 10
HEADER_MB = 16
ROBOTS_MB = 119
ARTICLE = (
    b"<!doctype html><html><head><title>Story</title></head><body><article>"
    + b"<p>A plain sentence of a plain story, told once more for length.</p>" * 40
    + b"</article></body></html>"
)


class HostileSite(LoopbackSite):
    """`huge_robots`: /robots.txt is ROBOTS_MB of `Allow: /` lines; else it allows all.
    /huge-header answers with a HEADER_MB header line, /many-headers with HEADER_MB of
    1 KB header lines; every other path is a small
    article page linking to /2026/story.html."""

    def __init__(self, *, huge_robots: bool = False) -> None:
        super().__init__()
        self.huge_robots = huge_robots
        self.requests: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    fixture: HostileSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self) -> None:
        self.fixture.requests.append(self.path)
        try:
            if self.path == "/huge-header":
                self._huge_header()
            elif self.path == "/many-headers":
                self._many_headers()
            elif self.path == "/robots.txt" and self.fixture.huge_robots:
                self._stream(b"text/plain", ROBOTS_MB << 20, b"Allow: /\n")
            elif self.path == "/robots.txt":
                self._send(b"text/plain", b"User-agent: *\nAllow: /\n")
            else:
                self._send(b"text/html", ARTICLE.replace(b"</article>", _LINK + b"</article>"))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def _send(self, ctype: bytes, body: bytes) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
        self.wfile.write(head % (ctype, len(body)) + body)

    def _huge_header(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Filler: ")
        for _ in range((HEADER_MB << 20) // PIECE):
            self.wfile.write(b"a" * PIECE)
        self.wfile.write(b"\r\nContent-Length: %d\r\n\r\n%s" % (len(ARTICLE), ARTICLE))

    def _many_headers(self) -> None:
        # HEADER_MB of header lines, each short: only a limit on their total stops them
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        line = b"X-Filler: " + b"b" * 1000 + b"\r\n"
        lines = line * (PIECE // len(line))
        for _ in range((HEADER_MB << 20) // len(lines)):
            self.wfile.write(lines)
        self.wfile.write(b"Content-Length: %d\r\n\r\n%s" % (len(ARTICLE), ARTICLE))

    def _stream(self, ctype: bytes, total: int, line: bytes) -> None:
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, total)
        )
        piece = (line * (PIECE // len(line) + 1))[:PIECE]
        for _ in range(total // PIECE):
            self.wfile.write(piece)
        self.wfile.write(piece[: total % PIECE])


_LINK = b'<a href="/2026/story.html">story</a>'
HostileSite.handler_class = _Handler
