"""The `crawler` command.

    crawler archive URL... [--input FILE|-] [--store DIR|file:///dir|s3://bucket/prefix]
                    [--wacz OUT.wacz]
    crawler upload --store s3://bucket/prefix   # upload what earlier runs left pending
    crawler export --to DIR [--since D] [--until D] [--site S] [--format jsonl|parquet]
                   [--incremental] [--all-versions] [--wet] [--wacz OUT.wacz]
    crawler extract PATH... [--url URL]         # HTML (.html, .gz) or WARC files; no network
    crawler reextract [--site S] [--since DATE] # re-derive articles from the stored WARCs
    crawler sites | crawl SITE | schedule [--once]   # configured site crawls
    crawler demo                                # archive a built-in news site on loopback

Exit status: 0 all good, 1 something failed (each failure is reported), 2 usage error.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

from crawler.usage_error import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError

# -- archive ----------------------------------------------------------------------------

def _scrapy_settings(args: argparse.Namespace, command: str):
    # The project's defaults module unless the user points Scrapy at their own.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    from scrapy.utils.project import get_project_settings


    settings = get_project_settings()
    overrides = {
        **store_overrides(args),
        "CONCURRENT_REQUESTS": args.concurrency,
        "DOWNLOAD_TIMEOUT": args.timeout,
        "DOWNLOAD_MAXSIZE": args.max_size,
        "EXTRACT_WORKERS": args.workers,
        "EXTRACT_TIMEOUT": args.extract_timeout,
        "WARC_MAX_SIZE": args.warc_max_size,
        "WARC_PREFIX": args.warc_prefix,
        "LOG_LEVEL": args.log_level,
        "REPORT_PROGRESS_INTERVAL": args.progress_interval,
        "LEARN_SITE_PAGES": getattr(args, "learn_site", None),
    }
    if args.ignore_robots:
        overrides["ROBOTSTXT_OBEY"] = False
    _apply_overrides(settings, overrides, args.set)
    settings.set("RUN_COMMAND", command, priority="cmdline")
    return settings


def add_store_options(p: argparse.ArgumentParser) -> None:
    """The storage flags, shared by every command that reads or writes a store."""
    p.add_argument("--store", default=None,
                   help="where to store everything: DIR, file:///abs/dir or "
                        "s3://bucket/prefix (STORE_URI; default ./data)")
    p.add_argument("--s3-endpoint-url", metavar="URL",
                   help="S3-compatible endpoint, e.g. http://127.0.0.1:9000 "
                        "(STORE_S3_ENDPOINT_URL; default AWS)")
    p.add_argument("--spool-dir", metavar="DIR",
                   help="local spool for an s3:// store: files wait here until uploaded "
                        "(STORE_SPOOL_DIR; default ~/.local/state/crawler/spool/BUCKET/PREFIX)")


def store_overrides(args: argparse.Namespace) -> dict:
    """Settings from the flags of `add_store_options` (None = not given)."""
    return {"STORE_URI": args.store,
            "STORE_S3_ENDPOINT_URL": getattr(args, "s3_endpoint_url", None),
            "STORE_SPOOL_DIR": getattr(args, "spool_dir", None)}


def _apply_overrides(settings, overrides: dict, assignments: list[str] | None) -> None:
    """--flags, then -s NAME=VALUE, onto `settings`; then check the storage URI."""
    from crawler.store.uri import StoreURIError, open_store

    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    for item in assignments or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"-s expects NAME=VALUE, got {item!r}")
        settings.set(name.strip(), value, priority="cmdline")
    try:
        open_store(settings.get("STORE_URI"), settings)
    except StoreURIError as exc:
        raise UsageError(str(exc)) from exc


def _collect_urls(args: argparse.Namespace) -> list[str]:
    from spiders.urls import read_url_list, unique

    urls = list(args.urls)
    if args.input:
        try:
            urls += read_url_list(args.input)
        except OSError as exc:
            raise UsageError(f"cannot read --input {args.input}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise UsageError(f"--input {args.input} is not UTF-8 text: {exc}") from exc
    urls = unique(urls)
    if not urls:
        raise UsageError("no URLs given: pass URLs as arguments or --input FILE ('-' = stdin)")
    return urls


def run_spider(settings, spider_cls, arguments: dict, **spider_args):
    """Crawl with `spider_cls` in this process (Scrapy's reactor: once per process);
    the finished ArchiveRun, or None (said on stderr) if the run never finished."""
    from scrapy.crawler import CrawlerProcess

    settings.set("RUN_ARGUMENTS", arguments, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **spider_args)
    process.start()
    run = getattr(crawler, "_archive_run", None)
    if run is None or run.report is None:
        print("error: the run did not finish; see the log above", file=sys.stderr)
        return None
    return run


def run_archive(urls: list[str], settings, wacz: str | None = None) -> int:
    """Run the `urls` spider in this process; 0 if every URL was archived. With `wacz`,
    package the run's WARC files and archived pages as that WACZ file afterwards."""
    from spiders.urls import UrlsSpider

    run = run_spider(settings, UrlsSpider, {"urls": urls}, urls=urls)
    if run is None:
        return EXIT_FAILED
    code = EXIT_OK if run.ok else EXIT_FAILED
    if wacz:
        code = max(code, _wacz_of_run(run, wacz))
    return code


def _wacz_of_run(run, out: str) -> int:
    from crawler.store.catalog import Catalog
    from crawler.wacz_package import Page

    keys = [f["key"] for f in run.files if f["kind"] == "warc"]
    catalog = Catalog(run.store.path("catalog.sqlite"))
    try:
        last_fetch = {c["url"]: c["fetched_at"] for c in catalog.captures(crawl_id=run.crawl_id)}
    finally:
        catalog.close()
    pages = []
    for o in run.outcomes.values():
        # the requested URL's own capture, else (a URL Scrapy normalised) the final one
        url = o.url if o.url in last_fetch else o.final_url
        if o.archived and url in last_fetch:
            pages.append(Page(url, last_fetch[url], o.title))
    if not keys or not pages:
        print(f"no WACZ written: the run archived no pages ({out})", file=sys.stderr)
        return EXIT_FAILED
    return _write_wacz(run.store, keys, pages, out, f"crawl {run.crawl_id}")


def _write_wacz(store, keys: list[str], pages: list, out: str, title: str) -> int:
    import tempfile

    from botocore.exceptions import BotoCoreError, ClientError

    from crawler.wacz_package import WaczError, local_warcs, utc_title, write_wacz

    try:
        with tempfile.TemporaryDirectory(prefix="wacz-warcs-") as tmp:
            warcs = local_warcs(store, keys, Path(tmp))
            info = write_wacz(out, warcs, pages, utc_title(title))
    except (WaczError, OSError, BotoCoreError, ClientError) as exc:
        print(f"WACZ {out} not written: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"WACZ {out}: {info['pages']} pages, {info['warcs']} WARC file(s), "
          f"{info['size']} bytes")
    return EXIT_OK


def cmd_archive(args: argparse.Namespace) -> int:
    urls = _collect_urls(args)
    settings = _scrapy_settings(args, "crawler archive")
    return run_archive(urls, settings, wacz=_wacz_path(args.wacz))


def _wacz_path(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.endswith(".wacz"):
        raise UsageError(f"--wacz {value!r}: the file name must end in .wacz")
    if os.path.isdir(value):
        raise UsageError(f"--wacz {value!r} is a folder; give a file name such as out.wacz")
    from crawler.wacz_package import WaczError, require_wacz

    try:
        require_wacz()
    except WaczError as exc:
        raise UsageError(str(exc)) from exc
    return value


# -- export -----------------------------------------------------------------------------

def cmd_export(args: argparse.Namespace) -> int:
    from boto3.exceptions import Boto3Error  # S3UploadFailedError from upload_file
    from botocore.exceptions import BotoCoreError, ClientError

    from crawler.export import ExportError, export
    from crawler.export.destination import DestinationError, open_destination
    from crawler.export.formats import FormatUnavailable, arrow_schema
    from crawler.export.selection import Selection, SelectionError, parse_time_bound
    from crawler.store.catalog import Catalog
    from crawler.store.s3 import UploadConflict, UploadVerifyError
    from crawler.store.uri import StoreURIError, open_store

    wacz = _wacz_path(args.wacz)
    if not args.to and not wacz:
        raise UsageError("say where to: --to DIR (dataset shards) and/or --wacz OUT.wacz")
    if args.wet and not args.to:
        raise UsageError("--wet needs --to: the text file is part of an export folder")
    if args.incremental and not args.to:
        raise UsageError("--incremental needs --to: the watermark lives in the destination")
    if args.incremental and args.until:
        raise UsageError("--until cannot be combined with --incremental: records after it "
                         "would be passed by the watermark and never exported")
    if args.part_records < 1:
        raise UsageError("--part-records must be at least 1")
    settings = _plain_settings(args)  # --store and the S3 flags; usage errors here
    try:
        store = open_store(settings.get("STORE_URI"), settings)
        selection = Selection(
            since=parse_time_bound(args.since, flag="--since") if args.since else None,
            until=parse_time_bound(args.until, flag="--until") if args.until else None,
            site=args.site.lower().strip(".") if args.site else None,
            all_versions=args.all_versions)
        publisher = open_destination(args.to, settings) if args.to else None
        if args.format == "parquet":
            arrow_schema()  # fails early, before any work, when pyarrow is missing
    except (StoreURIError, SelectionError, DestinationError, FormatUnavailable) as exc:
        raise UsageError(str(exc)) from exc
    if selection.since and selection.until and selection.since >= selection.until:
        raise UsageError("--since must be before --until")
    if not store.path("catalog.sqlite").exists():
        raise UsageError(f"no catalog in {store.uri}: nothing has been archived there")

    if publisher is not None:
        try:
            result = export(store, publisher, selection, fmt=args.format,
                            incremental=args.incremental, part_records=args.part_records,
                            wet=args.wet)
        except DestinationError as exc:
            raise UsageError(str(exc)) from exc
        except ExportError as exc:
            print(f"crawler export: failed, nothing published: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except (Boto3Error, BotoCoreError, ClientError, UploadConflict,
                UploadVerifyError) as exc:
            print(f"crawler export: cannot write to {args.to}: {exc} (an export folder "
                  "without manifest.json is incomplete and is ignored)", file=sys.stderr)
            return EXIT_FAILED
        waiting = (f"; {result.pending} record(s) wait in shards still being written"
                   if result.pending else "")
        if result.manifest is None:
            what = "nothing new since the last export" if args.incremental else \
                "no records match"
            print(f"export: {what} (catalog seq {result.after_seq}..{result.through_seq})"
                  f"{waiting}")
        else:
            m = result.manifest
            parts = [f for f in m["files"] if f["kind"] == "records"]
            print(f"export {m['export_id']}: {m['record_count']} records in "
                  f"{len(parts)} {args.format} file(s)"
                  f"{' + WET text' if args.wet else ''} -> {result.location}"
                  f" (catalog seq {result.after_seq}..{result.through_seq}){waiting}")
        rows = result.rows
    else:
        from crawler.export.selection import select

        catalog = Catalog(store.path("catalog.sqlite"))
        try:
            rows = select(catalog, selection).rows
        finally:
            catalog.close()
    if wacz:
        return _wacz_of_rows(store, rows, wacz)
    return EXIT_OK


def _wacz_of_rows(store, rows: list[dict], out: str) -> int:
    """The WARC files holding these article records' responses, as a WACZ."""
    from crawler.store.catalog import Catalog
    from crawler.wacz_package import Page

    if not rows:
        print(f"no WACZ written: no article records selected ({out})", file=sys.stderr)
        return EXIT_OK
    catalog = Catalog(store.path("catalog.sqlite"))
    try:
        captures = {c["record_id"]: c for c in catalog.captures(
            record_ids=[r["warc_record_id"] for r in rows if r["warc_record_id"]])}
    finally:
        catalog.close()
    pages, keys = [], []
    for row in rows:
        cap = captures.get(row["warc_record_id"])
        if cap is None:
            continue
        pages.append(Page(cap["url"], cap["fetched_at"], row["title"]))
        if cap["warc_file"] not in keys:
            keys.append(cap["warc_file"])
    return _write_wacz(store, keys, pages, out, "export")


# -- extract ----------------------------------------------------------------------------

def _iter_inputs(paths: list[str], url: str | None, max_bytes: int):
    """(html, url, content_language, meta) for every document in the inputs."""
    from crawler.capture.warc_reader import is_warc_path, iter_html_responses
    from crawler.extract.trafilatura_extractor import html_for

    for path in paths:
        if is_warc_path(path):
            for doc in iter_html_responses(path, max_bytes):
                meta = {"source": {"path": path, "offset": doc.pointer["offset"]},
                        "url": doc.url, "status": doc.status,
                        "content_type": doc.content_type, "fetched_at": doc.fetched_at,
                        "warc": doc.pointer}
                yield html_for(doc.body, doc.content_type), doc.url, doc.content_language, meta
            continue
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        if data[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)  # bounded: a gzip bomb stops here
        meta = {"source": {"path": path}, "url": url, "status": None,
                "content_type": None, "fetched_at": None, "warc": None}
        yield data, url, None, meta


def _site_rules(sites_dirs: list[str] | None):
    from crawler.extract.site_rules import SiteConfigError, load_all

    if sites_dirs is None:
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
        from scrapy.utils.project import get_project_settings

        sites_dirs = get_project_settings().getlist("SITES_DIRS")
    try:
        return load_all(sites_dirs)
    except SiteConfigError as exc:
        raise UsageError(str(exc)) from exc


def cmd_extract(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from crawler.extract.pool import ExtractionPool
    from crawler.extract.site_rules import rules_for
    from crawler.extract.trafilatura_extractor import extractor_versions
    from crawler.record import build_article_record

    for path in args.paths:
        if not os.path.isfile(path):
            raise UsageError(f"no such file: {path}")
    site_rules = _site_rules(args.sites_dir)
    pool = ExtractionPool(workers=args.workers, timeout=args.extract_timeout,
                          max_bytes=args.max_bytes)
    versions = extractor_versions()
    metas: list[dict] = []

    def jobs():
        for html, url, lang, meta in _iter_inputs(args.paths, args.url, args.max_bytes):
            metas.append(meta)
            host = urlsplit(url).hostname if url else None
            yield html, url, lang, rules_for(host, site_rules)

    failures = 0
    out = sys.stdout
    try:
        for result in pool.map_ordered(jobs()):
            meta = metas.pop(0)
            where = meta["source"]["path"] + (
                f"@{meta['source']['offset']}" if "offset" in meta["source"] else "")
            if not result["ok"]:
                failures += 1
                print(f"{where}: {result['error']}", file=sys.stderr)
                continue
            record = build_article_record(
                extraction=result["extraction"], url=meta["url"],
                final_url=meta["url"], fetched_at=meta["fetched_at"],
                http_status=meta["status"], content_type=meta["content_type"],
                crawl_id=None, warc=meta["warc"], extractor=versions,
                source=meta["source"],
                id_fallback=Path(meta["source"]["path"]).resolve().as_uri(),
            )
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        pool.shutdown()
    out.flush()
    return EXIT_FAILED if failures else EXIT_OK


# -- reextract ----------------------------------------------------------------------------

def cmd_reextract(args: argparse.Namespace) -> int:
    """Extraction + boilerplate stage again over stored WARC records; new article
    versions for every article whose text changes."""
    import gzip as gzip_mod
    from urllib.parse import urlsplit

    from crawler.articles import ArticleSink
    from crawler.capture.warc_reader import parse_record_member
    from crawler.extract.metadata import normalise_datetime
    from crawler.extract.pool import ExtractionPool
    from crawler.extract.site_rules import rules_for
    from crawler.extract.trafilatura_extractor import html_for
    from crawler.run import ArchiveRun, new_crawl_id
    from crawler.store.uri import open_store

    since = None
    if args.since:
        since = normalise_datetime(args.since)
        if since is None:
            raise UsageError(f"--since {args.since!r} is not a date or time")
    settings = _plain_settings(args)
    store = open_store(settings.get("STORE_URI"), settings)
    if not store.path("catalog.sqlite").exists():
        raise UsageError(f"no catalog in {store.uri} (looked for {store.path('catalog.sqlite')})"
                         ": nothing has been archived there")
    site_rules = _site_rules(settings.getlist("SITES_DIRS")
                             if settings.getbool("BOILERPLATE_ENABLED", True) else [])
    run = ArchiveRun(store, new_crawl_id(), "crawler reextract",
                     {"site": args.site, "since": since})
    captures = run.catalog.latest_html_captures(args.site, since)
    pool = ExtractionPool(workers=settings.getint("EXTRACT_WORKERS") or None,
                          timeout=settings.getfloat("EXTRACT_TIMEOUT", 30.0),
                          max_bytes=settings.getint("EXTRACT_MAX_BYTES", 10 << 20))
    run.on_close(pool.shutdown)
    sink = ArticleSink(run, settings)
    counts = {"captures": len(captures), "new_versions": 0, "unchanged": 0, "failed": 0}

    def jobs():
        for cap in captures:
            try:
                record = parse_record_member(store.read_range(
                    cap["warc_file"], cap["warc_offset"], cap["warc_length"]))
                body = record.content_stream().read(pool.max_bytes + 1)
            except (OSError, EOFError, gzip_mod.BadGzipFile, ValueError,
                    *_s3_read_errors()) as exc:
                body = b""
                cap["read_error"] = f"cannot read WARC record: {exc}"
            lang = record.http_headers.get_header("Content-Language") if body else None
            if body:
                body = html_for(body, record.http_headers.get_header("Content-Type"))
            yield body, cap["url"], lang, rules_for(urlsplit(cap["url"]).hostname, site_rules)

    for cap, result in zip(captures, pool.map_ordered(jobs()), strict=True):
        if cap.get("read_error") or not result["ok"]:
            counts["failed"] += 1
            print(f"FAILED  {cap['url']}  {cap.get('read_error') or result['error']}",
                  file=sys.stderr)
            continue
        stored = sink.add(
            result["extraction"], url=cap["requested_url"] or cap["url"], final_url=cap["url"],
            fetched_at=cap["fetched_at"], http_status=cap["status"],
            content_type=cap["content_type"],
            warc={"filename": cap["warc_file"], "offset": cap["warc_offset"],
                  "length": cap["warc_length"], "record_id": cap["record_id"],
                  "payload_digest": cap["payload_digest"]},
            only_if_changed=True,
        )
        counts["new_versions" if stored else "unchanged"] += 1
    run.finish("finished", stats=counts)
    print(f"reextract: {counts['captures']} captures, {counts['new_versions']} new article "
          f"versions, {counts['unchanged']} unchanged, {counts['failed']} failed; "
          f"run report runs/{run.crawl_id}.json")
    if run.upload_problem:
        print(run.upload_problem)
    return EXIT_FAILED if counts["failed"] or run.upload_problem else EXIT_OK


def _s3_read_errors() -> tuple[type[BaseException], ...]:
    # A ranged GET that fails is a failed capture, like an unreadable local file.
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _plain_settings(args: argparse.Namespace):
    """Project settings plus --flags, for commands that run without a Scrapy crawl."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    overrides = store_overrides(args)
    if "workers" in args:
        overrides.update({"EXTRACT_WORKERS": args.workers,
                          "EXTRACT_TIMEOUT": args.extract_timeout})
    _apply_overrides(settings, overrides, args.set)
    return settings


# -- upload -------------------------------------------------------------------------------

def cmd_upload(args: argparse.Namespace) -> int:
    """Upload every file the ledger of an s3:// store's spool holds as pending."""
    from crawler.store.s3 import S3Store, S3Uploader
    from crawler.store.uri import open_store

    settings = _plain_settings(args)
    store = open_store(settings.get("STORE_URI"), settings)
    if not isinstance(store, S3Store):
        raise UsageError(f"{store.uri} is a local store: nothing to upload; give "
                         "--store s3://bucket/prefix")
    if not store.path("catalog.sqlite").exists():
        print(f"upload: nothing pending for {store.uri} (no catalog in spool {store.root})")
        return EXIT_OK
    uploader = S3Uploader(store)
    try:
        uploader.adopt_unledgered()
        results = uploader.upload_pending()
    finally:
        uploader.close_thread_catalog()
    failed = [r for r in results if not r.ok]
    for r in results:
        if r.ok:
            print(f"uploaded  {store.uri}/{r.key}" + ("  (already there, same sha256)"
                                                      if r.already_there else ""))
        else:
            print(f"FAILED    {store.uri}/{r.key}  {r.error}", file=sys.stderr)
    print(f"upload: {len(results) - len(failed)} uploaded and verified, {len(failed)} "
          f"still pending in {store.root}")
    if failed:
        reason = next((r.error for r in failed if r.s3_unavailable and
                       not r.error.startswith("not tried")), failed[0].error)
        print(f"{len(failed)} files not uploaded to {store.uri}: {reason}; run "
              f"`{store.retry_hint()}` to retry", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# -- demo -------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo.site import FixtureSite

    with FixtureSite() as site:
        paths = site.article_paths() + [
            "/gzip/article.html", "/chunked/article.html", "/redirect/2",
            "/non-html/report.pdf",
        ]
        urls = [site.url(p) for p in paths]
        print(f"demo: a fixture news site is serving on {site.base_url} (loopback only)")
        print(f"demo: archiving {len(urls)} URLs into {args.store}\n", flush=True)
        settings = _scrapy_settings(args, "crawler demo")
        code = run_archive(urls, settings)
    store = args.store
    print(f"""
Look at what was stored:
  ls -R {store}/warc {store}/articles {store}/runs
  warcio check -v {store}/warc/*/*/*/*.warc.gz
  zcat {store}/articles/*/*/*/*.jsonl.gz | head -c 1500
  sqlite3 {store}/catalog.sqlite 'select status, url, warc_file, warc_offset from captures'""")
    return code


# -- argument parsing ---------------------------------------------------------------------

def _add_fetch_options(p: argparse.ArgumentParser) -> None:
    add_store_options(p)
    p.add_argument("--concurrency", type=int, help="parallel requests (CONCURRENT_REQUESTS)")
    p.add_argument("--timeout", type=float, help="download timeout, seconds (DOWNLOAD_TIMEOUT)")
    p.add_argument("--max-size", type=int,
                   help="abort bodies larger than this many bytes (DOWNLOAD_MAXSIZE)")
    p.add_argument("--ignore-robots", action="store_true",
                   help="do not obey robots.txt (ROBOTSTXT_OBEY=False)")
    p.add_argument("--workers", type=int, help="extraction processes (EXTRACT_WORKERS)")
    p.add_argument("--extract-timeout", type=float,
                   help="seconds per document (EXTRACT_TIMEOUT)")
    p.add_argument("--warc-max-size", type=int, help="rotate WARC files at (WARC_MAX_SIZE)")
    p.add_argument("--warc-prefix", help="WARC file name prefix (WARC_PREFIX)")
    p.add_argument("--progress-interval", type=float,
                   help="seconds between progress lines; 0 = none (REPORT_PROGRESS_INTERVAL)")
    p.add_argument("--log-level", default="WARNING",
                   help="Scrapy log level (LOG_LEVEL; default WARNING here)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="any other setting, e.g. -s WARC_GZIP_LEVEL=9")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crawler", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("archive", help="fetch exactly these URLs into WARC + article records")
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--input", "-i", metavar="FILE", help="file of URLs, one a line; '-' = stdin")
    p.add_argument("--wacz", metavar="OUT.wacz",
                   help="also package this run's WARC files and pages as a WACZ file")
    p.add_argument("--learn-site", type=int, metavar="N",
                   help="for a site the catalog barely knows: also archive up to N other "
                        "articles linked from each page, as context, to learn and remove "
                        "the site's repeated blocks (LEARN_SITE_PAGES)")
    _add_fetch_options(p)
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser("export", help="write article records as dataset shards + manifest")
    add_store_options(p)
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="any other setting, e.g. -s STORE_S3_MAX_ATTEMPTS=3")
    p.add_argument("--to", metavar="DIR",
                   help="destination folder, file:///dir or s3://bucket/prefix (with the "
                        "STORE_S3_* settings); each export is a sub-folder with part files "
                        "and manifest.json")
    p.add_argument("--since", help="fetched at or after: ISO date/time or age (2d, 12h)")
    p.add_argument("--until", help="fetched before: ISO date/time or age (2d, 12h)")
    p.add_argument("--site", help="only this host (and its subdomains)")
    p.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl",
                   help="gzip JSON Lines (default) or Parquet (needs the [parquet] extra)")
    p.add_argument("--incremental", action="store_true",
                   help="only what is new or changed since the last --incremental export "
                        "to the same destination")
    p.add_argument("--all-versions", action="store_true",
                   help="every version of each article, not only the newest")
    p.add_argument("--wet", action="store_true",
                   help="also write the text as WARC conversion records (text-00000.warc.wet.gz)"
                        " referring to the response records")
    p.add_argument("--part-records", type=int, default=100_000,
                   help="records per part file (default 100000)")
    p.add_argument("--wacz", metavar="OUT.wacz",
                   help="also package the WARC files holding these articles as a WACZ file")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("extract", help="extract articles from HTML or WARC files (no network)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--url", help="the URL the HTML files were served from")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--extract-timeout", type=float, default=30.0, help="seconds per document")
    p.add_argument("--max-bytes", type=int, default=10 * 1024 * 1024,
                   help="skip documents larger than this")
    p.add_argument("--sites-dir", action="append",
                   help="folder of site configs with per-site boilerplate rules "
                        "(default: SITES_DIRS)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("reextract",
                       help="re-derive article records from the stored WARC records")
    add_store_options(p)
    p.add_argument("--site", help="only this host (and its subdomains)")
    p.add_argument("--since", help="only captures fetched at or after this date/time")
    p.add_argument("--workers", type=int, help="extraction processes (EXTRACT_WORKERS)")
    p.add_argument("--extract-timeout", type=float, help="seconds per document")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="any other setting, e.g. -s BOILERPLATE_REPEATS_MIN_SHARE=0.5")
    p.set_defaults(func=cmd_reextract)

    from crawler.site_commands import add_parsers as add_site_parsers

    add_site_parsers(sub, _add_fetch_options)

    p = sub.add_parser("upload", help="upload files an s3:// store's spool holds as pending")
    add_store_options(p)
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="any other setting, e.g. -s STORE_S3_PART_SIZE=16777216")
    p.set_defaults(func=cmd_upload)

    p = sub.add_parser("demo", help="serve a built-in news site on loopback and archive it")
    _add_fetch_options(p)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "store", "x") is None:
        args.store = "./data"
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"crawler {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
