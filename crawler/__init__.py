"""News archiving crawler: WARC capture of what was served, clean article text beside it.

Data flows spider -> capture -> extract -> store; see DESIGN.md in the shared docs.
"""

__version__ = "0.1.0"
SOFTWARE = "news-archive-crawler"
