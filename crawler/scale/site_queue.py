"""Scheduled site crawls shared by many nodes, in Redis: which occurrences are due, which
site is being crawled by whom. One object, one method per transition (like
browsertrix-crawler's RedisCrawlState); every transition is one Lua script, so it is
atomic however many schedulers and workers talk to the same Redis.

Keys (`crawler:sites:` prefix):
- `occurrence:<site>:<time>`: set once (SET NX, with an expiry) by the first scheduler
  that sees this occurrence of the site's cron schedule due; the others see it taken.
- `due`: a list of JSON entries {site, occurrence, resumes}: site crawls waiting for a
  worker, oldest first; resumed occurrences go to the front.
- `waiting`: a hash site -> the occurrence of its entry in `due` (one per site at most).
- `lease:<site>`: the site lease, SET NX PX by the worker that takes the site, renewed
  while its crawl runs, deleted at the end; it expires by itself when the node dies.
- `running`: a hash site -> the taken entry (with the lease token and node). An entry
  whose lease has expired is an orphan: a `take` puts it back at the front of `due`
  (resumes + 1; takes look for orphans once per third of a lease, `sweep`), and whoever
  takes it resumes the occurrence from the catalog.

A site is crawled by one node at a time: `take` skips sites with a `running` entry. As
with the local scheduler, work never piles up behind a slow site or busy workers: an
occurrence that falls due while the site is being crawled is skipped, and one that falls
due while an earlier one still waits in `due` is folded into it (the earlier one crawls
the site when a worker gets to it). So `due` holds at most one entry per site.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

PREFIX = "crawler:sites:"
_TAKE_SCAN = 200  # due entries one `take` looks at; sites whose lease is held are skipped

# What `offer` did with an occurrence.
QUEUED = "queued"  # this scheduler queued it
OFFERED = "offered"  # another scheduler had (the occurrence key was set)
FOLDED = "folded"  # an earlier occurrence of the site still waits in `due`: that one will do
SKIPPED = "skipped"  # the site is being crawled right now
_OFFER_RESULTS = {1: QUEUED, 0: OFFERED, 2: FOLDED, 3: SKIPPED}

# KEYS: occurrence key, due, waiting, running. ARGV: entry, expiry s, who offers, site, time.
_OFFER = """
if not redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[2]) then
  return 0
end
if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 1 then
  return 3
end
if redis.call('HSETNX', KEYS[3], ARGV[4], ARGV[5]) == 0 then
  return 2
end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
"""

# KEYS: due, running, waiting, sweep. ARGV: lease prefix, token, node, lease ms, taken_at,
# scan, sweep ms. Returns {taken entry or '', requeued orphans, skipped entries}.
# The orphan sweep looks at every running site: at most once per sweep period across all
# workers (the `sweep` key), not on every poll (5,000 running sites: ~11 ms of Redis).
_TAKE = """
local due, running, waiting = KEYS[1], KEYS[2], KEYS[3]
local prefix, token, node, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local requeued, skipped = {}, {}
if redis.call('SET', KEYS[4], node, 'NX', 'PX', ARGV[7]) then
  local all = redis.call('HGETALL', running)
  for i = 1, #all, 2 do
    if redis.call('EXISTS', prefix .. all[i]) == 0 then
      local e = cjson.decode(all[i + 1])
      redis.call('LPUSH', due, cjson.encode(
        {site = e.site, occurrence = e.occurrence, resumes = (e.resumes or 0) + 1}))
      redis.call('HSET', waiting, e.site, e.occurrence)
      redis.call('HDEL', running, all[i])
      table.insert(requeued, all[i + 1])
    end
  end
end
for _, item in ipairs(redis.call('LRANGE', due, 0, tonumber(ARGV[6]) - 1)) do
  local e = cjson.decode(item)
  if redis.call('HGET', waiting, e.site) ~= e.occurrence then
    -- not the site's waiting entry (an older Redis state): drop it
    redis.call('LREM', due, 1, item)
    table.insert(skipped, item)
  elseif redis.call('HEXISTS', running, e.site) == 0
      and redis.call('SET', prefix .. e.site, token, 'NX', 'PX', ttl) then
    redis.call('LREM', due, 1, item)
    redis.call('HDEL', waiting, e.site)
    e.token, e.node, e.taken_at = token, node, ARGV[5]
    local taken = cjson.encode(e)
    redis.call('HSET', running, e.site, taken)
    return {taken, requeued, skipped}
  end
end
return {'', requeued, skipped}
"""

# KEYS: lease. ARGV: token, lease ms.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: lease, running, due, waiting. ARGV: site, token, requeue (1/0), entry, occurrence.
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[3] == '1' then
  redis.call('LPUSH', KEYS[3], ARGV[4])
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[5])
end
return 1
"""


def check_frontier_url(url: str) -> str:
    """`url` if it names a Redis server (redis://, rediss://, unix://), else ValueError."""
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"--frontier {url!r}: give the shared Redis as redis://HOST:PORT/DB "
            "(or rediss://, unix://)"
        )
    return url


@dataclass(frozen=True)
class SiteTake:
    """A due site crawl a worker took, with the lease that makes it the site's one crawler."""

    site: str
    occurrence: str  # ISO 8601: the cron time this crawl belongs to
    resumes: int  # how many earlier attempts of this occurrence ended without finishing
    token: str  # the lease value: only its holder renews or releases it

    def entry(self, resumes: int | None = None) -> str:
        return json.dumps(
            {
                "site": self.site,
                "occurrence": self.occurrence,
                "resumes": self.resumes if resumes is None else resumes,
            }
        )


@dataclass(frozen=True)
class TakeResult:
    taken: SiteTake | None
    requeued: list[dict]  # orphans (their lease expired: the node died) put back in `due`
    skipped: list[dict]  # stray entries dropped (not their site's waiting one)


class SiteQueue:
    """Due site crawls and site leases in one Redis (a `redis.Redis` client)."""

    def __init__(self, client, prefix: str = PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self.due_key = prefix + "due"
        self.running_key = prefix + "running"
        self.waiting_key = prefix + "waiting"
        self.sweep_key = prefix + "sweep"
        self._offer = client.register_script(_OFFER)
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, timeout: float = 5.0) -> SiteQueue:
        """A queue on the Redis at `url`; every call gives up after `timeout` seconds."""
        import redis

        return cls(
            redis.Redis.from_url(
                url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        )

    def close(self) -> None:
        self.client.close()

    def lease_key(self, site: str) -> str:
        return f"{self.prefix}lease:{site}"

    # -- schedulers ------------------------------------------------------------------------

    def offer(self, site: str, occurrence: datetime, expire_seconds: int, by: str) -> str:
        """Queue this occurrence of `site` unless some scheduler already offered it: QUEUED,
        OFFERED, FOLDED or SKIPPED. The occurrence key must outlive the time any scheduler
        can still see this occurrence as the latest one: the caller's expiry covers the gap
        to the next occurrence."""
        when = occurrence.isoformat()
        entry = json.dumps({"site": site, "occurrence": when, "resumes": 0})
        key = f"{self.prefix}occurrence:{site}:{when}"
        done = self._offer(
            keys=[key, self.due_key, self.waiting_key, self.running_key],
            args=[entry, max(1, expire_seconds), by, site, when],
        )
        return _OFFER_RESULTS[int(done)]

    # -- workers ---------------------------------------------------------------------------

    def take(self, node: str, lease_seconds: float, taken_at: str) -> TakeResult:
        """The oldest due site crawl whose site nobody crawls, leased to `node`; orphans of
        dead nodes are re-queued first (looked for once per third of a lease)."""
        token = f"{node}/{os.urandom(6).hex()}"
        taken, requeued, skipped = self._take(
            keys=[self.due_key, self.running_key, self.waiting_key, self.sweep_key],
            args=[
                self.prefix + "lease:",
                token,
                node,
                int(lease_seconds * 1000),
                taken_at,
                _TAKE_SCAN,
                max(1, int(lease_seconds * 1000 / 3)),
            ],
        )
        site_take = None
        if taken:
            e = json.loads(taken)
            site_take = SiteTake(e["site"], e["occurrence"], int(e.get("resumes") or 0), token)
        return TakeResult(
            site_take, [json.loads(r) for r in requeued], [json.loads(s) for s in skipped]
        )

    def renew(self, take: SiteTake, lease_seconds: float) -> bool:
        """Extend the lease; False if it is no longer ours (it expired, another node has the
        site now: stop crawling it)."""
        key = self.lease_key(take.site)
        return bool(self._renew(keys=[key], args=[take.token, int(lease_seconds * 1000)]))

    def release(self, take: SiteTake, *, requeue: bool = False) -> bool:
        """End the crawl's hold on its site; with `requeue`, put the occurrence back at the
        front of `due` (the crawl stopped before the end: another worker resumes it).
        False if the lease was no longer ours (nothing changed)."""
        return bool(
            self._release(
                keys=[self.lease_key(take.site), self.running_key, self.due_key, self.waiting_key],
                args=[
                    take.site,
                    take.token,
                    "1" if requeue else "0",
                    take.entry(take.resumes + 1),
                    take.occurrence,
                ],
            )
        )

    # -- what tests and operators look at ------------------------------------------------

    def due(self) -> list[dict]:
        return [json.loads(e) for e in self.client.lrange(self.due_key, 0, -1)]

    def running(self) -> dict[str, dict]:
        return {k: json.loads(v) for k, v in self.client.hgetall(self.running_key).items()}
