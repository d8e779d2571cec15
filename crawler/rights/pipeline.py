"""`RightsPipeline`: the record's `rights` during a crawl, between extraction and storage.

Per host and run, once each: the robots.txt parser the robots middleware built (from its
`robots_parsed` signal: no second fetch) answers for RIGHTS_AI_USER_AGENTS, and
`/.well-known/tdmrep.json` is fetched through the engine, so the downloader middlewares
archive it in the WARC like robots.txt, bounded in size (RIGHTS_TDMREP_MAX_BYTES) and
time (RIGHTS_TDMREP_TIMEOUT), obeying robots.txt like any page.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawler.items import CapturedPage
from crawler.rights.ai_agents import robots_ai_disallowed
from crawler.rights.declared import HostRights, rights_of
from crawler.rights.tdmrep import TDMREP_PATH, TdmRule, parse_tdmrep, rule_for

logger = logging.getLogger(__name__)


class RightsPipeline:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RIGHTS_ENABLED"):
            raise NotConfigured("RIGHTS_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.agents = settings.getlist("RIGHTS_AI_USER_AGENTS")
        self.tdmrep_enabled = settings.getbool("RIGHTS_TDMREP_ENABLED")
        self.tdmrep_max_bytes = settings.getint("RIGHTS_TDMREP_MAX_BYTES")
        self.tdmrep_timeout = settings.getfloat("RIGHTS_TDMREP_TIMEOUT")
        self.robots: dict[str, object] = {}  # netloc -> Scrapy RobotParser
        # netloc -> (rules, whether a tdmrep.json was read), shared by a host's pages
        self.tdmrep: dict[str, asyncio.Future] = {}
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _robots_parsed(self, robotparser, request, response) -> None:
        self.robots[urlparse_cached(request).netloc] = robotparser

    async def process_item(self, item):
        if not isinstance(item, CapturedPage) or not item.extraction:
            return item
        if not item.extraction.get("text"):
            return item
        url = urlsplit(item.final_url)
        parser = self.robots.get(url.netloc)
        robots = (
            robots_ai_disallowed(parser, item.final_url, self.agents)
            if parser is not None
            else None
        )
        rules, read = await self._tdmrep_of(url.scheme, url.netloc)
        host = HostRights(robots, rule_for(rules, url.path or "/"), read)
        item.rights = rights_of(item.extraction.get("page_rights"), item.rights_headers, host)
        return item

    async def _tdmrep_of(self, scheme: str, netloc: str) -> tuple[list[TdmRule], bool]:
        if not self.tdmrep_enabled:
            return [], False
        future = self.tdmrep.get(netloc)
        if future is None:
            future = self.tdmrep[netloc] = asyncio.get_running_loop().create_future()
            future.set_result(await self._fetch_tdmrep(f"{scheme}://{netloc}{TDMREP_PATH}"))
        return await asyncio.shield(future)

    async def _fetch_tdmrep(self, url: str) -> tuple[list[TdmRule], bool]:
        request = Request(
            url,
            callback=NO_CALLBACK,
            meta={
                "handle_httpstatus_all": True,
                "download_maxsize": self.tdmrep_max_bytes,
                "download_warnsize": 0,
                "download_timeout": self.tdmrep_timeout,
                "dont_retry": True,
            },
        )
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - no tdmrep.json is the common case
            logger.debug("no tdmrep.json from %s: %s", url, exc)
            self.stats.inc_value("rights/tdmrep_failed")
            return [], False
        self.stats.inc_value(f"rights/tdmrep_status/{response.status}")
        if not 200 <= response.status < 300:
            return [], False
        return parse_tdmrep(response.body), True
