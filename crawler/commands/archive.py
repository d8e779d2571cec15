"""`crawler archive URL... [--input FILE|-] [--wacz OUT.wacz]`: fetch exactly these URLs
into WARC + article records, follow no links."""

from __future__ import annotations

import argparse
import sys

from crawler.commands.options import add_fetch_options, crawl_settings
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
    add_fetch_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    urls = _collect_urls(args)
    settings = crawl_settings(args, "crawler archive")
    wacz = wacz_output(args.wacz)
    from crawler.run.process import archive_urls

    archived = archive_urls(urls, settings)
    if archived is None:
        return EXIT_FAILED
    code = EXIT_OK if archived.ok else EXIT_FAILED
    if wacz:
        code = max(code, _wacz_of_run(archived, wacz))
    return code


def _collect_urls(args: argparse.Namespace) -> list[str]:
    from crawler.discovery.url_list import read_url_list, unique

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


def _wacz_of_run(archived, out: str) -> int:
    from crawler.export.wacz import run_contents

    keys, pages = run_contents(archived)
    if not keys or not pages:
        print(f"no WACZ written: the run archived no pages ({out})", file=sys.stderr)
        return EXIT_FAILED
    return write_wacz(archived.store, keys, pages, out, f"crawl {archived.crawl_id}")
