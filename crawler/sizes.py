"""Sizes: the one reading of `64MiB`, `1G`, `500kB`, `1048576` for every flag and setting
that takes a number of bytes, and the one way of writing them back (`--help`, messages).

Units as GNU coreutils reads them (`dd`, `sort -S`, `--block-size`): K, M, G, T alone or
with "iB" are powers of 1024 (`1G` = `1GiB` = 1073741824), KB, MB, GB, TB are powers of
1000 (`1MB` = 1000000); a bare number is bytes, `B` may follow it. Case does not matter;
a fraction is allowed where the result is whole bytes (`1.5G`)."""

from __future__ import annotations

import re

SIZE_FORMS = "a number of bytes with an optional unit, such as 500k, 64MiB, 1MB, 1G"

# Settings that hold a number of bytes (or bytes per second): given as text (`-s
# WARC_MAX_SIZE=1G`, a settings file) they are read here before anything reads them.
SIZE_SETTINGS = (
    "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE",
    "EXTRACT_MAX_BYTES",
    "STORE_S3_MAX_BANDWIDTH",
    "STORE_S3_PART_SIZE",
    "WARC_MAX_SIZE",
)

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(i?b)?)?\s*(b)?\s*$", re.IGNORECASE)
_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4}
_BINARY_NAMES = ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB"))


class SizeError(ValueError):
    """A size that cannot be read; the message names the flag or setting and the forms."""


def parse_size(text: str | int, *, name: str = "size") -> int:
    """'64MiB', '1G', '1MB', '500k', '1048576' (or an int) -> bytes; SizeError otherwise."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = _SIZE.match(text) if isinstance(text, str) else None
    if not match or (match.group(3) and match.group(4)):
        raise SizeError(f"{name} {text!r} is not a size: use {SIZE_FORMS}")
    number, unit, suffix = match.group(1), (match.group(2) or "").lower(), match.group(3)
    base = 1000 if suffix and suffix.lower() == "b" else 1024
    value = float(number) * base ** _POWERS.get(unit, 0)
    if value != int(value):
        raise SizeError(f"{name} {text!r} is not a whole number of bytes")
    return int(value)


def format_size(n: int) -> str:
    """Bytes as the shortest exact binary unit: 67108864 -> '64MiB', 1000 -> '1000'."""
    for power, unit in _BINARY_NAMES:
        if n and n % 1024**power == 0:
            return f"{n // 1024**power}{unit}"
    return str(n)


def read_size_settings(settings) -> None:
    """Every size setting given as text (`1G`) replaced by its bytes, at its priority;
    SizeError names the first that cannot be read."""
    for name in SIZE_SETTINGS:
        value = settings.get(name)
        if isinstance(value, str):
            settings.set(name, parse_size(value, name=name), priority=settings.getpriority(name))


def read_spider_size_settings(settings) -> None:
    """`read_size_settings` for a spider being created (`scrapy crawl urls -s
    WARC_MAX_SIZE=1G`: Scrapy's components read the settings right after), with a size
    that cannot be read as a usage error. Settings already frozen were read by the
    `crawler` command that froze them."""
    from crawler.usage_error import spider_usage_error

    if settings.frozen:
        return
    try:
        read_size_settings(settings)
    except SizeError as exc:
        raise spider_usage_error(str(exc)) from None
