"""Whether a fetched document holds an article: the one judgement behind `crawler archive`'s
"no article: ..." and `crawler extract`'s refusals, so both say the same of the same input."""

from __future__ import annotations

from crawler.capture.warc_reader import is_html_type

# What a browser takes for HTML when no Content-Type says so (WHATWG MIME sniffing, "the
# rules for identifying an unknown MIME type": tags followed by a space or '>').
_HTML_TAGS = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div",
    b"<font", b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p",
    b"<!--",
)  # fmt: skip
_TAG_ENDS = (b" ", b">", b"\t", b"\n", b"\r", b"\x0c")


def is_html(content_type: str | None, body: bytes) -> bool:
    """A declared HTML type, or, with none declared, a body that starts like HTML."""
    if content_type:
        return is_html_type(content_type)
    head = body[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    for tag in _HTML_TAGS:
        if head.startswith(tag) and (tag == b"<!--" or head[len(tag) : len(tag) + 1] in _TAG_ENDS):
            return True
    return False


def no_article_reason(
    status: int | None, content_type: str | None, body: bytes, extraction: dict | None = None
) -> str | None:
    """Why this response holds no article ("no article: ..."), or None when it may hold one.

    Called before extraction (`extraction` None: the status and the body decide) and after
    it (the extracted text decides). `status` None: a file, not a response."""
    if extraction is not None:
        if extraction.get("text"):
            return None
        return f"no article: {extraction.get('note') or 'no main text found'}"
    if status is not None and not 200 <= status < 300:
        kind = "a redirect" if 300 <= status < 400 else "an error"
        return f"no article: HTTP {status} is {kind}, not a page"
    if not body.strip():
        return "no article: empty document"
    if not is_html(content_type, body):
        return f"no article: not HTML ({content_type or 'no content type'})"
    return None
