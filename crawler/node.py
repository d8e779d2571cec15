"""This crawler node's name: in article shard names and run manifests, so that files
written by several nodes into one archive never collide (WARC names carry the host).

`NODE_ID` names the node; left empty, the name is the host name plus six random hex
digits, made once per process (two processes on one host are two nodes).
"""

from __future__ import annotations

import os
import re
import socket

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_generated: str | None = None


def node_id(settings=None) -> str:
    """NODE_ID of `settings` (Scrapy settings, or None), else this process's own name;
    either way made safe for a file name (letters, digits, `.`, `_`, `-`)."""
    given = (settings.get("NODE_ID") if settings is not None else "") or ""
    if given.strip():
        return _safe(given.strip())
    global _generated
    if _generated is None:
        _generated = f"{_safe(socket.gethostname()) or 'node'}-{os.urandom(3).hex()}"
    return _generated


def _safe(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.")
