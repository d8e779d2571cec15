"""Scrapy spiders: one-off URL archiving (`urls`); configured site crawls come later."""
