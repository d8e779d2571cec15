"""`crawler export --to DIR [--since D] [--until D] [--site S] [--format jsonl|parquet]
[--incremental] [--all-versions] [--exclude-reserved] [--exclude-paywalled]
[--dedup mark|cluster] [--wet] [--wacz OUT.wacz]`: article records as dataset shards +
manifest (`crawler.export`), and/or the WARC files holding them as a WACZ."""

from __future__ import annotations

import argparse
import sys

from crawler.commands.options import (
    add_set_option,
    add_store_options,
    plain_settings,
    require_writable,
)
from crawler.commands.wacz_option import wacz_output, write_wacz
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError
from settings import EXPORT_PART_RECORDS


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("export", help="write article records as dataset shards + manifest")
    add_store_options(p)
    add_set_option(p, "any other setting, e.g. -s STORE_S3_MAX_ATTEMPTS=3")
    p.add_argument(
        "--to",
        metavar="DIR",
        help="destination folder, file:///dir or s3://bucket/prefix (with the "
        "STORE_S3_* settings); each export is a sub-folder with part files "
        "and manifest.json",
    )
    p.add_argument("--since", help="fetched at or after: ISO date/time or age (2d, 12h)")
    p.add_argument("--until", help="fetched before: ISO date/time or age (2d, 12h)")
    p.add_argument("--site", help="only this host (and its subdomains)")
    p.add_argument(
        "--format",
        choices=["jsonl", "parquet"],
        default="jsonl",
        help="gzip JSON Lines (default) or Parquet (needs the [parquet] extra)",
    )
    p.add_argument(
        "--incremental",
        action="store_true",
        help="only what is new or changed since the last --incremental export "
        "to the same destination",
    )
    p.add_argument(
        "--all-versions",
        action="store_true",
        help="every version of each article, not only the newest",
    )
    p.add_argument(
        "--exclude-reserved",
        action="store_true",
        help="leave out records whose site reserved text-and-data-mining or AI use "
        "(TDMRep tdm-reservation 1, noai, robots.txt disallowing an AI crawler for the "
        "page); the manifest counts them by reason",
    )
    p.add_argument(
        "--exclude-paywalled",
        action="store_true",
        help="leave out records whose text is a paywall teaser (access: paywalled)",
    )
    p.add_argument(
        "--dedup",
        choices=["mark", "cluster"],
        help="near-duplicates (EXPORT_DEDUP_* settings): mark gives every record the "
        "cluster_id of its first-seen near-duplicate; cluster writes one record per "
        "cluster, the members in clusters.jsonl.gz (needs the [dedup] extra)",
    )
    p.add_argument(
        "--wet",
        action="store_true",
        help="also write the text as WARC conversion records (text-00000.warc.wet.gz)"
        " referring to the response records",
    )
    p.add_argument(
        "--part-records", type=int, help=f"records per part file (default {EXPORT_PART_RECORDS})"
    )
    p.add_argument(
        "--wacz",
        metavar="OUT.wacz",
        help="also package the WARC files holding these articles as a WACZ file",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    wacz = _check_flags(args)
    settings = plain_settings(args, {"EXPORT_PART_RECORDS": args.part_records})
    if settings.getint("EXPORT_PART_RECORDS") < 1:  # the flag, or -s EXPORT_PART_RECORDS
        raise UsageError("--part-records must be at least 1")
    store, selection, publisher = _open(args, settings)
    if publisher is not None:
        code, rows = _publish(args, settings, store, selection, publisher)
        if code != EXIT_OK:
            return code
    else:
        from crawler.export import selected_rows

        rows = selected_rows(store, selection)
    if wacz:
        return _wacz_of_rows(store, rows, wacz)
    return EXIT_OK


def _check_flags(args: argparse.Namespace) -> str | None:
    """Usage errors that need no store; the --wacz file name or None."""
    wacz = wacz_output(args.wacz)
    if not args.to and not wacz:
        raise UsageError("say where to: --to DIR (dataset shards) and/or --wacz OUT.wacz")
    if args.wet and not args.to:
        raise UsageError("--wet needs --to: the text file is part of an export folder")
    picked = [
        flag
        for flag, on in (
            ("--exclude-reserved", args.exclude_reserved),
            ("--exclude-paywalled", args.exclude_paywalled),
            ("--dedup", args.dedup),
        )
        if on
    ]
    if picked and not args.to:
        raise UsageError(
            f"{' and '.join(picked)} need(s) --to: records are read and left out or marked "
            "as they are exported"
        )
    if args.incremental and not args.to:
        raise UsageError("--incremental needs --to: the watermark lives in the destination")
    if args.incremental and args.until:
        raise UsageError(
            "--until cannot be combined with --incremental: records after it "
            "would be passed by the watermark and never exported"
        )
    return wacz


def _open(args: argparse.Namespace, settings):
    """The store, the selection and the destination's publisher (None without --to)."""
    from crawler.export.destination import DestinationError, LocalPublisher, open_destination
    from crawler.export.formats import FormatUnavailable, arrow_schema
    from crawler.export.near_duplicates import DedupUnavailable, datasketch
    from crawler.export.selection import Selection
    from crawler.store.catalog import CatalogError, catalog_exists
    from crawler.store.uri import StoreURIError, open_store
    from crawler.timebounds import TimeBoundError, parse_time_bound

    try:
        store = open_store(settings.get("STORE_URI"), settings)
        selection = Selection(
            since=parse_time_bound(args.since, flag="--since") if args.since else None,
            until=parse_time_bound(args.until, flag="--until") if args.until else None,
            site=args.site.lower().strip(".") if args.site else None,
            all_versions=args.all_versions,
            exclude_reserved=args.exclude_reserved,
            exclude_paywalled=args.exclude_paywalled,
        )
        publisher = open_destination(args.to, settings) if args.to else None
        if args.format == "parquet":
            arrow_schema()  # fails early, before any work, when pyarrow is missing
        if args.dedup:
            datasketch()  # the same for the [dedup] extra
    except (
        StoreURIError,
        TimeBoundError,
        DestinationError,
        FormatUnavailable,
        DedupUnavailable,
    ) as exc:
        raise UsageError(str(exc)) from exc
    if isinstance(publisher, LocalPublisher):
        require_writable(publisher.root)
    if selection.since and selection.until and selection.since >= selection.until:
        raise UsageError("--since must be before --until")
    try:
        exists = catalog_exists(store)
    except CatalogError as exc:
        raise UsageError(str(exc)) from exc
    if not exists:
        raise UsageError(f"no catalog in {store.uri}: nothing has been archived there")
    return store, selection, publisher


def _publish(
    args: argparse.Namespace, settings, store, selection, publisher
) -> tuple[int, list[dict]]:
    """Export to --to and say what was published; (exit status, the exported rows)."""
    from boto3.exceptions import Boto3Error  # S3UploadFailedError from upload_file
    from botocore.exceptions import BotoCoreError, ClientError

    from crawler.export import ExportError, export
    from crawler.export.destination import DestinationError
    from crawler.store.s3 import UploadConflict, UploadVerifyError

    try:
        result = export(
            store,
            publisher,
            selection,
            fmt=args.format,
            incremental=args.incremental,
            part_records=settings.getint("EXPORT_PART_RECORDS"),
            wet=args.wet,
            dedup=_dedup(args, settings),
        )
    except DestinationError as exc:
        raise UsageError(str(exc)) from exc
    except ExportError as exc:
        print(f"crawler export: failed, nothing published: {exc}", file=sys.stderr)
        return EXIT_FAILED, []
    except (Boto3Error, BotoCoreError, ClientError, UploadConflict, UploadVerifyError) as exc:
        print(
            f"crawler export: cannot write to {args.to}: {exc} (an export folder "
            "without manifest.json is incomplete and is ignored)",
            file=sys.stderr,
        )
        return EXIT_FAILED, []
    waiting = (
        f"; {result.pending} record(s) wait in shards still being written" if result.pending else ""
    )
    if result.manifest is None:
        what = "nothing new since the last export" if args.incremental else "no records match"
        print(f"export: {what} (catalog seq {result.after_seq}..{result.through_seq}){waiting}")
    else:
        m = result.manifest
        parts = [f for f in m["files"] if f["kind"] == "records"]
        print(
            f"export {m['export_id']}: {m['record_count']} records in "
            f"{len(parts)} {args.format} file(s)"
            f"{' + WET text' if args.wet else ''} -> {result.location}"
            f" (catalog seq {result.after_seq}..{result.through_seq}){waiting}"
        )
    if result.skipped_shards:
        # Exported the rest rather than wait: say which records are missing, exit 1.
        print(
            f"crawler export: {sum(result.skipped_shards.values())} record(s) left out, in "
            "shard(s) an interrupted run left unfinished (the next crawl run on this store "
            "repairs them; then export again, without --incremental to get them): "
            + ", ".join(sorted(result.skipped_shards)),
            file=sys.stderr,
        )
        return EXIT_FAILED, result.rows
    return EXIT_OK, result.rows


def _dedup(args: argparse.Namespace, settings):
    """--dedup with the EXPORT_DEDUP_* settings, or None."""
    from crawler.export import Dedup
    from crawler.export.near_duplicates import DedupParams

    if not args.dedup:
        return None
    threshold = settings.getfloat("EXPORT_DEDUP_THRESHOLD")
    if not 0.0 < threshold <= 1.0:
        raise UsageError(f"EXPORT_DEDUP_THRESHOLD must be in (0, 1], not {threshold}")
    return Dedup(
        args.dedup,
        DedupParams(
            threshold,
            settings.getint("EXPORT_DEDUP_NUM_PERM"),
            settings.getint("EXPORT_DEDUP_SHINGLE_WORDS"),
        ),
    )


def _wacz_of_rows(store, rows: list[dict], out: str) -> int:
    """The WARC files holding these article records' responses, as a WACZ."""
    from crawler.export.wacz import rows_contents

    if not rows:
        print(f"no WACZ written: no article records selected ({out})", file=sys.stderr)
        return EXIT_OK
    keys, pages = rows_contents(store, rows)
    return write_wacz(store, keys, pages, out, "export")
