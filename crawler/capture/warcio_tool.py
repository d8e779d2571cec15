"""warcio's own command line (`check`, `index`, `extract`, ...) with our content decoders.

    python -m crawler.capture.warcio_tool check FILE.warc.gz

The plain `warcio` command crashes on `Content-Encoding: br` records with the brotli that
Scrapy requires (see crawler/capture/content_decoding.py); this one reads them.
"""

from __future__ import annotations

from warcio.cli import main

import crawler.capture.content_decoding  # noqa: F401  (registers br and zstd with warcio)

if __name__ == "__main__":
    main()
