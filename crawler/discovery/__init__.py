"""Finding article URLs: feeds, sitemaps, links on hub pages, and the URL policy (traps)."""
