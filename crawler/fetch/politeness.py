"""Politeness: robots.txt with RFC 9309 semantics, Crawl-delay, and backing off refusals.

`Rfc9309RobotsTxtMiddleware` replaces Scrapy's RobotsTxtMiddleware (same place, 100),
which treats an unreachable or 5xx robots.txt as "allow everything". RFC 9309 section
2.3.1.4 says the opposite: a server error or no answer means "complete disallow" until
robots.txt can be fetched again, while 4xx means "no rules". `Crawl-delay` is applied
to the host's download slot (AutoThrottle may lower a slot's delay; we raise it back
before every request).

`RefusalBackoffMiddleware` (555: between RetryMiddleware and the capture middleware)
sees every 403/429/503 before a retry is scheduled: it slows the host's slot down
(honouring `Retry-After`, capped), and after `POLITENESS_MAX_REFUSALS` refusals in a
row it stops the run with a reason that names the host and the status.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.fetch.destination_guard import DestinationBlocked
from crawler.fetch.failures import describe_exception

logger = logging.getLogger(__name__)

REFUSAL_STATUSES = (403, 429, 503)


class DisallowAll:
    """A robots policy that forbids everything, with the reason it exists."""

    def __init__(self, reason: str, robots: bool = True) -> None:
        self.reason = reason
        self.robots = robots  # False: the host is unreachable, not a robots.txt rule

    def allowed(self, url, user_agent) -> bool:
        return False


class Rfc9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._delays: dict[str, float] = {}

    def process_request_2(self, rp, request) -> None:
        if isinstance(rp, DisallowAll):
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"robots: {rp.reason}" if rp.robots else rp.reason)
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            raise IgnoreRequest("robots: forbidden by robots.txt") from None
        delay = self._delays.get(urlparse_cached(request).netloc)
        if delay:
            raise_slot_delay(self.crawler, request, delay)

    async def robot_parser(self, request):
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            # Same flow as Scrapy's, but an error is one clear line, not a traceback,
            # and it means "disallow" (RFC 9309), not "allow all".
            self._parsers[netloc] = Deferred()
            robots_url = f"{url.scheme}://{netloc}/robots.txt"
            robots_request = Request(
                robots_url,
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True, "handle_httpstatus_all": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
            except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
                # Lead with the network error: usually the whole host is down.
                problem, _ = describe_exception(exc)
                if not isinstance(exc, DestinationBlocked):  # that one says it all
                    problem += (
                        f" (fetching {robots_url}; with robots.txt unreachable nothing "
                        "is fetched from this host, RFC 9309)"
                    )
                self._settle(netloc, DisallowAll(problem, robots=False))
            else:
                await self._parse_robots(response, netloc, request)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            # Wait, then read the settled parser: a Deferred awaited by several requests
            # passes None to all but the first (Scrapy's own loop lets those through).
            await maybe_deferred_to_future(parser)
            parser = self._parsers[netloc]
        return parser

    async def _parse_robots(self, response, netloc, request) -> None:
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if response.status >= 500:
            self._settle(
                netloc,
                DisallowAll(
                    f"{response.url} answered HTTP {response.status}; the site is disallowed "
                    "for this run (RFC 9309)"
                ),
            )
            return
        # 4xx: no rules at all (RFC 9309 2.3.1.3); 2xx: the file; 3xx were followed.
        body = response.body if response.status < 400 else b""
        parser = build_from_crawler(self._parserimpl, self.crawler, body)
        delay = _crawl_delay(parser, self._robotstxt_useragent or self._default_useragent)
        if delay:
            self._delays[netloc] = delay
            logger.info("robots.txt of %s asks for Crawl-delay: %s s", netloc, delay)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request, response=response
        )
        self._settle(netloc, parser)

    def _settle(self, netloc: str, parser) -> None:
        if isinstance(parser, DisallowAll):
            logger.warning("%s", parser.reason)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if hasattr(pending, "callback"):
            pending.callback(parser)


def _crawl_delay(parser, user_agent: str) -> float | None:
    protego = getattr(parser, "rp", None)
    getter = getattr(protego, "crawl_delay", None)
    if getter is None:
        return None
    try:
        delay = getter(user_agent)
    except Exception:  # noqa: BLE001 - a malformed line is not worth a crash
        return None
    return float(delay) if delay else None


def raise_slot_delay(crawler, request, delay: float) -> None:
    """Make the host's download slot wait at least `delay` seconds between requests.

    Scrapy jitters a slot's delay by ±`jitter` (RANDOMIZE_DOWNLOAD_DELAY); scale it up so
    that even the shortest jittered wait is `delay`."""
    downloader = crawler.engine.downloader
    _, slot = downloader._get_slot(request)
    jitter = getattr(slot, "jitter", 0.0) or 0.0
    needed = delay / (1 - jitter) if jitter < 1 else delay * 2
    if slot.delay < needed:
        slot.delay = needed


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RefusalBackoffMiddleware:
    """Counts refusals per host as evidence: +1 for each 403/429/503, -0.5 for each other
    answer (a site that serves its home page but refuses every article is still refusing;
    a site that refused once under load and then recovered is not). At
    POLITENESS_MAX_REFUSALS the run stops."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_refusals = settings.getint("POLITENESS_MAX_REFUSALS")
        self.max_backoff = settings.getfloat("POLITENESS_MAX_BACKOFF")
        self.base_delay = max(settings.getfloat("DOWNLOAD_DELAY", 0.0), 0.5)
        self.evidence: dict[str, float] = {}
        self.refusals: dict[str, int] = {}
        self.stopped = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        host = urlparse_cached(request).hostname or ""
        if response.status not in REFUSAL_STATUSES:
            if self.evidence.get(host):
                self.evidence[host] = max(0.0, self.evidence[host] - 0.5)
            return response
        evidence = self.evidence[host] = self.evidence.get(host, 0.0) + 1
        count = self.refusals[host] = self.refusals.get(host, 0) + 1
        self.crawler.stats.inc_value(f"politeness/refusals/{response.status}")
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            wait = self.base_delay * (2 ** min(int(evidence), 10))
        wait = min(wait, self.max_backoff)
        raise_slot_delay(self.crawler, request, wait)
        logger.info(
            "%s answered %s (%d refusals so far): waiting %.1f s between requests",
            host,
            response.status,
            count,
            wait,
        )
        if evidence >= self.max_refusals and not self.stopped:
            self.stopped = True
            reason = (
                f"blocked: {host} keeps refusing requests ({count} refusals, "
                f"last: HTTP {response.status}); stopped to stay polite"
            )
            logger.error("%s", reason)
            # Finish what is in flight (records being written), fetch nothing new.
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
        return response
