"""Export shard files: gzip JSON Lines (the stored record shape) or Parquet.

Parquet gets one explicit Arrow schema derived from the record's JSON Schema, so every
shard of every export has the same column types whatever values happen to be null or
empty in it (`authors` list<string>, `warc` struct, `boilerplate_removed`
list<struct<kind, layer, text, length>>); pandas, DuckDB and `datasets` then read the
shards together with no extra code. pyarrow is an optional extra (`[parquet]`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
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


def arrow_schema(json_schema: dict | None = None):
    """The Arrow schema of an article record, derived from its JSON Schema."""
    pa = _require_pyarrow()
    json_schema = json_schema or load_schema()
    defs = json_schema.get("$defs", {})

    def resolve(prop: dict) -> dict:
        while "$ref" in prop:
            prop = defs[prop["$ref"].rsplit("/", 1)[-1]]
        return prop

    def to_arrow(prop: dict, where: str):
        prop = resolve(prop)
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

            table = pa.Table.from_pylist(self._batch, schema=self.schema)
            pq.write_table(table, path, compression="zstd")
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        self.files.append(
            {
                "name": name,
                "kind": "records",
                "records": len(self._batch),
                "size": path.stat().st_size,
                "sha256": digest,
            }
        )
        self._batch = []
