"""How long CDXJ indexing of one closed WARC file takes (it runs when a WARC rotates).

    python bench/cdxj_index.py [--mib 1024] [--page-kib 150] [--keep]

Writes one WARC of about --mib MiB with the crawler's WarcFileWriter (gzip level 3, the
project default): response + request records of HTML pages of about --page-kib KiB
(the fixture site's articles, each made unique with a random tail so they compress like
real pages), then times `crawler.capture.cdxj.index_warc` on it: wall and CPU seconds,
MiB/s, lines. It asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.capture.cdxj import index_warc  # noqa: E402
from crawler.capture.exchange import HttpExchange  # noqa: E402
from crawler.capture.warc_writer import WarcFileWriter  # noqa: E402
from crawler.demo.site import PAGES  # noqa: E402
from crawler.store.local import LocalStore  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--page-kib", type=int, default=150)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    pages = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
    words = b" ".join(pages).split()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="bench-cdxj-"))
    store = LocalStore(tmp)
    closed = []
    writer = WarcFileWriter(
        store, prefix="bench", max_size=1 << 62, gzip_level=3, on_close=closed.append
    )
    target = args.mib << 20
    t0 = time.perf_counter()
    n = 0
    while True:
        base = pages[n % len(pages)]
        tail = b" ".join(rng.choices(words, k=args.page_kib * 1024 // 7))
        body = base + b"<!-- " + tail[: args.page_kib * 1024 - len(base)] + b" -->"
        ptr = writer.write_exchange(
            HttpExchange(
                url=f"https://news.example/{n // 1000}/article-{n}.html",
                status=200,
                response_headers=[
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ],
                body=body,
                request_method="GET",
                request_target=f"/{n // 1000}/article-{n}.html",
                request_headers=[("Host", "news.example"), ("User-Agent", "bench")],
                request_body=b"",
                fetched_at=datetime.now(UTC),
                protocol="HTTP/1.1",
                ip_address="127.0.0.1",
            )
        )
        n += 1
        if ptr.offset + ptr.length >= target:
            break
    writer.close()
    write_s = time.perf_counter() - t0
    (warc,) = closed
    size_mib = warc.size / (1 << 20)
    print(
        f"wrote {warc.key}: {size_mib:.0f} MiB, {n} exchanges ({2 * n + 1} records) "
        f"in {write_s:.1f} s"
    )

    cpu0, t0 = _cpu(), time.perf_counter()
    index = index_warc(store, warc.key)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    print(
        f"indexed: {index.lines} CDXJ lines, {index.size / 1024:.0f} KiB, "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU, {size_mib / wall:.0f} MiB/s"
    )
    if args.keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
