"""Package WARC files as a WACZ (Web Archive Collection Zipped, spec 1.1.1) with
webrecorder's `wacz` package (py-wacz): `archive/` holds the WARCs, `indexes/` the
compressed CDXJ index it builds, `pages/pages.jsonl` the pages we name (URL, capture
time, title), and `datapackage.json` / `datapackage-digest.json` the SHA-256 of every
resource. ReplayWeb.page and pywb open the result; `wacz validate -f` checks it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dateutil import parser as dateparser

from crawler.store.catalog import open_catalog


class WaczError(RuntimeError):
    pass


def require_wacz() -> None:
    """Fail before any work when py-wacz is not installed."""
    try:
        import wacz.main  # noqa: F401
    except ImportError:
        raise WaczError(
            "--wacz needs the wacz package: pip install 'news-archive-crawler[wacz]'"
        ) from None


@dataclass(frozen=True)
class Page:
    url: str
    fetched_at: str | None  # ISO 8601; None: the first capture of the URL
    title: str | None = None


def _warc_date(value: str) -> str:
    # py-wacz matches a page to a capture by its 14-digit timestamp, parsed from a
    # WARC-style date (no UTC offset).
    parsed = dateparser.isoparse(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_wacz(
    out: str | os.PathLike[str], warcs: list[Path], pages: list[Page], title: str
) -> dict:
    """Write `out` (temp name, then rename). Returns {"pages": n, "warcs": n, "size": n}."""
    from wacz.main import main as wacz_main

    out = Path(out)
    if not warcs:
        raise WaczError("no WARC files to package")
    names = [w.name for w in warcs]
    if len(set(names)) != len(names):
        raise WaczError("two WARC files share a name; a WACZ keeps them in one folder")
    if out.exists() and out.is_dir():
        raise WaczError(f"{out} is a folder; give a file name such as archive.wacz")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(out.name + ".tmp")
    wanted = {}
    for page in pages:
        entry = {"url": page.url, "title": page.title or page.url}
        if page.fetched_at:
            entry["ts"] = _warc_date(page.fetched_at)
        wanted[(entry.get("ts"), page.url)] = entry
    with tempfile.TemporaryDirectory(prefix="wacz-") as tmp:
        pages_file = Path(tmp) / "pages.jsonl"
        header = {"format": "json-pages-1.0", "id": "pages", "title": title}
        pages_file.write_text(
            "\n".join(json.dumps(p) for p in [header, *wanted.values()]) + "\n", encoding="utf-8"
        )
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log):  # py-wacz reports progress with print()
                code = wacz_main(
                    [
                        "create",
                        "-o",
                        str(tmp_out),
                        "-p",
                        str(pages_file),
                        "--title",
                        title,
                        "--hash-type",
                        "sha256",
                        *map(str, warcs),
                    ]
                )
        except Exception as exc:
            tmp_out.unlink(missing_ok=True)
            raise WaczError(f"py-wacz failed: {exc}\n{log.getvalue()}") from exc
        if code != 0:
            tmp_out.unlink(missing_ok=True)
            raise WaczError(f"py-wacz failed (exit {code}):\n{log.getvalue()}")
    with zipfile.ZipFile(tmp_out) as zf:
        listed = [
            json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines() if line.strip()
        ]
    listed = [p for p in listed if "format" not in p]
    if len(listed) != len(wanted):
        missing = sorted({p["url"] for p in wanted.values()} - {p["url"] for p in listed})
        tmp_out.unlink(missing_ok=True)
        raise WaczError(f"pages without a capture in the WARCs: {missing}")
    os.replace(tmp_out, out)
    return {"pages": len(listed), "warcs": len(warcs), "size": out.stat().st_size}


def local_warcs(store, keys: list[str], folder: Path) -> list[Path]:
    """Paths of the WARC files `keys`: in the store folder, or (S3 store, spool copy
    already uploaded and dropped) downloaded into `folder`."""
    paths = []
    for key in keys:
        path = store.path(key)
        if not path.is_file():
            path = folder / Path(key).name
            with contextlib.closing(store.open_read(key)) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        paths.append(path)
    return paths


def utc_title(prefix: str) -> str:
    return f"{prefix} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


def package_from_store(store, keys: list[str], pages: list[Page], out: str, title: str) -> dict:
    """`write_wacz` of the store's WARC files `keys` (an S3 store's files no longer in
    the spool are downloaded into a temporary folder first). Raises WaczError, OSError
    and botocore's errors."""
    with tempfile.TemporaryDirectory(prefix="wacz-warcs-") as tmp:
        warcs = local_warcs(store, keys, Path(tmp))
        return write_wacz(out, warcs, pages, utc_title(title))


def run_contents(run) -> tuple[list[str], list[Page]]:
    """The WARC files of a finished ArchiveRun, and the pages it archived (each at its
    last capture in the run)."""
    keys = [f["key"] for f in run.files if f["kind"] == "warc"]
    catalog = open_catalog(run.store)
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
    return keys, pages


def rows_contents(store, rows: list[dict]) -> tuple[list[str], list[Page]]:
    """The WARC files holding these article records' responses, and their pages."""
    catalog = open_catalog(store)
    try:
        captures = {
            c["record_id"]: c
            for c in catalog.captures(
                record_ids=[r["warc_record_id"] for r in rows if r["warc_record_id"]]
            )
        }
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
    return keys, pages
