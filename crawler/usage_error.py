"""The exit statuses of every `crawler` command, and the one error type they raise for a
user mistake (exit status 2).

Its own module so that `python -m crawler.cli` (where cli.py is `__main__`) and the
command modules it imports share the same class and codes."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass
