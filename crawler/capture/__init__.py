"""WARC capture: the writer (no Scrapy inside) and the downloader middleware that feeds it."""
