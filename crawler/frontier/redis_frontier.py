"""The frontier shared by several nodes: Redis, through scrapy-redis.

Keys, under a prefix (`redis://host:port/db?prefix=NAME`, default `crawler:frontier`):
    PREFIX:queue      list of entries (JSON), FIFO: added on the left, taken from the right
    PREFIX:seen       set of URL fingerprints: scrapy-redis's dupefilter (`CanonicalDupeFilter`)
    PREFIX:leases     sorted set: entry -> lease deadline (Redis server time)
    PREFIX:owners     hash: entry -> the node holding it (who held what, when one dies)
    PREFIX:sites      hash: site -> pages charged against its budget
    PREFIX:requeued_entries   set: entries put back after their lease expired
    PREFIX:done, PREFIX:requeued   counters

scrapy-redis pops a request and forgets it: a killed worker loses what it held. Here a
take moves entries from the queue into the lease set in one Lua script (atomic: no entry
is ever in neither), a done removes them once the catalog has their outcome, and every
take first puts expired leases back on the queue's taking end. Times are the Redis
server's (`TIME`), so node clocks do not matter. The queue holds URLs, not pickled
Scrapy requests (scrapy-redis's queue format): `crawler archive --frontier` enqueues
without a spider, and a request's callbacks stay the worker's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.frontier.base import Added, Entry, url_fingerprint

DEFAULT_PREFIX = "crawler:frontier"
_BATCH = 1000  # URLs per round trip when adding

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, e in ipairs(expired) do
  redis.call('RPUSH', KEYS[1], e)
  redis.call('ZREM', KEYS[2], e)
  redis.call('HDEL', KEYS[3], e)
  redis.call('SADD', KEYS[5], e)
end
if #expired > 0 then redis.call('INCRBY', KEYS[4], #expired) end
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local e = redis.call('RPOP', KEYS[1])
  if not e then break end
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), e)
  redis.call('HSET', KEYS[3], e, ARGV[3])
  out[#out + 1] = e
  out[#out + 1] = redis.call('SREM', KEYS[5], e)
end
return out
"""
_RENEW = """
local t = redis.call('TIME')
local deadline = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[2] then
    redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i])
  end
end
return 0
"""
_CHARGE = """
local pages = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if pages >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""


class CanonicalDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis seen-set with our fingerprint (canonical URL, tracking and
    `strip_params` parameters dropped) instead of Scrapy's exact-URL one; usable as a
    Scrapy DUPEFILTER_CLASS too. `seen_many` asks for a whole batch in one round trip."""

    strip_params: tuple[str, ...] = ()

    def request_fingerprint(self, request) -> str:
        return url_fingerprint(request.url, self.strip_params)

    def seen_many(self, urls: list[str]) -> list[bool]:
        """Add the URLs' fingerprints; for each, whether it was there already."""
        pipe = self.server.pipeline(transaction=False)
        for url in urls:
            pipe.sadd(self.key, url_fingerprint(url, self.strip_params))
        return [added == 0 for added in pipe.execute()]


def split_frontier_uri(uri: str) -> tuple[str, str]:
    """The Redis connection URL and the key prefix of a frontier URI."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    prefix = query.pop("prefix", [DEFAULT_PREFIX])[0]
    rest = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")), prefix


class RedisFrontier:
    def __init__(self, uri: str, lease_seconds: float) -> None:
        url, prefix = split_frontier_uri(uri)
        self.server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
        self.lease_seconds = lease_seconds
        self.keys = {
            name: f"{prefix}:{name}"
            for name in (
                "queue",
                "seen",
                "leases",
                "owners",
                "sites",
                "done",
                "requeued",
                "requeued_entries",
            )
        }
        self.seen = CanonicalDupeFilter(self.server, key=self.keys["seen"])
        self._take = self.server.register_script(_TAKE)
        self._renew = self.server.register_script(_RENEW)
        self._charge = self.server.register_script(_CHARGE)

    def close(self) -> None:
        self.server.close()

    def add(self, urls: Iterable[str], *, refetch: bool = False) -> Added:
        added = Added()
        urls = iter(urls)
        while batch := list(islice(urls, _BATCH)):
            seen = self.seen.seen_many(batch)
            pairs = zip(batch, seen, strict=True)
            new = [Entry(u, refetch).encode() for u, was_seen in pairs if refetch or not was_seen]
            if new:
                self.server.lpush(self.keys["queue"], *new)
            added.queued += len(new)
            added.seen += len(batch) - len(new)
        return added

    def take(self, owner: str, n: int) -> list[Entry]:
        k = self.keys
        keys = [k["queue"], k["leases"], k["owners"], k["requeued"], k["requeued_entries"]]
        taken = self._take(keys=keys, args=[n, self.lease_seconds, owner])
        pairs = zip(taken[::2], taken[1::2], strict=True)
        return [Entry.decode(e, requeued=bool(flag)) for e, flag in pairs]

    def renew(self, owner: str, entries: Iterable[Entry]) -> None:
        encoded = [e.encode() for e in entries]
        if encoded:
            keys = [self.keys["leases"], self.keys["owners"]]
            self._renew(keys=keys, args=[self.lease_seconds, owner, *encoded])

    def done(self, entries: Iterable[Entry]) -> None:
        encoded = [e.encode() for e in entries]
        if not encoded:
            return
        pipe = self.server.pipeline(transaction=True)
        pipe.zrem(self.keys["leases"], *encoded)
        pipe.hdel(self.keys["owners"], *encoded)
        pipe.incrby(self.keys["done"], len(encoded))
        pipe.execute()

    def charge(self, site: str, budget: int) -> bool:
        return bool(self._charge(keys=[self.keys["sites"]], args=[site, budget]))

    def counts(self) -> dict[str, int]:
        k = self.keys
        pipe = self.server.pipeline(transaction=False)
        pipe.llen(k["queue"]).zcard(k["leases"]).get(k["done"]).get(k["requeued"])
        pipe.scard(k["seen"])
        queued, leased, done, requeued, seen = pipe.execute()
        return {
            "queued": queued,
            "leased": leased,
            "done": int(done or 0),
            "requeued": int(requeued or 0),
            "seen": seen,
        }

    def leased_by(self, owner: str) -> int:
        """How many entries `owner` holds now."""
        return sum(1 for v in self.server.hvals(self.keys["owners"]) if v.decode() == owner)
