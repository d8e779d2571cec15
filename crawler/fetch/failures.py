"""Turn a Scrapy/Twisted download failure into a reason a user can act on."""

from __future__ import annotations

from scrapy import exceptions as scrapy_exc
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_error
from twisted.internet.defer import CancelledError
from twisted.web._newclient import ResponseFailed

from crawler.capture.exchange import reason_phrase
from crawler.fetch import header_limit
from crawler.fetch.header_limit import HeaderTooLarge

# Every crawl imports this module (both spiders describe their failures with it): from
# here on, a header line too long for Twisted's parser fails as HeaderTooLarge.
header_limit.install()


def describe_failure(failure) -> tuple[str, int | None]:
    """(reason, http_status) for a request errback's failure."""
    return describe_exception(failure.value)


def describe_exception(exc: BaseException) -> tuple[str, int | None]:
    """(reason, http_status) for the exception a download raised."""
    too_large = _header_too_large(exc)
    if too_large is not None:
        return too_large.args[0], None
    if isinstance(exc, HttpError):
        status = exc.response.status
        phrase = reason_phrase(status)
        retries = exc.response.request.meta.get("retry_times") if exc.response.request else None
        extra = f" after {retries} retries" if retries else ""
        return f"HTTP {status} {phrase}".strip() + extra + " (response archived)", status
    # Scrapy >= 2.14 wraps Twisted's errors in its own Download*Error types.
    if isinstance(
        exc, (net_error.DNSLookupError, getattr(scrapy_exc, "CannotResolveHostError", ()))
    ):
        return f"host not found (DNS lookup failed): {exc}", None
    if isinstance(
        exc,
        (
            net_error.ConnectionRefusedError,
            getattr(scrapy_exc, "DownloadConnectionRefusedError", ()),
        ),
    ):
        return "connection refused: nothing listens on that host and port", None
    if isinstance(
        exc,
        (
            net_error.TimeoutError,
            net_error.TCPTimedOutError,
            getattr(scrapy_exc, "DownloadTimeoutError", ()),
        ),
    ):
        return f"timed out: {exc}", None
    if isinstance(exc, getattr(scrapy_exc, "ResponseDataLossError", ())):
        return f"response cut short by the server (data loss): {exc}", None
    if isinstance(exc, (CancelledError, getattr(scrapy_exc, "DownloadCancelledError", ()))):
        # Scrapy cancels downloads above DOWNLOAD_MAXSIZE with a message saying so.
        message = str(exc) or "download cancelled"
        return f"download aborted: {message}", None
    if isinstance(exc, ResponseFailed):
        reasons = "; ".join(str(r.value) for r in getattr(exc, "reasons", []))
        return f"connection broke while receiving the response: {reasons or exc}", None
    if isinstance(exc, IgnoreRequest):
        return str(exc) or "request ignored", None
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name, None


def _header_too_large(exc: BaseException) -> HeaderTooLarge | None:
    """The HeaderTooLarge inside a download failure: Twisted lists it among the reasons
    of a ResponseFailed / ResponseNeverReceived, which Scrapy >= 2.14 wraps in turn."""
    for error in (exc, exc.__cause__, exc.__context__):
        if isinstance(error, HeaderTooLarge):
            return error
        for reason in getattr(error, "reasons", None) or []:
            if isinstance(getattr(reason, "value", None), HeaderTooLarge):
                return reason.value
    return None
