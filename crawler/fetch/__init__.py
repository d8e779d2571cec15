"""Fetching: robots.txt and politeness middlewares, failure descriptions, URL credentials."""
