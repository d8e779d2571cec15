"""Content-Encoding decoders that warcio lacks or gets wrong, registered for every reader of ours.

warcio 1.8.1 decodes `br` with brotlipy's API (`decompress`, a writable `unused_data`,
`flush`); Scrapy requires Google's `brotli` >= 1.2, which owns the same module name and has
`process()` instead, so every `br` body crashed warcio's `content_stream()`
(webrecorder/warcio#73). warcio has no `zstd` at all: it hands the compressed bytes on as if
they were the body. `register()` (run when this module is imported) puts adapters for both into
warcio's decoder table; `python -m crawler.capture.warcio_tool check` is warcio's own CLI with
them in place.

Each `decompress()` call decodes one block of raw input (warcio reads 16 KB at a time) and
stops at MAX_DECODED_PER_BLOCK, dropping the rest of the body: 16 KB of brotli can expand to
gigabytes, and a reader that asks for the first few MB of a body must not hold more than that.
A body cut there is far above any extraction limit, so readers report it as oversized.
"""

from __future__ import annotations

import brotli
from warcio.bufferedreaders import BufferedReader

try:  # Python 3.14+ ships zstd; Scrapy installs the backport before that
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd

MAX_DECODED_PER_BLOCK = 64 << 20  # not a setting: a decompression-bomb bound per read
_STEP = 1 << 20  # output produced per decoder call while draining one block


class BrotliDecoder:
    """The decoder interface warcio calls, over Google's brotli."""

    def __init__(self) -> None:
        self._decoder: brotli.Decompressor | None = brotli.Decompressor()
        self.unused_data = b""  # brotli streams end where the body ends: no second member

    def decompress(self, data: bytes) -> bytes:
        if self._decoder is None:  # cut at MAX_DECODED_PER_BLOCK
            return b""
        out = [self._decoder.process(data, output_buffer_limit=_STEP)]
        total = len(out[0])
        while not self._decoder.can_accept_more_data():  # output held back: drain it
            if total > MAX_DECODED_PER_BLOCK:
                self._decoder = None
                break
            out.append(self._decoder.process(b"", output_buffer_limit=_STEP))
            total += len(out[-1])
        return b"".join(out)

    def flush(self) -> bytes:
        return b""


class ZstdDecoder:
    """The decoder interface warcio calls, over zstd; concatenated frames are one body
    (RFC 8878 section 3.1)."""

    def __init__(self) -> None:
        self._decoder: zstd.ZstdDecompressor | None = zstd.ZstdDecompressor()
        self.unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        out: list[bytes] = []
        total = 0
        while self._decoder is not None:
            if self._decoder.eof:  # a frame ended: the rest of the input starts the next one
                data = self._decoder.unused_data + data
                self._decoder = zstd.ZstdDecompressor()
                if not data:
                    break
            if total > MAX_DECODED_PER_BLOCK:  # cut here: see the module docstring
                self._decoder = None
                break
            out.append(self._decoder.decompress(data, max_length=_STEP))
            data = b""
            total += len(out[-1])
            if self._decoder.needs_input and not self._decoder.eof:
                break
        return b"".join(out)

    def flush(self) -> bytes:
        return b""


def register() -> None:
    """Put our decoders into warcio's table (a class attribute every reader consults)."""
    BufferedReader.DECOMPRESSORS["br"] = BrotliDecoder
    BufferedReader.DECOMPRESSORS["zstd"] = ZstdDecoder


register()
