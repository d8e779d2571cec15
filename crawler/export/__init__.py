"""The dataset feed: `crawler export` writes article records as shards plus a manifest.

    export(store, publisher, selection, fmt="jsonl"|"parquet", incremental=...)

reads the catalog (which records exist, in which store shard), reads those records from
the store's `articles/...jsonl.gz` shards unchanged, writes them as export parts in a
staging folder and hands them to the destination's publisher, manifest last.
See `selection` for what is selected and `destination` for the layout and watermark.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import secrets
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from crawler.export.dataset_card import write_dataset_card
from crawler.export.destination import MANIFEST, DestinationError, LocalPublisher
from crawler.export.exclusions import Exclusions
from crawler.export.formats import PartWriter
from crawler.export.near_duplicates import (
    CLUSTERS_FILE,
    ClusterFold,
    DedupParams,
    NearDuplicateIndex,
    version_key,
)
from crawler.export.selection import Selection, select
from crawler.export.wet import WetWriter
from crawler.record import SCHEMA_NAME, SCHEMA_VERSION, as_current_schema, load_schema
from crawler.store.catalog import open_catalog
from crawler.store.local import OPEN_SUFFIX, LocalStore
from crawler.store.recovery import held_by_live_writer
from settings import EXPORT_PART_RECORDS

MANIFEST_FORMAT = "news-archive-crawler/export-manifest/1"


class ExportError(RuntimeError):
    """The store cannot give what its catalog promises (missing or damaged shard)."""


@dataclass
class ExportResult:
    export_id: str
    location: str | None  # where the batch was published; None when nothing was written
    manifest: dict | None
    rows: list[dict] = field(default_factory=list)  # catalog rows of the exported records
    after_seq: int = 0
    through_seq: int = 0
    pending: int = 0
    # shard -> records: damaged shards no writer will close, left out (and reported)
    skipped_shards: dict[str, int] = field(default_factory=dict)


def new_export_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class Dedup:
    """`--dedup mark|cluster` with its parameters (crawler.export.near_duplicates)."""

    mode: str
    params: DedupParams


def watermark(
    manifests: list[dict], store_uri: str, selection: Selection, dedup: Dedup | None = None
) -> int:
    """Highest seq already exported incrementally to this destination with this selection."""
    prior = [m for m in manifests if m.get("incremental")]
    for m in prior:
        if m.get("store") != store_uri:
            raise DestinationError(
                f"the destination holds incremental exports of another store "
                f"({m.get('store')}); use a separate destination per store"
            )
        sel = m.get("selection", {})
        theirs = Selection(
            site=sel.get("site"),
            all_versions=bool(sel.get("all_versions")),
            exclude_reserved=bool(sel.get("exclude_reserved")),
            exclude_paywalled=bool(sel.get("exclude_paywalled")),
        )
        prior_dedup = (m.get("dedup") or {}).get("mode")
        if (theirs.incremental_key(), prior_dedup) != (
            selection.incremental_key(),
            dedup.mode if dedup else None,
        ):
            raise DestinationError(
                f"the destination holds incremental exports with --site "
                f"{theirs.site!r}, all versions={theirs.all_versions}, exclude reserved="
                f"{theirs.exclude_reserved}, exclude paywalled={theirs.exclude_paywalled}, "
                f"dedup={prior_dedup}; use the same selection or another destination"
            )
    return max((m["watermark"]["through_seq"] for m in prior), default=0)


def iter_records(store: LocalStore, rows: list[dict]) -> Iterator[dict]:
    """The stored records of `rows`, read once per shard, in shard order."""
    by_shard: dict[str, list[dict]] = {}
    for row in rows:
        by_shard.setdefault(row["shard"], []).append(row)
    for shard, shard_rows in by_shard.items():
        wanted = {(r["id"], r["version"], r["fetched_at"], r["crawl_id"]) for r in shard_rows}
        try:
            raw = store.open_read(shard)  # the file, or (S3 store) a streamed GET
        except FileNotFoundError:
            raise ExportError(
                f"the catalog places {len(wanted)} record(s) in {shard}, which is not in the store"
            ) from None
        except (OSError, BotoCoreError, ClientError) as exc:
            raise ExportError(f"cannot read shard {shard}: {exc}") from exc
        try:
            with contextlib.closing(raw), gzip.open(raw, "rt", encoding="utf-8") as fh:
                for line in fh:
                    record = json.loads(line)
                    key = (
                        record.get("id"),
                        record.get("version"),
                        record.get("fetched_at"),
                        record.get("crawl_id"),
                    )
                    if key in wanted:
                        wanted.discard(key)
                        yield record
        except (OSError, EOFError, zlib.error, ValueError, BotoCoreError, ClientError) as exc:
            raise ExportError(f"cannot read shard {shard}: {exc}") from exc
        if wanted:
            raise ExportError(
                f"{len(wanted)} record(s) the catalog places in {shard} are not in it"
            )


def export(
    store: LocalStore,
    publisher: LocalPublisher,
    selection: Selection,
    *,
    fmt: str = "jsonl",
    incremental: bool = False,
    part_records: int = EXPORT_PART_RECORDS,
    wet: bool = False,
    export_id: str | None = None,
    dedup: Dedup | None = None,
) -> ExportResult:
    export_id = export_id or new_export_id()
    catalog = open_catalog(store)
    try:
        after = watermark(publisher.manifests(), store.uri, selection, dedup) if incremental else 0
        skipped = stalled_shards(store, catalog)
        selected = select(catalog, selection, after, skipped)
        captured = _capture_times(catalog, selected.rows) if wet else {}
        marking = _dedup_plan(catalog, store, dedup, selected) if dedup and selected.rows else None
    finally:
        catalog.close()
    result = ExportResult(
        export_id,
        None,
        None,
        selected.rows,
        selected.after_seq,
        selected.through_seq,
        selected.pending,
        skipped,
    )
    if not selected.rows:
        return result
    staging = publisher.staging_dir(export_id)
    try:
        parts = PartWriter(staging, fmt, part_records)
        text = WetWriter(staging) if wet else None
        exclusions = Exclusions(selection.exclude_reserved, selection.exclude_paywalled)
        fetched, written = [], set()
        for record in _records_out(store, selected.rows, exclusions, marking):
            written.add(_row_key(record))
            parts.add(record)
            if text is not None:
                text.add(record, captured.get((record.get("warc") or {}).get("record_id")))
            fetched.append(record["fetched_at"])
        files = parts.close()
        record_count = sum(f["records"] for f in files)
        if text is not None:
            files.append(text.close())
        if marking is not None:
            marking.index.through_seq = max(marking.index.through_seq, selected.through_seq)
            marking.index.save(store)  # the catalog is indexed further, whatever is published
            if dedup.mode == "cluster":
                files.append(marking.fold.write(staging))
        files += write_dataset_card(
            staging, fmt, [f["name"] for f in files if f["kind"] == "records"]
        )
        manifest = _manifest(
            export_id, store, fmt, incremental, selection, selected, files, record_count, fetched
        )
        manifest["excluded"] = exclusions.describe()
        if marking is not None:
            manifest["dedup"] = marking.describe(dedup.mode)
        manifest["skipped_damaged_shards"] = [
            {"shard": shard, "records": n} for shard, n in sorted(skipped.items())
        ]
        with open(staging / MANIFEST, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest, indent=2, ensure_ascii=False))
            fh.flush()
            os.fsync(fh.fileno())
        result.location = publisher.publish(export_id, staging, [f["name"] for f in files])
        result.manifest = manifest
        # what was left out (--exclude-*, --dedup cluster) is in no --wacz either
        result.rows = [row for row in selected.rows if _row_key(row) in written]
    except BaseException:
        publisher.discard(staging)
        raise
    return result


@dataclass
class _Marking:
    """A --dedup export's index, the catalog rows it reads, and the export's clusters."""

    index: NearDuplicateIndex
    rows: list[dict]  # the selected rows plus those the index has not seen, seq order
    fold: ClusterFold

    def describe(self, mode: str) -> dict:
        clusters = self.fold.members
        return {
            "mode": mode,
            **self.index.params.describe(),
            "clusters": len(clusters),
            "clusters_with_several_records": sum(len(m) > 1 for m in clusters.values()),
            "records_folded": self.fold.folded() if mode == "cluster" else 0,
            "members_file": CLUSTERS_FILE if mode == "cluster" else None,
            "index": {"key": self.index.params.state_key, "versions": len(self.index)},
        }


def _dedup_plan(catalog, store: LocalStore, dedup: Dedup, selected) -> _Marking:
    index = NearDuplicateIndex.load(store, dedup.params)
    unseen = catalog.first_record_of_each_version(index.through_seq, selected.through_seq)
    by_seq = {row["seq"]: row for row in unseen}
    by_seq.update((row["seq"], row) for row in selected.rows)
    return _Marking(index, [by_seq[seq] for seq in sorted(by_seq)], ClusterFold(dedup.mode))


def _row_key(row: dict) -> tuple:
    return (row.get("id"), row.get("version"), row.get("fetched_at"), row.get("crawl_id"))


def _records_out(
    store: LocalStore, rows: list[dict], exclusions: Exclusions, marking: _Marking | None
) -> Iterator[dict]:
    """The selected records as exported: current schema shape, exclusions applied, with
    their cluster_id under --dedup (every record read is indexed, exported or not)."""
    wanted = {_row_key(row) for row in rows} if marking is not None else None
    for record in iter_records(store, marking.rows if marking is not None else rows):
        cluster = None
        if marking is not None:
            key = version_key(record)
            cluster = marking.index.mark(key, record.get("text") or "", record["id"])
            if _row_key(record) not in wanted:
                continue
        if exclusions and exclusions.reasons(record):
            continue
        record = as_current_schema(record)
        if marking is not None:
            record = {**record, "cluster_id": cluster}
            if not marking.fold.add(record):
                continue
        yield record


def _capture_times(catalog, rows: list[dict]) -> dict[str, str]:
    """WARC record id -> capture time of the responses `rows` refer to (WET records carry
    the capture time of the response they refer to)."""
    ids = [r["warc_record_id"] for r in rows if r["warc_record_id"]]
    return {c["record_id"]: c["fetched_at"] for c in catalog.captures(record_ids=ids)}


def _manifest(
    export_id: str,
    store: LocalStore,
    fmt: str,
    incremental: bool,
    selection: Selection,
    selected,
    files: list[dict],
    record_count: int,
    fetched: list[str],
) -> dict:
    """manifest.json of one export: what it holds, from where, up to which watermark."""
    return {
        "format": MANIFEST_FORMAT,
        "export_id": export_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "store": store.uri,
        "schema": {
            "version": SCHEMA_VERSION,
            "name": SCHEMA_NAME,
            "id": load_schema().get("$id"),
            "package_resource": f"crawler/schema/{SCHEMA_NAME}",
        },
        "record_format": fmt,
        "record_count": record_count,
        "incremental": incremental,
        "selection": selection.describe(),
        "watermark": {
            "field": "catalog articles.seq",
            "after_seq": selected.after_seq,
            "through_seq": selected.through_seq,
        },
        # None when every selected record was left out (--exclude-*, --dedup cluster)
        "time_range": {"field": "fetched_at", "min": min(fetched), "max": max(fetched)}
        if fetched
        else None,
        "records_waiting_in_open_shards": selected.pending,
        "files": files,
    }


def selected_rows(store: LocalStore, selection: Selection) -> list[dict]:
    """The catalog rows of the article records `selection` picks, without exporting them."""
    catalog = open_catalog(store)
    try:
        return select(catalog, selection, skip_shards=stalled_shards(store, catalog)).rows
    finally:
        catalog.close()


def stalled_shards(store: LocalStore, catalog) -> dict[str, int]:
    """Unregistered shards (`Catalog.unregistered_shards`) that no live process is writing:
    left torn by a full disk or a killed run (the next crawl run repairs and registers
    them), or lost. An export leaves them out and says so instead of waiting for them,
    which might be forever."""
    return {
        shard: n
        for shard, n in catalog.unregistered_shards().items()
        if not held_by_live_writer(store.path(shard + OPEN_SUFFIX))
    }
