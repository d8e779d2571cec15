"""Scale benchmark (issue 13): the frontier's cost, and the memory of a huge input.

    python bench/scale.py [--pages 5000] [--workers 1,2,3] [--backends local,redis]
                          [--rss 10000,1000000] [--sample 50] [--extract] [--keep]

(1) A loopback site of N small article pages (served from a thread of this process) is
    queued on a frontier and archived by 1, 2 and 3 `crawler worker` processes: a shared
    frontier file (sqlite:///, one machine), then Redis (redis-server on a loopback port).
    For each: pages/s (queueing to the last page done), CPU per page of every worker
    process and its crawls (getrusage of the waited-for children), and the coordination
    cost: frontier calls per URL (client round trips) and their CPU in the crawl (the
    runs' `frontier_calls` / `frontier_cpu_ms`), for Redis also the server's commands per
    URL (INFO commandstats delta) and its CPU. Extraction is off unless --extract: the
    fetch + WARC + catalog path is what coordination competes with, and without
    extraction its share is the largest, i.e. the figure is the pessimistic one.
(2) Peak RSS of `crawler archive --input` at each size of --rss, with all but --sample
    URLs already archived in the store (their captures put in the catalog beforehand):
    the input is read into the run's frontier file and skipped in batches.

It prints figures and the targets (coordination < 10% of single-node CPU per page; RSS at
the largest input within 20% of the smallest); it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.demo.loopback import LoopbackSite  # noqa: E402
from crawler.store.catalog import open_catalog  # noqa: E402

PARAGRAPH = (
    "Page {n}, paragraph {i}: the council met on Tuesday to discuss the budget for schools, "
    "roads and the library, and residents asked what the changes mean for their streets."
)


class _Handler(BaseHTTPRequestHandler):
    fixture = None

    def log_message(self, format, *args):
        pass

    def do_GET(self) -> None:
        n = self.path.rsplit("/", 1)[-1].split(".")[0]
        paras = "".join(f"<p>{PARAGRAPH.format(n=n, i=i)}</p>" for i in range(8))
        body = (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Page {n}"
            f"</title></head><body><article><h1>Page {n}</h1>{paras}</article></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class PageSite(LoopbackSite):
    handler_class = _Handler


def crawler_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def redis_figures(client) -> tuple[int, float]:
    """Commands served (but INFO's own) and the server's CPU seconds so far."""
    stats = client.info("commandstats")
    calls = sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")
    cpu = client.info("cpu")
    return calls, cpu["used_cpu_user"] + cpu["used_cpu_sys"]


def run_workers(uri: str, n: int, urls: Path, work: Path, pages: int, extra: list[str]) -> dict:
    store = work / "store"
    subprocess.run(
        crawler_cmd("archive", "--frontier", uri, "--input", str(urls)),
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    cpu0 = children_cpu()
    started = time.time()
    procs = [
        subprocess.Popen(
            crawler_cmd(
                "worker",
                "--frontier",
                uri,
                "--store",
                str(store),
                "--node-id",
                f"w{i}",
                "--idle-exit",
                "1",
                *extra,
            ),
            cwd=REPO,
            stdout=open(work / f"w{i}.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(n)
    ]
    for proc in procs:
        proc.wait()
    cpu = children_cpu() - cpu0
    # the last run's end, not the workers' (they idle --idle-exit seconds before exiting);
    # no polling of the frontier here, which would count among its commands
    manifests = [json.loads(m.read_text()) for m in (store / "runs").glob("*.json")]
    finished = max(datetime.fromisoformat(m["finished_at"]).timestamp() for m in manifests)
    bad = [p.returncode for p in procs if p.returncode]
    catalog = open_catalog(store)
    captured = len(catalog.archived_urls(urls.read_text().split()))
    catalog.close()
    calls = cpu_ms = 0.0
    for manifest in manifests:
        counts = manifest["counts"]
        calls += counts.get("frontier_calls", 0)
        cpu_ms += counts.get("frontier_cpu_ms", 0.0)
    return {
        "workers": n,
        "seconds": finished - started,
        "pages_per_s": pages / (finished - started),
        "cpu_ms_per_page": cpu * 1000 / pages,
        "frontier_calls_per_url": calls / pages,
        "frontier_client_cpu_ms_per_url": cpu_ms / pages,
        "captured": captured,
        "failed_workers": bad,
    }


def throughput(args, work: Path, redis_url: str | None) -> list[dict]:
    rows = []
    with PageSite() as site:
        urls = work / "urls.txt"
        urls.write_text("".join(site.url(f"/p/{i:06d}.html") + "\n" for i in range(args.pages)))
        extra = [
            "-s",
            f"EXTRACT_ENABLED={args.extract}",
            "-s",
            "REPORT_PROGRESS_INTERVAL=0",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=16",
            "-s",
            "LOG_LEVEL=ERROR",
        ]
        for backend in args.backends:
            for n in args.workers:
                case = work / f"{backend}-{n}"
                case.mkdir()
                if backend == "redis":
                    import redis

                    client = redis.Redis.from_url(redis_url)
                    client.flushall()
                    client.config_resetstat()
                    calls0, server0 = redis_figures(client)
                    row = run_workers(redis_url, n, urls, case, args.pages, extra)
                    calls1, server1 = redis_figures(client)
                    row["redis_commands_per_url"] = (calls1 - calls0) / args.pages
                    row["redis_server_cpu_ms_per_url"] = (server1 - server0) * 1000 / args.pages
                    client.close()
                else:
                    uri = f"sqlite:///{case}/frontier.sqlite"
                    row = run_workers(uri, n, urls, case, args.pages, extra)
                row["backend"] = backend
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def prefill_catalog(store: Path, urls: list[str]) -> None:
    """Captures for `urls`, as if archived earlier (synthetic pointers: never read)."""
    open_catalog(store).close()  # schema
    db = sqlite3.connect(store / "catalog.sqlite")
    with db:
        db.executemany(
            "INSERT INTO captures (record_id, crawl_id, url, host, fetched_at, status, "
            "warc_file, warc_offset, warc_length) VALUES (?, 'prefill', ?, '127.0.0.1', "
            "'2026-01-01T00:00:00+00:00', 200, 'warc/prefill.warc.gz', 0, 1)",
            ((f"<urn:prefill:{i}>", u) for i, u in enumerate(urls)),
        )
    db.close()


def peak_rss(args, work: Path) -> list[dict]:
    rows = []
    with PageSite() as site:
        for size in args.rss:
            case = work / f"rss-{size}"
            store = case / "store"
            store.mkdir(parents=True)
            urls = [site.url(f"/r/{i:07d}.html") for i in range(size)]
            prefill_catalog(store, urls[args.sample :])
            listing = case / "urls.txt"
            listing.write_text("\n".join(urls) + "\n")
            del urls
            probe = (
                "import resource, subprocess, sys, time; t = time.monotonic(); "
                "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
                "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
                "time.monotonic() - t)"
            )
            command = crawler_cmd(
                "archive",
                "--input",
                str(listing),
                "--store",
                str(store),
                "-s",
                "EXTRACT_ENABLED=False",
                "-s",
                "FRONTIER_BATCH=500",
                "--progress-interval",
                "0",
            )
            out = subprocess.run(
                [sys.executable, "-c", probe, *command],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            manifest = max((store / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
            counts = json.loads(manifest.read_text())["counts"]
            row = {
                "input_urls": size,
                "exit": int(out[0]),
                "peak_rss_mb": int(out[1]) / 1024,
                "seconds": float(out[2]),
                "fetched": counts["requested"],
                "already_archived": counts.get("already_archived", 0),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            shutil.rmtree(case, ignore_errors=True)
    return rows


def report(rows: list[dict], rss: list[dict]) -> None:
    print(
        "\nbackend  workers  pages/s  CPU ms/page  frontier calls/URL  client ms/URL  "
        "redis cmds/URL  redis ms/URL  captured"
    )
    for r in rows:
        print(
            f"{r['backend']:7}  {r['workers']:7}  {r['pages_per_s']:7.1f}  "
            f"{r['cpu_ms_per_page']:11.2f}  {r['frontier_calls_per_url']:18.3f}  "
            f"{r['frontier_client_cpu_ms_per_url']:13.3f}  "
            f"{r.get('redis_commands_per_url', 0):14.2f}  "
            f"{r.get('redis_server_cpu_ms_per_url', 0):12.3f}  {r['captured']}"
        )
    for backend in {r["backend"] for r in rows}:
        single = [r for r in rows if r["backend"] == backend and r["workers"] == 1]
        if not single:
            continue
        base = single[0]["cpu_ms_per_page"]
        worst = max(
            r["frontier_client_cpu_ms_per_url"] + r.get("redis_server_cpu_ms_per_url", 0)
            for r in rows
            if r["backend"] == backend
        )
        print(
            f"{backend}: coordination {worst:.3f} ms/URL = {100 * worst / base:.1f}% of the "
            f"single-node {base:.2f} ms/page (target < 10%)"
        )
    if len(rss) >= 2:
        small, large = rss[0], rss[-1]
        ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
        print(
            f"peak RSS: {small['peak_rss_mb']:.0f} MB at {small['input_urls']} URLs, "
            f"{large['peak_rss_mb']:.0f} MB at {large['input_urls']} URLs: x{ratio:.2f} "
            "(target within 20%)"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=5000)
    p.add_argument("--workers", default="1,2,3")
    p.add_argument("--backends", default="local,redis")
    p.add_argument("--rss", default="10000,1000000")
    p.add_argument("--sample", type=int, default=50, help="URLs fetched in the RSS runs")
    p.add_argument("--extract", action="store_true", help="with extraction (default: off)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args(argv)
    args.workers = [int(w) for w in args.workers.split(",") if w]
    args.backends = [b for b in args.backends.split(",") if b]
    args.rss = [int(n) for n in args.rss.split(",") if n]
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    print(f"work folder {work}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    try:
        rows = []
        if "redis" in args.backends:
            from tests.redis_server import RedisServer

            with RedisServer(work / "redis") as server:
                rows = throughput(args, work, server.url)
        else:
            rows = throughput(args, work, None)
        rss = peak_rss(args, work)
        report(rows, rss)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
