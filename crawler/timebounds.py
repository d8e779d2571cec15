"""Durations and time bounds: the one reading of `30m`, `12h`, `2d`, `2026-11-20`.

Every `--since` / `--until` flag, a site's `window` and `[recrawl] after` go through here,
so the same words mean the same thing everywhere:

- a duration is a number and a unit: `90s`, `30m`, `12h`, `2d`, `1w` (`1.5h` too);
- a time bound is an ISO date (`2026-11-20`: 00:00 UTC of that day), an ISO time
  (`2026-11-20T08:00:00+01:00`; without an offset it is UTC) or an age (a duration:
  that long before now). The result is always an aware datetime in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as dateparser

DURATION_FORMS = "a number and a unit s, m, h, d or w, such as 90s, 30m, 12h, 2d, 1w"
TIME_BOUND_FORMS = (
    "an ISO date (2026-11-20), an ISO time (2026-11-20T08:00:00+01:00) or "
    "an age such as 30m, 12h, 2d, 1w"
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_utc(value: datetime | str) -> str:
    """A time as every record, catalog row and manifest writes it: UTC, microseconds,
    '+00:00' (a WARC-Date's 'Z' and a naive time, taken as UTC, come out the same)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def utcnow_iso() -> str:
    """Now, in the one format of `iso_utc`."""
    return iso_utc(datetime.now(UTC))


class TimeBoundError(ValueError):
    """A duration or time bound that cannot be read; the message names the flag or key
    and the accepted forms."""


def parse_duration(text: str, *, flag: str = "duration") -> timedelta:
    """'90s', '30m', '12h', '2d', '1w' -> timedelta; TimeBoundError on anything else."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise TimeBoundError(f"{flag} {text!r} is not a duration: use {DURATION_FORMS}")
    return timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})


def parse_time_bound(text: str, *, now: datetime | None = None, flag: str = "--since") -> datetime:
    """An ISO date, an ISO time or an age (that long before `now`) -> aware UTC datetime."""
    if isinstance(text, str) and _DURATION.match(text):
        return (now or datetime.now(UTC)) - parse_duration(text, flag=flag)
    value = text.strip() if isinstance(text, str) else ""
    try:
        if _DATE.match(value):
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        raise TimeBoundError(
            f"{flag} {text!r} is not a date, a time or an age: use {TIME_BOUND_FORMS}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
