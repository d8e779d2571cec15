"""Export shard files: gzip JSON Lines (the stored record shape) or Parquet.

Parquet gets one explicit Arrow schema derived from the record's JSON Schema, so every
shard of every export has the same column types whatever values happen to be null or
empty in it (`authors` list<string>, `warc` struct, `boilerplate_removed`
list<struct<kind, layer, text, length>>); pandas, DuckDB and `datasets` then read the
shards together with no extra code. pyarrow is an optional extra (`[parquet]`).
Fields the JSON Schema marks `"x-arrow": "timestamp"` (fetched_at, published, modified)
are timezone-aware timestamp columns in UTC in Parquet; JSON Lines keeps the ISO strings
with their offsets, as stored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from crawler.record import load_schema
from settings import EXPORT_PART_RECORDS

FORMATS = ("jsonl", "parquet")
SUFFIX = {"jsonl": ".jsonl.gz", "parquet": ".parquet"}


class FormatUnavailable(RuntimeError):
    pass


def _require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise FormatUnavailable(
            "--format parquet needs pyarrow: pip install 'news-archive-crawler[parquet]'"
        ) from None
    return pyarrow


TIMESTAMP_UNIT = "us"


def _resolver(json_schema: dict):
    defs = json_schema.get("$defs", {})

    def resolve(prop: dict) -> dict:
        while "$ref" in prop:
            prop = defs[prop["$ref"].rsplit("/", 1)[-1]]
        return prop

    return resolve


def timestamp_fields(json_schema: dict | None = None) -> list[str]:
    """Top-level fields the JSON Schema marks as timestamps (`"x-arrow": "timestamp"`)."""
    json_schema = json_schema or load_schema()
    resolve = _resolver(json_schema)
    return [
        name
        for name, prop in json_schema["properties"].items()
        if resolve(prop).get("x-arrow") == "timestamp"
    ]


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 record value as an aware datetime: a bare date is its midnight UTC, a
    time without offset is UTC (as crawler.extract.metadata reads pages)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if not isinstance(parsed, datetime):  # pragma: no cover - fromisoformat gives datetimes
        parsed = datetime.combine(parsed, datetime.min.time())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def arrow_schema(json_schema: dict | None = None, typed_timestamps: bool = True):
    """The Arrow schema of an article record, derived from its JSON Schema.
    `typed_timestamps=False`: timestamp fields as strings (the JSON Lines shape)."""
    pa = _require_pyarrow()
    json_schema = json_schema or load_schema()
    resolve = _resolver(json_schema)

    def to_arrow(prop: dict, where: str):
        prop = resolve(prop)
        if typed_timestamps and prop.get("x-arrow") == "timestamp":
            return pa.timestamp(TIMESTAMP_UNIT, tz="UTC")
        if "const" in prop:  # schema_version
            return {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}[
                type(prop["const"])
            ]
        types = prop.get("type")
        types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
        if len(types) != 1:
            raise TypeError(f"{where}: cannot map JSON type {prop.get('type')!r} to Arrow")
        kind = types[0]
        if kind == "string":
            return pa.string()
        if kind == "integer":
            return pa.int64()
        if kind == "number":
            return pa.float64()
        if kind == "boolean":
            return pa.bool_()
        if kind == "array":
            return pa.list_(to_arrow(prop["items"], where + "[]"))
        if kind == "object":
            names = list(prop.get("properties", {}))
            # an open object (string -> string, like `extractor`): its required keys
            names += [n for n in prop.get("required", []) if n not in names]
            return pa.struct(
                [
                    pa.field(
                        n,
                        to_arrow(
                            prop.get("properties", {}).get(
                                n, prop.get("additionalProperties") or {"type": "string"}
                            ),
                            f"{where}.{n}",
                        ),
                    )
                    for n in names
                ]
            )
        raise TypeError(f"{where}: cannot map JSON type {kind!r} to Arrow")

    return pa.schema(
        [pa.field(name, to_arrow(prop, name)) for name, prop in json_schema["properties"].items()],
        metadata={"schema": json_schema.get("$id", "")},
    )


def _check_closed_objects(record: dict, schema) -> None:
    # Parquet structs have fixed fields: a key the Arrow schema lacks would be dropped
    # silently, so refuse instead (the JSON Schema needs the key first).
    extractor_fields = {f.name for f in schema.field("extractor").type}
    extra = set(record.get("extractor") or {}) - extractor_fields
    if extra:
        raise ValueError(
            f"record {record.get('id')}: extractor keys {sorted(extra)} are "
            "not in the JSON Schema; add them there before exporting Parquet"
        )


class PartWriter:
    """Writes `part-NNNNN<suffix>` files into `folder`, `max_records` records each."""

    def __init__(self, folder: Path, fmt: str, max_records: int = EXPORT_PART_RECORDS) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        self.folder, self.fmt, self.max_records = folder, fmt, max_records
        self.schema = arrow_schema() if fmt == "parquet" else None
        self.timestamps = timestamp_fields() if fmt == "parquet" else []
        self.files: list[dict] = []
        self._batch: list[dict] = []

    def add(self, record: dict) -> None:
        if self.schema is not None:
            _check_closed_objects(record, self.schema)
        self._batch.append(record)
        if len(self._batch) >= self.max_records:
            self._flush()

    def close(self) -> list[dict]:
        if self._batch:
            self._flush()
        return self.files

    def _flush(self) -> None:
        name = f"part-{len(self.files):05d}{SUFFIX[self.fmt]}"
        path = self.folder / name
        if self.fmt == "jsonl":
            # mtime=0: the same records give the same bytes (and the same SHA-256)
            with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
                for record in self._batch:
                    fh.write(
                        json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode(
                            "utf-8"
                        )
                        + b"\n"
                    )
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            rows = [
                {**r, **{f: parse_timestamp(r.get(f)) for f in self.timestamps}}
                for r in self._batch
            ]
            table = pa.Table.from_pylist(rows, schema=self.schema)
            pq.write_table(table, path, compression="zstd")
        self.files.append(file_entry(path, "records", len(self._batch)))
        self._batch = []


def file_entry(path: Path, kind: str, records: int) -> dict:
    """The manifest's entry of a written export file (fsynced here)."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return {
        "name": path.name,
        "kind": kind,
        "records": records,
        "size": path.stat().st_size,
        "sha256": digest,
    }
