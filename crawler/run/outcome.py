"""What happened to one URL of a run: archived or not, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)  # one per URL for the manifest: no per-instance __dict__
class Outcome:
    url: str
    archived: bool
    reason: str | None = None  # failure reason, or why an archived page has no article
    http_status: int | None = None
    final_url: str | None = None
    title: str | None = None
    word_count: int | None = None
    article_id: str | None = None
    context_for: str | None = None  # a sibling-probe page, archived as context for this URL
