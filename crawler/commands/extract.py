"""`crawler extract PATH... [--url URL]`: article records (JSON lines on stdout) from HTML
(.html, .gz) or WARC files, or folders of them; no network. A document without an article
and a damaged file are reported on stderr; the exit status is 1 when any document failed,
any file was damaged or no article at all was extracted. The work is
`crawler.extract.files`."""

from __future__ import annotations

import argparse
import os
import sys

from crawler.commands.options import project_settings, set_given, setting_help, size_arg
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "extract", help="extract articles from HTML or WARC files (no network)"
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="HTML (.html, .gz) or WARC files, or folders"
    )
    p.add_argument("--url", help="the URL the HTML files were served from")
    p.add_argument(
        "--workers", type=int, help=f"worker processes, 0 = cores {setting_help('EXTRACT_WORKERS')}"
    )
    p.add_argument(
        "--extract-timeout",
        type=float,
        help=f"seconds per document {setting_help('EXTRACT_TIMEOUT')}",
    )
    p.add_argument(
        "--max-bytes",
        type=size_arg,
        metavar="SIZE",
        help=f"skip documents larger than this, e.g. 10MiB {setting_help('EXTRACT_MAX_BYTES')}",
    )
    p.add_argument(
        "--sites-dir",
        action="append",
        help="folder of site configs with per-site boilerplate rules (default: SITES_DIRS)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.extract.files import extract_files, input_files
    from crawler.extract.pool import ExtractionPool
    from crawler.extract.site_rules import load_all
    from crawler.sites.files import SiteConfigError
    from crawler.sizes import SizeError, read_size_settings

    for path in args.paths:
        if not os.path.exists(path):
            raise UsageError(f"no such file or folder: {path}")
    paths = input_files(args.paths)
    if not paths:
        raise UsageError(f"no files in {', '.join(args.paths)}")
    settings = project_settings()
    set_given(
        settings,
        {
            "EXTRACT_WORKERS": args.workers,
            "EXTRACT_TIMEOUT": args.extract_timeout,
            "EXTRACT_MAX_BYTES": args.max_bytes,
        },
    )
    try:
        read_size_settings(settings)  # a settings file's "10MiB"
    except SizeError as exc:
        raise UsageError(str(exc)) from exc
    try:
        site_rules = load_all(args.sites_dir or settings.getlist("SITES_DIRS"))
    except SiteConfigError as exc:
        raise UsageError(str(exc)) from exc
    pool = ExtractionPool.from_settings(settings)
    try:
        counts = extract_files(
            paths,
            args.url,
            sys.stdout,
            pool=pool,
            site_rules=site_rules,
            on_failed=lambda where, error: print(f"{where}: {error}", file=sys.stderr),
        )
    finally:
        pool.shutdown()
    if not counts.records:
        print("crawler extract: no article extracted", file=sys.stderr)
    return EXIT_FAILED if counts.failed or not counts.records else EXIT_OK
