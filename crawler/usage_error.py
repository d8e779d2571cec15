"""The one error type every `crawler` command raises for a user mistake (exit status 2).

Its own module so that `python -m crawler.cli` (where cli.py is `__main__`) and the
command modules it imports share the same class."""


class UsageError(Exception):
    pass
