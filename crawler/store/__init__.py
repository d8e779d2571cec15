"""Storage: where files live (local dir), the SQLite catalog, article shards, run manifests.

Nothing in here imports `crawler.extract`: storage does not know how records were made.
"""
