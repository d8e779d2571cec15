"""The `crawler` command.

    crawler archive URL... [--input FILE|-] [--store DIR|file:///dir|s3://bucket/prefix]
                    [--wacz OUT.wacz]
    crawler upload --store s3://bucket/prefix   # upload what earlier runs left pending
    crawler catalog rebuild --store S [--catalog URI]  # a catalog again, from the store
    crawler export --to DIR [--since D] [--until D] [--site S] [--format jsonl|parquet]
                   [--incremental] [--all-versions] [--wet] [--wacz OUT.wacz]
    crawler extract PATH... [--url URL]         # HTML (.html, .gz) or WARC files; no network
    crawler reextract [--site S] [--since DATE] # re-derive articles from the stored WARCs
    crawler sites | crawl SITE | schedule [--once]   # configured site crawls
    crawler archive --frontier redis://... --input FILE [--wait]   # queue URLs for workers
    crawler worker --frontier redis://... --store STORE  # a node: take queued work
    crawler schedule --frontier redis://...     # many nodes: queue due site crawls
    crawler demo                                # archive a built-in news site on loopback

Exit status: 0 all good, 1 something failed (each failure is reported), 2 usage error.
Each command is a module of `crawler/commands/`; this one builds the parser and dispatches.
"""

from __future__ import annotations

import argparse
import sys

import crawler
from crawler.commands import (
    archive,
    catalog,
    crawl,
    demo,
    export,
    extract,
    reextract,
    schedule,
    sites,
    upload,
    worker,
)
from crawler.usage_error import EXIT_USAGE, UsageError

# in the order `crawler --help` lists them
COMMANDS = (
    archive,
    export,
    extract,
    reextract,
    sites,
    crawl,
    schedule,
    upload,
    catalog,
    worker,
    demo,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crawler", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"crawler {crawler.__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"crawler {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
