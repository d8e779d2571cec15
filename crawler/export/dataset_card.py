"""README.md of an export folder: a Hugging Face dataset card whose YAML header names the
part files and the features (column types), derived from the record's Arrow schema.

`datasets.load_dataset(folder)` then never guesses types from the data: guessing from
JSON Lines fails when a column is null in every record of the first part and a string in
a later one ("couldn't cast null to string"). JSON Lines keeps timestamps as ISO strings,
so its features say string where Parquet's say timestamp.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawler.export.formats import SUFFIX, arrow_schema, file_entry

CARD = "README.md"


def _feature(arrow_type) -> dict:
    """One feature in the card's YAML form (datasets' `Features._to_yaml_list`)."""
    import pyarrow as pa

    if pa.types.is_struct(arrow_type):
        return {"struct": [{"name": f.name, **_feature(f.type)} for f in arrow_type]}
    if pa.types.is_list(arrow_type):
        inner = _feature(arrow_type.value_type)
        return {"list": inner.get("dtype") or inner.get("struct") or inner}
    if pa.types.is_timestamp(arrow_type):
        return {"dtype": f"timestamp[{arrow_type.unit}, tz={arrow_type.tz}]"}
    names = {pa.string(): "string", pa.int64(): "int64", pa.float64(): "float64"}
    names[pa.bool_()] = "bool"
    return {"dtype": names[arrow_type]}


def features(fmt: str) -> list[dict]:
    schema = arrow_schema(typed_timestamps=fmt == "parquet")
    return [{"name": field.name, **_feature(field.type)} for field in schema]


def write_dataset_card(folder: Path, fmt: str, part_names: list[str]) -> list[dict]:
    """Write README.md into `folder` (JSON is YAML: the header is written as JSON);
    returns its manifest file entry (none when there are no parts)."""
    if not part_names:
        return []
    header = {
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "train", "path": f"part-*{SUFFIX[fmt]}"}],
            }
        ],
        "dataset_info": {"features": features(fmt)},
    }
    text = (
        "---\n"
        + json.dumps(header, indent=1)
        + "\n---\n\n# Article records\n\nExported by `crawler export`; one record per "
        "line (JSON Lines) or row (Parquet), fields as in the JSON Schema the manifest "
        "names (manifest.json). The features above are that schema's types.\n"
    )
    path = folder / CARD
    path.write_text(text, encoding="utf-8")
    return [file_entry(path, "dataset-card", 0)]
