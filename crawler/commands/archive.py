"""`crawler archive URL... [--input FILE|-] [--wacz OUT.wacz]`: fetch exactly these URLs
into WARC + article records, follow no links.

The input is read lazily into a frontier (crawler/frontier/): a file of the run's own
by default, or a shared one with `--frontier redis://...` (then the URLs are
queued for `crawler worker`s, and the command returns, or waits with `--wait`). URLs the
store has archived already are skipped and counted, unless `--refetch`: re-running an
interrupted archive fetches only what it had not finished."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator

from crawler.commands.options import add_fetch_options, check_frontier, crawl_settings
from crawler.commands.wacz_option import wacz_output, write_wacz
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "archive", help="fetch exactly these URLs into WARC + article records"
    )
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--input", "-i", metavar="FILE", help="file of URLs, one a line; '-' = stdin")
    p.add_argument(
        "--wacz",
        metavar="OUT.wacz",
        help="also package this run's WARC files and pages as a WACZ file",
    )
    p.add_argument(
        "--learn-site",
        type=int,
        metavar="N",
        help="for a site the catalog barely knows: also archive up to N other "
        "articles linked from each page, as context, to learn and remove "
        "the site's repeated blocks (LEARN_SITE_PAGES)",
    )
    p.add_argument(
        "--refetch",
        action="store_true",
        help="fetch URLs the store has archived already (default: skip and count them)",
    )
    p.add_argument(
        "--frontier",
        metavar="URI",
        help="a shared frontier, redis://HOST:PORT/DB (or sqlite:///FILE for processes of "
        "one machine): queue the URLs there for `crawler worker`s and return; with no "
        "URLs, archive what it holds until it is empty",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="with --frontier: wait until the frontier is empty, printing progress",
    )
    add_fetch_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = crawl_settings(args, "crawler archive")
    if args.frontier:
        check_frontier(args.frontier)
    elif args.wait:
        raise UsageError("--wait goes with --frontier URI")
    wacz = wacz_output(args.wacz)
    if args.frontier:
        if wacz:
            raise UsageError("--wacz packages one run's files: not with --frontier")
        if args.urls or args.input:
            return _enqueue(args, settings)
        from crawler.run.process import archive_from_frontier

        max_urls = settings.getint("FRONTIER_RUN_MAX_URLS")
        archived = archive_from_frontier(args.frontier, settings, max_urls=max_urls)
    else:
        from crawler.fetch.credentials import redact_url
        from crawler.run.process import archive_urls

        arguments = {"urls": [redact_url(u) for u in args.urls], "input": args.input}
        urls = _input_urls(args)
        archived = archive_urls(urls, settings, refetch=args.refetch, arguments=arguments)
    if archived is None:
        return EXIT_FAILED
    code = EXIT_OK if archived.ok else EXIT_FAILED
    if wacz:
        code = max(code, _wacz_of_run(archived, wacz))
    return code


def _input_urls(args: argparse.Namespace) -> Iterator[str]:
    """The URL arguments, then --input's lines, read as they are consumed."""
    from crawler.discovery.url_list import iter_url_list

    lines: Iterator[str] = iter(())
    if args.input:
        try:
            lines = iter_url_list(args.input)
        except OSError as exc:
            raise UsageError(f"cannot read --input {args.input}: {exc.strerror}") from exc
    return _decoded(args.urls, lines, args.input)


def _decoded(urls: list[str], lines: Iterator[str], source: str | None) -> Iterator[str]:
    yield from urls
    try:
        yield from lines
    except UnicodeDecodeError as exc:
        raise UsageError(f"--input {source} is not UTF-8 text: {exc}") from exc


def _enqueue(args: argparse.Namespace, settings) -> int:
    """Queue the URLs on the shared frontier; with --wait, wait until it is empty."""
    from crawler.fetch.credentials import redact_url
    from crawler.frontier import open_frontier

    frontier = open_frontier(args.frontier, settings.getfloat("FRONTIER_LEASE_SECONDS"))
    try:
        added = frontier.add(_input_urls(args), refetch=args.refetch)
        if not added.queued and not added.seen:
            raise UsageError("no URLs given: pass URLs as arguments or --input FILE ('-' = stdin)")
        print(
            f"queued {added.queued} URLs on {redact_url(args.frontier)}; {added.seen} were "
            "queued there before (--refetch queues them again)",
            flush=True,
        )
        if args.wait:
            _wait_until_empty(frontier, settings.getfloat("REPORT_PROGRESS_INTERVAL"))
    finally:
        frontier.close()
    return EXIT_OK


def _wait_until_empty(frontier, interval: float) -> None:
    """Until nothing is queued or leased; a progress line every `interval` seconds."""
    started = last_line = time.monotonic()
    while (counts := frontier.counts())["queued"] or counts["leased"]:
        if interval > 0 and time.monotonic() - last_line >= interval:
            last_line = time.monotonic()
            print(
                f"progress: {counts['queued']} queued, {counts['leased']} in progress, "
                f"{counts['done']} done, {counts['requeued']} re-queued from expired leases",
                file=sys.stderr,
                flush=True,
            )
        time.sleep(min(1.0, interval) if interval > 0 else 1.0)
    elapsed = time.monotonic() - started
    print(f"frontier empty: {counts['done']} done in all ({elapsed:.0f}s waited)", flush=True)


def _wacz_of_run(archived, out: str) -> int:
    from crawler.export.wacz import run_contents

    keys, pages = run_contents(archived)
    if not keys or not pages:
        print(f"no WACZ written: the run archived no pages ({out})", file=sys.stderr)
        return EXIT_FAILED
    return write_wacz(archived.store, keys, pages, out, f"crawl {archived.crawl_id}")
