"""Which AI crawler user agents a site's robots.txt shuts out of a page.

The agents are the setting RIGHTS_AI_USER_AGENTS (the one list); the parser is the one
the robots.txt middleware already built for the host (Scrapy's Protego parser), so no
second fetch and no second robots.txt reading of our own.
"""

from __future__ import annotations


def robots_ai_disallowed(parser, url: str, agents: list[str]) -> list[str]:
    """The agents of `agents` that `parser` (a Scrapy RobotParser) forbids `url` to."""
    disallowed = []
    for agent in agents:
        try:
            allowed = parser.allowed(url, agent)
        except Exception:  # noqa: BLE001 - a robots.txt from a stranger may break a parser
            continue
        if not allowed:
            disallowed.append(agent)
    return disallowed
