"""`crawler upload --store s3://bucket/prefix`: upload the files an s3:// store's spool
holds as pending (what earlier runs could not upload). The work is `crawler.store.s3`."""

from __future__ import annotations

import argparse
import sys

from crawler.commands.options import add_set_option, add_store_options, plain_settings
from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("upload", help="upload files an s3:// store's spool holds as pending")
    add_store_options(p)
    add_set_option(p, "any other setting, e.g. -s STORE_S3_PART_SIZE=16777216")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.store.s3 import S3Store
    from crawler.store.s3_uploads import S3Uploader
    from crawler.store.upload_ledger import ledger_exists
    from crawler.store.uri import open_store

    settings = plain_settings(args)
    store = open_store(settings.get("STORE_URI"), settings)
    if not isinstance(store, S3Store):
        raise UsageError(
            f"{store.uri} is a local store: nothing to upload; give --store s3://bucket/prefix"
        )
    if not ledger_exists(store):
        # no run ever queued a file here: most likely not the spool the runs used
        raise UsageError(
            f"no upload ledger (and no catalog) in spool {store.root}: no run of "
            f"{store.uri} left files there; give the spool the runs used with --spool-dir"
        )
    uploader = S3Uploader(store)
    try:
        uploader.adopt_unledgered()
        results = uploader.upload_pending()
    finally:
        uploader.close_thread_ledger()
    failed = [r for r in results if not r.ok]
    for r in results:
        if r.ok:
            print(
                f"uploaded  {store.uri}/{r.key}"
                + ("  (already there, same sha256)" if r.already_there else "")
            )
        else:
            print(f"FAILED    {store.uri}/{r.key}  {r.error}", file=sys.stderr)
    print(
        f"upload: {len(results) - len(failed)} uploaded and verified, {len(failed)} "
        f"still pending in {store.root}"
    )
    if failed:
        reason = next(
            (r.error for r in failed if r.s3_unavailable and not r.error.startswith("not tried")),
            failed[0].error,
        )
        print(
            f"{len(failed)} files not uploaded to {store.uri}: {reason}; run "
            f"`{store.retry_hint()}` to retry",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK
