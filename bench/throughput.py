"""Throughput benchmark: pages/s, CPU per page and peak memory of the crawl path.

    python bench/throughput.py [--pages 2000] [--concurrency 16] [--workers CORES]
                               [--repeat 3] [--quick] [--keep] [--server twisted|fixture]

Serves N real-looking HTML pages (100-200 KB) on 127.0.0.1 from a separate process and
measures, each in its own subprocess tree:
  (a) a bare Scrapy spider that only fetches (project settings, no project components);
  (b) fetch + WARC: the same spider plus the project's WARC capture middleware (the
      writer process, the run's capture rows, the CDXJ index), nothing else, with
      MEMORY_MMAP_THRESHOLD=0, i.e. glibc's allocator policy as in (a);
  (b64) the same with the project's default MEMORY_MMAP_THRESHOLD (64 KB: flat RSS for
      long runs, about 0.3 ms CPU per page; for information);
  (b2) `crawler archive -s EXTRACT_ENABLED=False`: (b) plus the archive command's
      spider, items, store pipeline and report (for information; no target);
  (c) the full `crawler archive` path (WARC + extraction + store), also at N/4 for RSS;
  (d) extraction alone: `ExtractionPool(workers=W).map_ordered` over the same pages.
Each run is repeated (--repeat, interleaved: a b b2 c d a b ...) and the median by pages/s
is reported, because one run's figure moves by +-20% on a small shared machine. It prints
figures and the target ratios; it asserts nothing about timings.

Pages come from ../shared/bench (trafilatura real-world + Readability/WCEB pages; see
--pages-dir), padded and duplicated to N unique pages; without ../shared, from the
fixture site's articles. See bench/README.md for what each figure means.

The internal sub-commands (_serve, _measure, _bare, _extract) are how the benchmark runs
its own pieces in separate processes; they are not meant to be called by hand.
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
# The page files of the two datasets (their other files are gold outputs, not pages).
SHARED_GLOBS = ("trafilatura-realworld/cache/*.html", "wceb/readability/html/*.html.gz")
MIN_SIZE, MAX_SIZE = 100_000, 200_000  # bytes per served page
MIN_SOURCE_SIZE = 2_000  # smaller "pages" are stubs; padding them would be all padding
MARKER = b"bench-copy-%06d"  # unique per page: checked by the bare spider
PAGE_PATH = "/p/%06d.html"

TARGETS = {"b/a": 0.85, "c/d": 0.8}


# -- the pages ------------------------------------------------------------------------------


def load_sources(pages_dir: Path | None) -> tuple[list[bytes], str]:
    """Source pages (raw bytes, any charset) and a description of where they came from."""
    if pages_dir is None and SHARED_BENCH.is_dir():
        paths = sorted(p for g in SHARED_GLOBS for p in SHARED_BENCH.glob(g))
        where = str(SHARED_BENCH)
    elif pages_dir is not None:
        paths = sorted(
            p for g in ("**/*.html", "**/*.htm", "**/*.html.gz") for p in pages_dir.glob(g)
        )
        where = str(pages_dir)
    else:
        return fixture_site_pages(), "fixture site articles (../shared/bench is absent)"
    pages = [
        gzip.decompress(b) if p.suffix == ".gz" else b for p in paths for b in [p.read_bytes()]
    ]
    # A page above MAX_SIZE cannot be cut down without breaking it: leave it out rather
    # than skew the page size; tiny stubs would be padding only.
    kept = [b for b in pages if MIN_SOURCE_SIZE <= len(b) <= MAX_SIZE] or pages
    if not kept:
        raise SystemExit(f"no .html/.html.gz pages under {where}")
    return kept, f"{where}: {len(kept)} of {len(pages)} pages ({MIN_SOURCE_SIZE:,}-{MAX_SIZE:,} B)"


def fixture_site_pages() -> list[bytes]:
    from crawler.demo.site import FixtureSite

    site = FixtureSite(host="127.0.0.1", port=0).start()
    try:
        pages = []
        for path in site.article_paths():
            with urllib.request.urlopen(site.url(path), timeout=10) as resp:
                pages.append(resp.read())
        return pages
    finally:
        site.stop()


_WORDS = (
    "city council budget vote school election storm market rail bridge court ruling "
    "minister report health hospital season match club river festival museum police "
    "energy price housing plan climate study university airport strike union park"
).split()


def padding_chunks(seed: int, total: int) -> list[bytes]:
    """~2 KB chunks of typical news-page weight: link lists (menus, "related", teasers)
    and inline JSON state; they add parse and boilerplate work like the real thing."""
    rng = random.Random(seed)
    chunks: list[bytes] = []
    size = 0
    while size < total:
        if rng.random() < 0.6:
            items = "".join(
                f'<li class="teaser"><a href="/{rng.choice(_WORDS)}/{rng.randrange(10**6)}.html">'
                f"{' '.join(rng.choices(_WORDS, k=rng.randint(4, 9))).capitalize()}</a>"
                f'<span class="date">2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}</span></li>'
                for _ in range(14)
            )
            chunk = f'<ul class="related-links">{items}</ul>\n'
        else:
            state = {
                f"k{i}": {
                    "id": rng.randrange(10**9),
                    "title": " ".join(rng.choices(_WORDS, k=8)),
                    "tags": rng.choices(_WORDS, k=5),
                }
                for i in range(12)
            }
            chunk = f'<script type="application/json">{json.dumps(state)}</script>\n'
        chunks.append(chunk.encode())
        size += len(chunks[-1])
    return chunks


def make_page(source: bytes, index: int, url: str, target: int, chunks: list[bytes]) -> bytes:
    """One served page: the source with a unique marker and canonical URL in <head> (so
    every copy is a distinct article, not a new version of one) and padding to `target`."""
    marker = MARKER % index
    head = (
        b'<link rel="canonical" href="' + url.encode() + b'">'
        b'<meta name="bench-copy" content="' + marker + b'"><!-- ' + marker + b" -->"
    )
    m = re.search(rb"<head(\s[^>]*)?>", source, re.I) or re.search(rb"<html[^>]*>", source, re.I)
    at = m.end() if m else 0
    page = source[:at] + head + source[at:]
    pad: list[bytes] = []
    size = len(page)
    for chunk in chunks:
        if size + len(chunk) > target:
            break
        pad.append(chunk)
        size += len(chunk)
    if pad:
        block = b'<div class="site-more">' + b"".join(pad) + b"</div>"
        end = page.lower().rfind(b"</body")
        end = len(page) if end < 0 else end
        page = page[:end] + block + page[end:]
    return page


def write_pages(sources: list[bytes], n: int, root: Path, base_url: str) -> tuple[int, int]:
    """Write N pages under root/p/; returns (total bytes, distinct sources used)."""
    (root / "p").mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    chunks = [padding_chunks(i, MAX_SIZE) for i in range(min(len(sources), n))]
    total = 0
    for i in range(n):
        # Round-robin over sources so copies of one page are far apart in the crawl (the
        # learned-repeats stage must not see a burst of identical articles).
        s = i % len(sources)
        target = rng.randint(MIN_SIZE, MAX_SIZE)
        page = make_page(sources[s], i, base_url + PAGE_PATH % i, target, chunks[s])
        (root / "p" / f"{i:06d}.html").write_bytes(page)
        total += len(page)
    return total, min(len(sources), n)


# -- the server (separate process) ------------------------------------------------------------


def serve_main(args: argparse.Namespace) -> None:
    """`_serve`: serve --root on 127.0.0.1:--port, print the port, run until SIGTERM."""
    if args.kind == "twisted":
        from twisted.internet import reactor
        from twisted.web import resource, server, static

        class QuietSite(server.Site):
            def log(self, request) -> None:  # an access log line per page costs CPU
                pass

        # Pages from memory (static.Data): a third of static.File's CPU per page, which
        # matters when the server shares 2 cores with the crawler. Disk beyond 1 GiB.
        files = sorted((args.root / "p").iterdir())
        if sum(f.stat().st_size for f in files) <= 1 << 30:
            root, pages = resource.Resource(), resource.Resource()
            root.putChild(b"p", pages)
            for f in files:
                pages.putChild(f.name.encode(), static.Data(f.read_bytes(), "text/html"))
        else:
            root = static.File(str(args.root))
        port = reactor.listenTCP(args.port, QuietSite(root), interface="127.0.0.1", backlog=256)
        print(port.getHost().port, flush=True)
        reactor.run()  # Twisted stops on SIGTERM
        return
    from crawler.demo.site import FixtureSite

    pages = {"/p/" + p.name: p.read_bytes() for p in sorted((args.root / "p").iterdir())}
    site = FixtureSite(host="127.0.0.1", port=args.port, extra_pages=pages).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(site.base_url.rstrip("/").rsplit(":", 1)[1], flush=True)
    stop.wait()
    site.stop()


class Server:
    """The page server in its own process group, so its CPU is not the crawler's."""

    def __init__(self, root: Path, kind: str, base_url: str, log: Path) -> None:
        self._log = open(log, "wb")
        port = base_url.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "_serve",
                "--root",
                str(root),
                "--kind",
                kind,
                "--port",
                port,
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
            cwd=REPO,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if line != port:
            self.stop()
            raise SystemExit(f"the {kind} page server did not start:\n{tail(log)}")
        self.base_url = base_url

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def free_port() -> int:
    # Tiny race (the port is free now, bound a moment later); fine on loopback.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# -- measuring one command (separate process: `_measure`) ---------------------------------------


def _set_child_subreaper() -> None:
    # Orphans of the measured command (multiprocessing's forkserver, resource tracker) are
    # re-parented to us instead of init, so we reap them and their CPU time counts.
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("warning: no child subreaper; CPU of orphaned workers may be missed", file=sys.stderr)


def _tree_sample(session: int) -> tuple[int, dict[int, int]]:
    """(sum of PSS in kB over the session's processes, {pid: VmHWM kB})."""
    pss_total, hwm = 0, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:
                continue
            for line in Path(f"/proc/{name}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss_total += int(line.split()[1])
                    break
            for line in Path(f"/proc/{name}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    hwm[int(name)] = int(line.split()[1])
                    break
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
    return pss_total, hwm


def measure_main(args: argparse.Namespace) -> None:
    """`_measure`: run the command after `--`, reap its whole tree, write figures as JSON.

    CPU = getrusage(RUSAGE_CHILDREN) of this process = every reaped descendant, i.e. the
    crawler and its extraction workers (this process's own sampling is not included)."""
    _set_child_subreaper()
    started = time.monotonic()
    proc = subprocess.Popen(args.cmd, start_new_session=True, cwd=REPO)
    peak = {"tree_pss_kb": 0, "main_hwm_kb": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pss, hwm = _tree_sample(proc.pid)
            peak["tree_pss_kb"] = max(peak["tree_pss_kb"], pss)
            peak["main_hwm_kb"] = max(peak["main_hwm_kb"], hwm.get(proc.pid, 0))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = started + args.timeout
    timed_out = False
    status, main_ru = 0, None
    while True:
        pid, status, main_ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline and not timed_out:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.05)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    done.set()
    sampler.join()
    # Reap orphans (they exit once the crawler's pipes close); kill them after 30 s.
    reap_deadline = time.monotonic() + 30
    while True:
        try:
            pid, _, _ = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > reap_deadline:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(args.result).write_text(
        json.dumps(
            {
                "returncode": proc.returncode,
                "timed_out": timed_out,
                "wall": wall,
                "cpu_user": ru.ru_utime,
                "cpu_sys": ru.ru_stime,
                # Main-process peak: VmHWM while it ran; wait4's ru_maxrss (max of it and the
                # children it reaped itself) if it exited before the first sample.
                "main_rss_kb": peak["main_hwm_kb"] or main_ru.ru_maxrss,
                "tree_pss_kb": peak["tree_pss_kb"],
                "max_single_rss_kb": ru.ru_maxrss,
            }
        )
    )


# -- (a) the bare spider (separate process: `_bare`) --------------------------------------------


def bare_main(args: argparse.Namespace) -> None:
    """`_bare`: fetch every URL with the project's Scrapy settings minus every project
    component (no middlewares, pipelines or extensions); count good pages."""
    os.environ["SCRAPY_SETTINGS_MODULE"] = "settings"
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    class BareSpider(scrapy.Spider):
        name = "bare"

        def __init__(self, urls: list[str], **kwargs) -> None:
            super().__init__(**kwargs)
            self.urls = urls

        async def start(self):
            for url in self.urls:
                yield scrapy.Request(
                    url, callback=self.parse, errback=self.failed, dont_filter=True
                )

        def parse(self, response):
            index = int(response.url.rsplit("/", 1)[1].split(".")[0])
            good = response.status == 200 and (MARKER % index) in response.body
            self.crawler.stats.inc_value("bench/ok" if good else "bench/bad")
            return None

        def failed(self, failure):
            self.crawler.stats.inc_value("bench/failed")

    settings = get_project_settings()
    settings.setdict(
        {
            "DOWNLOADER_MIDDLEWARES": {},
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {},
            "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "LOG_LEVEL": "WARNING",
        },
        priority="cmdline",
    )
    if args.capture:  # (b): the same spider plus the WARC capture middleware, nothing else
        settings.setdict(
            {
                "DOWNLOADER_MIDDLEWARES": {"crawler.capture.middleware.WarcCaptureMiddleware": 950},
                "EXTENSIONS": {"crawler.run.ArchiveRun": 0},  # the run the middleware reports to
                "STORE_URI": args.capture,
                "RUN_COMMAND": "bench (b)",
            },
            priority="cmdline",
        )
        if args.mmap_threshold is not None:
            settings.set("MEMORY_MMAP_THRESHOLD", args.mmap_threshold, priority="cmdline")
    urls = Path(args.urls).read_text().split()
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    stats = crawler.stats.get_stats()
    mws = [type(m).__module__ for m in crawler.engine.downloader.middleware.middlewares]
    Path(args.result).write_text(
        json.dumps(
            {
                "requested": len(urls),
                "ok": stats.get("bench/ok", 0),
                "bad": stats.get("bench/bad", 0),
                "failed": stats.get("bench/failed", 0),
                "elapsed": stats.get("elapsed_time_seconds"),
                "project_components": [m for m in mws if not m.startswith("scrapy.")],
                "warc_records": stats.get("warc/records", 0),
                "warc_write_errors": stats.get("warc/write_errors", 0),
            }
        )
    )


# -- (d) extraction alone (separate process: `_extract`) ----------------------------------------


def extract_main(args: argparse.Namespace) -> None:
    """`_extract`: the pipeline's extraction (pool, limits, site rules) over the page files."""
    os.environ["SCRAPY_SETTINGS_MODULE"] = "settings"
    from scrapy.utils.project import get_project_settings

    from crawler.extract.pool import ExtractionPool
    from crawler.extract.site_rules import rules_for, rules_from_settings

    settings = get_project_settings()
    site_rules = rules_from_settings(settings)
    rules = rules_for("127.0.0.1", site_rules)
    paths = sorted((Path(args.site_dir) / "p").glob("*.html"))[: args.count]
    pool = ExtractionPool(
        workers=args.workers,
        timeout=settings.getfloat("EXTRACT_TIMEOUT"),
        max_bytes=settings.getint("EXTRACT_MAX_BYTES"),
    )
    # Files are read lazily inside the timed loop, as the crawl gets bodies one by one.
    jobs = ((p.read_bytes(), args.base_url + "/p/" + p.name, None, rules) for p in paths)
    ok = with_text = 0
    started = time.monotonic()
    try:
        for result in pool.map_ordered(jobs):
            ok += result["ok"]
            with_text += bool(result["ok"] and result["extraction"]["text"])
    finally:
        elapsed = time.monotonic() - started
        pool.shutdown()
    Path(args.result).write_text(
        json.dumps({"requested": len(paths), "ok": ok, "articles": with_text, "elapsed": elapsed})
    )


# -- the orchestrator -----------------------------------------------------------------------------


@dataclass
class RunResult:
    name: str  # a, b, c, c4, d
    label: str
    pages: int
    done: int = 0  # pages fetched (and archived) / extracted successfully
    articles: int | None = None
    elapsed: float | None = None  # crawl phase (Scrapy's elapsed_time_seconds) or map time
    wall: float = 0.0  # the whole subprocess incl. interpreter start and imports
    cpu: float = 0.0  # user+sys of the process tree
    main_rss_kb: int = 0
    tree_pss_kb: int = 0
    server_cpu: float | None = None
    problems: list[str] = field(default_factory=list)
    log_tail: str = ""  # the end of its log when it broke (the temp dir may be gone)
    all_pages_per_s: list[float] = field(default_factory=list)  # every repeat, run order

    @property
    def pages_per_s(self) -> float | None:
        return self.pages / self.elapsed if self.elapsed else None


def run_measured(cmd: list[str], name: str, work: Path, timeout: float) -> dict:
    result = work / f"{name}.measure.json"
    log = work / "logs" / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "_measure",
                "--timeout",
                str(timeout),
                "--result",
                str(result),
                "--",
                *cmd,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            timeout=timeout + 90,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    if proc.returncode != 0 or not result.exists():
        raise SystemExit(f"measuring {name} failed; see {log}:\n{tail(log)}")
    return json.loads(result.read_text())


def tail(path: Path, lines: int = 25) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_case(
    name: str,
    run: str,
    label: str,
    cmd: list[str],
    n: int,
    work: Path,
    timeout: float,
    server: Server,
    read_result,
) -> RunResult:
    print(f"running {label} ({run}) ...", file=sys.stderr, flush=True)
    server_before = server.cpu_seconds()
    m = run_measured(cmd, run, work, timeout)
    r = RunResult(
        name=name,
        label=label,
        pages=n,
        wall=m["wall"],
        cpu=m["cpu_user"] + m["cpu_sys"],
        main_rss_kb=m["main_rss_kb"],
        tree_pss_kb=m["tree_pss_kb"],
    )
    r.server_cpu = server.cpu_seconds() - server_before
    if m["timed_out"]:
        r.problems.append(f"timed out after {timeout:.0f}s")
    if m["returncode"] != 0:
        r.problems.append(f"exit status {m['returncode']}")
    try:
        read_result(r)
    except (OSError, ValueError, KeyError, IndexError) as exc:
        r.problems.append(f"no result: {exc}")
    if r.done != n:
        r.problems.append(f"only {r.done} of {n} pages succeeded")
    if r.problems:
        r.log_tail = tail(work / "logs" / f"{run}.log", 8)
    return r


def median_run(name: str, runs: list[RunResult]) -> RunResult:
    """The run with the median pages/s (a broken one if any broke: it proves nothing)."""
    broken = [r for r in runs if r.problems]
    if broken:
        return broken[0]
    ranked = sorted(runs, key=lambda r: r.pages_per_s or 0.0)
    chosen = ranked[(len(ranked) - 1) // 2]
    chosen.all_pages_per_s = [r.pages_per_s or 0.0 for r in runs]
    return chosen


def read_manifest(store: Path, r: RunResult, extraction: bool) -> None:
    manifests = sorted((store / "runs").glob("*.json"))
    if len(manifests) != 1:
        raise ValueError(f"{len(manifests)} run manifests in {store}/runs")
    report = json.loads(manifests[0].read_text())
    counts, stats = report["counts"], report["stats"]
    r.done = counts["archived"]
    if counts["failed"]:
        r.problems.append(f"{counts['failed']} URLs failed (see the manifest's outcomes)")
    r.elapsed = stats.get("elapsed_time_seconds")
    if counts["warc_write_errors"]:
        r.problems.append(f"{counts['warc_write_errors']} WARC write errors")
    if stats.get("warc/records", 0) != 2 * r.pages:
        r.problems.append(f"{stats.get('warc/records', 0)} WARC records, not {2 * r.pages}")
    if extraction:
        r.articles = counts["articles"]
        if stats.get("extract/failed"):
            r.problems.append(f"{stats['extract/failed']} extraction failures")


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_report(results: list[RunResult], args: argparse.Namespace, info: dict) -> None:
    print(
        f"\nthroughput benchmark: {info['pages']} pages, {info['mean_kb']:.0f} KB mean "
        f"(sources: {info['sources']}); server: {args.server} (separate process); "
        f"concurrency {args.concurrency} (also per domain); extraction workers "
        f"{args.workers}; {os.cpu_count()} CPUs"
    )
    head = (
        f"{'run':<34} {'ok/pages':>11} {'articles':>8} {'crawl s':>8} {'pages/s':>8} "
        f"{'wall s':>7} {'CPU ms/pg':>9} {'RSS MB':>7} {'tree MB':>8} {'server':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        server = f"{100 * r.server_cpu / r.elapsed:.0f}%" if r.server_cpu and r.elapsed else "-"
        print(
            f"{r.label:<34} {f'{r.done}/{r.pages}':>11} {fmt(r.articles, 'd'):>8} "
            f"{fmt(r.elapsed, '.1f'):>8} {fmt(r.pages_per_s, '.1f'):>8} {r.wall:>7.1f} "
            f"{1000 * r.cpu / r.pages:>9.1f} {r.main_rss_kb / 1024:>7.0f} "
            f"{r.tree_pss_kb / 1024:>8.0f} {server:>7}"
        )
    print("""
  (the median run of each case by pages/s; every run's pages/s below)
  pages/s   = pages / crawl s; crawl s = Scrapy's elapsed_time_seconds (spider open to
              close) for a-c, the map_ordered loop incl. pool start-up for d
  CPU ms/pg = user+sys of the whole process tree (crawler + extraction workers +
              forkserver), interpreter start included, per page
  RSS MB    = peak RSS of the main process (VmHWM); tree MB = peak sum of PSS over the
              process tree incl. extraction workers (sampled every 0.2 s)
  server    = page server CPU as % of one core over the crawl time""")
    by = {r.name: r for r in results if not r.problems}  # broken runs prove nothing
    print("\npages/s of every run, in run order:")
    for r in results:
        if r.all_pages_per_s:
            print(f"  {r.label:<34} " + "  ".join(f"{v:.1f}" for v in r.all_pages_per_s))
    print("\nratios (pages/s of the median runs):")
    for name, (num, den) in {"b/a": ("b", "a"), "c/d": ("c", "d")}.items():
        if num in by and den in by and by[num].pages_per_s and by[den].pages_per_s:
            ratio = by[num].pages_per_s / by[den].pages_per_s
            verdict = "meets" if ratio >= TARGETS[name] else "MISSES"
            print(f"  {name} = {ratio:.2f}   target >= {TARGETS[name]}  ({verdict} target)")
    for name, what in (
        ("b64", "(b) with the default 64 KB mmap threshold"),
        ("b2", "(b64) plus the archive command's spider, items and store"),
    ):
        if name in by and "a" in by and by[name].pages_per_s and by["a"].pages_per_s:
            print(
                f"  {name}/a = {by[name].pages_per_s / by['a'].pages_per_s:.2f}   "
                f"(no target: {what})"
            )
    # Ratios hide where CPU goes on a small machine; per-page CPU differences show it.
    for what, (num, den) in {
        "WARC capture over bare fetch (b-a)": ("b", "a"),
        "crawl + store around extraction (c-d)": ("c", "d"),
    }.items():
        if num in by and den in by:
            extra = 1000 * (by[num].cpu / by[num].pages - by[den].cpu / by[den].pages)
            print(f"  {what}: {extra:+.1f} ms CPU per page")
    if "c" in by and "c4" in by:
        big, small = by["c"], by["c4"]
        print(
            f"  RSS flat? (c) peak main RSS {big.main_rss_kb / 1024:.0f} MB at N={big.pages}"
            f" vs {small.main_rss_kb / 1024:.0f} MB at N={small.pages}; tree PSS "
            f"{big.tree_pss_kb / 1024:.0f} vs {small.tree_pss_kb / 1024:.0f} MB "
            f"(target: flat, i.e. not growing with N)"
        )
    bad = [r for r in results if r.problems]
    for r in bad:
        print(f"  BROKEN RUN {r.label}: {'; '.join(r.problems)} -- its figures mean nothing")
        if r.log_tail.strip():
            print("    " + r.log_tail.replace("\n", "\n    "))
    if not bad:
        print("  every run fetched/extracted every page")


def orchestrate(args: argparse.Namespace) -> int:
    n = args.pages
    timeout = args.timeout or 120 + 0.5 * n
    work = Path(tempfile.mkdtemp(prefix="crawler-bench-"))
    (work / "logs").mkdir()
    server: Server | None = None
    try:
        sources, where = load_sources(args.pages_dir)
        site_dir = work / "site"
        # Pages name their own URL (canonical link), so the port is chosen first.
        base_url = f"http://127.0.0.1:{free_port()}"
        total, used = write_pages(sources, n, site_dir, base_url)
        server = Server(site_dir, args.server, base_url, work / "logs" / "server.log")
        info = {"pages": n, "mean_kb": total / n / 1024, "sources": f"{used} distinct; {where}"}
        urls = [server.base_url + PAGE_PATH % i for i in range(n)]
        with urllib.request.urlopen(urls[0], timeout=10) as resp:  # fail early, clearly
            if MARKER % 0 not in resp.read():
                raise SystemExit("the page server does not serve the generated pages")
        urls_file = work / "urls.txt"
        urls_file.write_text("\n".join(urls) + "\n")
        small_n = max(1, n // 4)
        (work / "urls-small.txt").write_text("\n".join(urls[:small_n]) + "\n")

        def archive_cmd(store: Path, url_list: Path, *extra: str) -> list[str]:
            return [
                sys.executable,
                "-m",
                "crawler.cli",
                "archive",
                "--input",
                str(url_list),
                "--store",
                str(store),
                "--concurrency",
                str(args.concurrency),
                "--workers",
                str(args.workers),
                "--progress-interval",
                "0",
                "--ignore-robots",
                "--log-level",
                "WARNING",
                # one loopback host: without this the per-domain cap (8) would rule
                "-s",
                f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
                *extra,
            ]

        def read_bare(result: Path, capture: Path | None = None):
            def read(r: RunResult) -> None:
                res = json.loads(result.read_text())
                r.done, r.elapsed = res["ok"], res["elapsed"]
                expected = ["crawler.capture.middleware"] if capture else []
                if res["project_components"] != expected:
                    r.problems.append(f"project components: {res['project_components']}")
                if capture and res["warc_records"] != 2 * r.pages:
                    r.problems.append(f"{res['warc_records']} WARC records, not {2 * r.pages}")
                if res["warc_write_errors"]:
                    r.problems.append(f"{res['warc_write_errors']} WARC write errors")

            return read

        def read_extract(result: Path):
            def read(r: RunResult) -> None:
                res = json.loads(result.read_text())
                r.done, r.articles, r.elapsed = res["ok"], res["articles"], res["elapsed"]

            return read

        def bare_cmd(result: Path, *extra: str) -> list[str]:
            return [
                sys.executable,
                __file__,
                "_bare",
                "--urls",
                str(urls_file),
                "--concurrency",
                str(args.concurrency),
                "--result",
                str(result),
                *extra,
            ]

        def case(name: str, run: str):
            """(label, pages, command, result reader) of one run of case `name`."""
            store, result = work / f"store-{run}", work / f"{run}.json"
            if name == "a":
                return "(a) fetch only (bare Scrapy)", n, bare_cmd(result), read_bare(result)
            if name == "b":  # the allocator policy of (a): the capture's cost alone
                return (
                    "(b) fetch + WARC",
                    n,
                    bare_cmd(result, "--capture", str(store), "--mmap-threshold", "0"),
                    read_bare(result, store),
                )
            if name == "b64":
                return (
                    "(b64) fetch + WARC, 64 KB mmap",
                    n,
                    bare_cmd(result, "--capture", str(store)),
                    read_bare(result, store),
                )
            if name == "b2":
                return (
                    "(b2) archive, no extraction",
                    n,
                    archive_cmd(store, urls_file, "-s", "EXTRACT_ENABLED=False"),
                    lambda r: read_manifest(store, r, extraction=False),
                )
            if name == "c":
                return (
                    "(c) full archive",
                    n,
                    archive_cmd(store, urls_file),
                    lambda r: read_manifest(store, r, extraction=True),
                )
            if name == "c4":
                return (
                    "(c) full archive, N/4",
                    small_n,
                    archive_cmd(store, work / "urls-small.txt"),
                    lambda r: read_manifest(store, r, extraction=True),
                )
            return (
                "(d) extraction only (pool)",
                n,
                [
                    sys.executable,
                    __file__,
                    "_extract",
                    "--site-dir",
                    str(site_dir),
                    "--count",
                    str(n),
                    "--workers",
                    str(args.workers),
                    "--base-url",
                    server.base_url,
                    "--result",
                    str(result),
                ],
                read_extract(result),
            )

        runs: dict[str, list[RunResult]] = {name: [] for name in args.runs}
        for k in range(args.repeat):
            for name in args.runs:
                if name == "c4" and k:  # RSS at N/4: one run says it
                    continue
                run = f"{name}-{k}"
                label, count, cmd, reader = case(name, run)
                runs[name].append(
                    run_case(name, run, label, cmd, count, work, timeout, server, reader)
                )
                if not args.keep:  # WARCs of 2,000 pages are a few hundred MB: free as we go
                    shutil.rmtree(work / f"store-{run}", ignore_errors=True)
        results = [median_run(name, rs) for name, rs in runs.items()]
        print_report(results, args, info)
        return 1 if any(r.problems for r in results) else 0
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"\nkept {work} (pages in site/, logs in logs/)", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages to serve (2000)")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS, and per domain (16)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="extraction worker processes for (c) and (d) (CPU count)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: --pages 200")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--pages-dir",
        type=Path,
        default=None,
        help=f"folder of .html/.html.gz source pages (default {SHARED_BENCH}; "
        "the fixture site's articles if that is absent)",
    )
    parser.add_argument(
        "--server",
        choices=("twisted", "fixture"),
        default="twisted",
        help="page server: twisted.web.static from memory (default) or the "
        "fixture site (crawler.demo.site)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each case, interleaved; the median is reported (3)",
    )
    parser.add_argument(
        "--runs",
        default="a,b,b64,b2,c,c4,d",
        help="which runs, comma-separated from a,b,b64,b2,c,c4,d (all)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per run (default 120 + 0.5 * pages)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    internal = argparse.ArgumentParser()
    if argv and argv[0] == "_serve":
        internal.add_argument("--root", type=Path, required=True)
        internal.add_argument("--kind", required=True)
        internal.add_argument("--port", type=int, required=True)
        serve_main(internal.parse_args(argv[1:]))
        return 0
    if argv and argv[0] == "_measure":
        internal.add_argument("--timeout", type=float, required=True)
        internal.add_argument("--result", required=True)
        internal.add_argument("cmd", nargs=argparse.REMAINDER)
        ns = internal.parse_args(argv[1:])
        ns.cmd = ns.cmd[1:] if ns.cmd[:1] == ["--"] else ns.cmd
        measure_main(ns)
        return 0
    if argv and argv[0] == "_bare":
        internal.add_argument("--urls", required=True)
        internal.add_argument("--concurrency", type=int, required=True)
        internal.add_argument("--result", required=True)
        internal.add_argument("--capture", default=None, help="store: add WARC capture")
        internal.add_argument("--mmap-threshold", type=int, default=None)
        bare_main(internal.parse_args(argv[1:]))
        return 0
    if argv and argv[0] == "_extract":
        for name in ("--site-dir", "--base-url", "--result"):
            internal.add_argument(name, required=True)
        internal.add_argument("--count", type=int, required=True)
        internal.add_argument("--workers", type=int, required=True)
        extract_main(internal.parse_args(argv[1:]))
        return 0
    args = build_parser().parse_args(argv)
    if args.quick:
        args.pages, args.repeat = 200, 1
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = set(args.runs) - {"a", "b", "b64", "b2", "c", "c4", "d"}
    if unknown or args.pages < 1 or args.repeat < 1:
        build_parser().error(
            f"bad --runs {sorted(unknown)}, --pages {args.pages} or --repeat {args.repeat}"
        )
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
