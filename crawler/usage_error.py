"""The exit statuses of every `crawler` command, and the one error type they raise for a
user mistake (exit status 2).

Its own module so that `python -m crawler.cli` (where cli.py is `__main__`) and the
command modules it imports share the same class and codes."""

import logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def spider_usage_error(message: str) -> UsageError:
    """The error a spider raises while it is created (a bad or missing `-a` argument).

    Scrapy creates the spider inside an asyncio task: the exception makes `scrapy crawl`
    exit 1 (bootstrap failed), and asyncio logs it as "Task exception was never retrieved"
    with the task and a traceback. The filter set here makes that record the one line the
    user needs."""
    logging.getLogger("asyncio").addFilter(_one_line_usage_errors)  # once: a set of filters
    return UsageError(message)


def _one_line_usage_errors(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, UsageError):
        record.name, record.msg, record.args = "usage", str(error), ()
        record.exc_info = record.exc_text = None
    return True
