"""Extraction: trafilatura main text + metadata, run in worker processes, off the reactor."""
