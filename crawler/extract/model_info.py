"""The shipped block model's version (crawler/extract/model/blocks.json), without numpy
or the weights: the crawler process names the model in every record it stores but never
classifies a block itself (the extraction workers do, crawler.extract.classifier)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def model_version() -> str:
    meta = (resources.files("crawler.extract") / "model" / "blocks.json").read_text(
        encoding="utf-8"
    )
    return json.loads(meta)["version"]
