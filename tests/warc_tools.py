"""Read WARC files back with warcio (an independent reader) for assertions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


def warcio_check(
    paths, *, verbose: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`warcio check [-v] PATH...`: digests and framing of every record. Run as a module
    of this interpreter (warcio has no __main__; its cli module runs main()), so a test
    does not depend on which `warcio`, if any, is first on PATH."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "warcio.cli",
            "check",
            *(["-v"] if verbose else []),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def warc_files(store: Path) -> list[Path]:
    return sorted((store / "warc").rglob("*.warc.gz"))


def records(store: Path) -> list[dict]:
    """Every record of every WARC file in the store, in order, with raw payload bytes."""
    out = []
    for path in warc_files(store):
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                entry = {
                    "file": path,
                    "type": rec.rec_type,
                    "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                    "warc_headers": dict(rec.rec_headers.headers),
                    "rec_headers": rec.rec_headers,
                    "http": rec.http_headers,
                    # raw_stream: the payload as stored (no content-decoding)
                    "payload": rec.raw_stream.read(),
                }
                entry["offset"] = it.get_record_offset()
                entry["length"] = it.get_record_length()
                out.append(entry)
    return out


def responses_for(store: Path, url: str) -> list[dict]:
    return [r for r in records(store) if r["type"] == "response" and r["uri"] == url]


def capture_pointers(store: Path) -> set[tuple[str, str, int, int]]:
    """(record id, store key, offset, length) of every response and revisit record: what
    the catalog's `captures` table must list."""
    return {
        (
            r["warc_headers"]["WARC-Record-ID"],
            r["file"].relative_to(store).as_posix(),
            r["offset"],
            r["length"],
        )
        for r in records(store)
        if r["type"] in ("response", "revisit")
    }
