"""The node id (crawler/node.py): the setting, else host name plus a random part made once
per process; always safe in a file name."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

from scrapy.settings import Settings

from crawler.node import node_id
from tests.conftest import ROOT


def test_default_is_host_and_random_part_once_per_process():
    first = node_id(Settings())
    assert first == node_id(None) == node_id(Settings({"NODE_ID": ""}))
    host, random_part = first.rsplit("-", 1)
    assert re.fullmatch(r"[0-9a-f]{6}", random_part)
    assert host == re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname()).strip("-.")
    other = subprocess.run(
        [sys.executable, "-c", "from crawler.node import node_id; print(node_id())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert other != first and other.rsplit("-", 1)[0] == host  # another process, another node


def test_setting_wins_and_is_made_safe_for_file_names():
    assert node_id(Settings({"NODE_ID": "eu-1"})) == "eu-1"
    assert node_id(Settings({"NODE_ID": " ../a b/c "})) == "a-b-c"
