"""`--wacz OUT.wacz` (archive, export): the flag's check and the report of the file
written. The packaging itself is `crawler.export.wacz`."""

from __future__ import annotations

import os
import sys

from crawler.usage_error import EXIT_FAILED, EXIT_OK, UsageError


def wacz_output(value: str | None) -> str | None:
    """The --wacz file name, checked before any work (usage errors), or None."""
    if value is None:
        return None
    if not value.endswith(".wacz"):
        raise UsageError(f"--wacz {value!r}: the file name must end in .wacz")
    if os.path.isdir(value):
        raise UsageError(f"--wacz {value!r} is a folder; give a file name such as out.wacz")
    from crawler.export.wacz import WaczError, require_wacz

    try:
        require_wacz()
    except WaczError as exc:
        raise UsageError(str(exc)) from exc
    return value


def write_wacz(store, keys: list[str], pages: list, out: str, title: str) -> int:
    """Package the store's WARC files `keys` with `pages` as `out`; say what was written
    (or why not) and return the exit status."""
    from botocore.exceptions import BotoCoreError, ClientError

    from crawler.export.wacz import WaczError, package_from_store

    try:
        info = package_from_store(store, keys, pages, out, title)
    except (WaczError, OSError, BotoCoreError, ClientError) as exc:
        print(f"WACZ {out} not written: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"WACZ {out}: {info['pages']} pages, {info['warcs']} WARC file(s), {info['size']} bytes")
    return EXIT_OK
