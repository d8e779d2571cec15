"""Typed columns in the export (issue 14): Parquet timestamps as timezone-aware timestamp
columns, lists as lists, derived from the JSON Schema; records stored under schema 1 and
2 exported in the current shape next to current ones."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone

import jsonschema

from crawler.record import SCHEMA_VERSION, as_current_schema, build_article_record, load_schema
from crawler.store.catalog import open_catalog
from tests.conftest import run_cli

OFFSET = timezone(timedelta(hours=2))


def _current(n: int, **extraction) -> dict:
    record = build_article_record(
        extraction={"text": f"Story {n} about the harbour.", "title": f"Story {n}", **extraction},
        url=f"http://127.0.0.1/{n}.html",
        final_url=f"http://127.0.0.1/{n}.html",
        fetched_at=datetime(2026, 3, n, 9, 30, tzinfo=OFFSET),
        http_status=200,
        content_type="text/html",
        crawl_id="c1",
        warc=None,
        extractor={"trafilatura": "2.0"},
    )
    return record


def _old(record: dict, version: int) -> dict:
    """`record` as a crawler writing schema `version` stored it."""
    added = ("rights", "access", "access_evidence", "license", "license_source")
    old = {k: v for k, v in record.items() if k not in added}
    if version == 1:
        old.pop("published_source"), old.pop("modified_source")
    old["schema_version"] = version
    return old


def _store_with(tmp_path, records: list[dict]):
    root = tmp_path / "store"
    shard = "articles/2026/03/01/c1-00000.jsonl.gz"
    (root / shard).parent.mkdir(parents=True)
    with gzip.open(root / shard, "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record) + "\n")
    catalog = open_catalog(root)
    for record in records:
        catalog.add_article(record, shard)
    catalog.add_file(
        key=shard, kind="articles", crawl_id="c1", size=1, sha256="0", records=3, closed_at="x"
    )
    catalog.close()
    return root


def test_old_and_new_records_export_typed(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    v1 = _old(_current(1, published="2026-02-27"), 1)
    v2 = _old(_current(2, published="2026-02-28T08:00:00-05:00", published_source="meta"), 2)
    v3 = _current(3, modified="2026-03-03T10:00:00Z", tags=["harbour", "port"])
    root = _store_with(tmp_path, [v1, v2, v3])
    for fmt in ("jsonl", "parquet"):
        result = run_cli("export", "--store", str(root), "--to", str(tmp_path / fmt),
                         "--format", fmt)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr

    (jpart,) = (tmp_path / "jsonl").glob("*/part-00000.jsonl.gz")
    exported = [json.loads(line) for line in gzip.open(jpart, "rt")]
    schema = load_schema()
    for record in exported:
        jsonschema.validate(record, schema)
        assert record["schema_version"] == SCHEMA_VERSION
    assert [r["rights"] for r in exported[:2]] == [None, None]  # not examined back then
    assert exported[0]["published_source"] is None
    assert exported[2] == v3  # a current record is exported as stored

    (ppart,) = (tmp_path / "parquet").glob("*/part-00000.parquet")
    table = pq.read_table(ppart)
    for name in ("fetched_at", "published", "modified"):
        assert table.schema.field(name).type == pa.timestamp("us", tz="UTC"), name
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.schema.field("rights").type.get_field_index("robots_ai_disallowed") >= 0
    rows = table.to_pylist()
    assert rows[0]["fetched_at"] == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert rows[0]["published"] == datetime(2026, 2, 27, tzinfo=UTC)  # a bare date: midnight
    assert rows[1]["published"] == datetime(2026, 2, 28, 13, 0, tzinfo=UTC)
    assert rows[2]["modified"] == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert rows[0]["modified"] is None
    assert rows[2]["tags"] == ["harbour", "port"]
    # pandas reads them as aware datetimes, not strings
    frame = pq.read_table(ppart).to_pandas()
    assert str(frame["fetched_at"].dt.tz) == "UTC"


def test_as_current_schema_fills_what_older_schemas_lack():
    v3 = _current(4)
    assert as_current_schema(v3) is v3
    upgraded = as_current_schema(_old(v3, 1))
    assert upgraded["schema_version"] == SCHEMA_VERSION
    assert upgraded["access_evidence"] == [] and upgraded["license"] is None
    jsonschema.validate(upgraded, load_schema())
