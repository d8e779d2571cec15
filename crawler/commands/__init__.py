"""The `crawler` subcommands, one module each. A command module has `add_parser(subparsers)`
(its flags and help) and `run(args) -> int` (an exit status of `crawler.usage_error`):
it parses, calls the library, prints. The work lives in the library modules."""
