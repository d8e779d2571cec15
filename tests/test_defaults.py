"""Defaults live in `settings/__init__.py` only (issue 10): no other module of `crawler/`
or `spiders/` writes a setting's default a second time."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SETTINGS_FILE = ROOT / "settings" / "__init__.py"
# Settings whose values are distinctive enough that the same number elsewhere is a copy.
NUMBERS = (
    "EXTRACT_MAX_BYTES",
    "EXPORT_PART_RECORDS",
    "WARC_MAX_SIZE",
    "STORE_SHARD_MAX_RECORDS",
    "STORE_S3_PART_SIZE",
)
GETTERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict"}


def _constant(node: ast.AST):
    """The value of a constant expression (`10 << 20`, `64 * 1024`), else None."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp | ast.UnaryOp) and all(
        isinstance(n, ast.Constant | ast.operator | ast.unaryop | ast.BinOp | ast.UnaryOp)
        for n in ast.walk(node)
    ):
        return eval(compile(ast.Expression(node), "<constant>", "eval"))  # constants only
    return None


def project_settings() -> dict:
    """NAME -> value of every setting in settings/__init__.py with a constant value."""
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    values = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()
        ):
            values[node.targets[0].id] = _constant(node.value)
    return values


def _sources(root: Path = ROOT) -> list[tuple[str, ast.AST]]:
    found = []
    for folder in ("crawler", "spiders"):
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
            tree.lines = text.splitlines()  # for NOT_A_SETTING marks
            found.append((str(path.relative_to(root)), tree))
    return found


# A line that says so holds a number equal to a setting's by coincidence (another concept).
NOT_A_SETTING = "# not a setting:"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module, its classes and functions (they may name
    the defaults: documentation is not a second copy of a value)."""
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        ):
            found.add(id(node.body[0].value))
    return found


def literal_copies(sources, settings: dict) -> list[str]:
    """Where a string holds the default store or the catalog's file name, or a constant
    expression equals one of the NUMBERS settings."""
    strings = (settings["STORE_URI"], settings["CATALOG_FILENAME"])
    numbers = {settings[name]: name for name in NUMBERS}
    found = []
    for where, tree in sources:
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and any(s in node.value for s in strings)
            ):
                found.append(f"{where}:{node.lineno}: {node.value!r}")
            if isinstance(node, ast.Constant | ast.BinOp):
                line = getattr(tree, "lines", [""] * node.lineno)[node.lineno - 1]
                if NOT_A_SETTING in line:
                    continue
                value = _constant(node)
                if type(value) is int and value in numbers:
                    found.append(f"{where}:{node.lineno}: {value} is {numbers[value]}")
    return found


def getter_defaults(sources, settings: dict) -> list[str]:
    """`settings.getint("NAME", <constant>)` for a NAME settings/__init__.py defines: the
    default is already there (and the copy can differ from it). A default taken from
    settings/__init__.py itself (`cls.part_size = STORE_S3_PART_SIZE`) is not a copy."""
    found = []
    for where, tree in sources:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in GETTERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in settings
                and any(
                    _constant(d) is not None
                    for d in node.args[1:] + [k.value for k in node.keywords]
                )
            ):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_literal_copy_of_a_default():
    found = literal_copies(_sources(), project_settings())
    assert not found, "defaults written outside settings/__init__.py:\n" + "\n".join(found)


def test_no_setting_read_with_a_default_of_its_own():
    found = getter_defaults(_sources(), project_settings())
    assert not found, "read the setting without a default:\n" + "\n".join(found)


def test_the_checks_find_copies():
    settings = project_settings()
    assert settings["STORE_URI"] == "./data" and settings["EXTRACT_MAX_BYTES"] == 10 << 20
    code = ast.parse(
        '"""Stored in ./data by default."""\n'
        "def f(store, settings, n=10 * 1024 * 1024, parts=100_000):\n"
        '    store.path("catalog.sqlite")\n'
        '    settings.get("STORE_URI", "./data")\n'
        '    settings.getint("EXPORT_PART_RECORDS")\n'
        '    settings.getint("STORE_S3_PART_SIZE", cls.part_size)\n'
        '    return settings.getfloat("EXTRACT_TIMEOUT", default=30.0)\n'
    )
    sources = [("x.py", code)]
    assert literal_copies(sources, settings) == [
        "x.py:2: 10485760 is EXTRACT_MAX_BYTES",
        "x.py:2: 100000 is EXPORT_PART_RECORDS",
        "x.py:3: 'catalog.sqlite'",
        "x.py:4: './data'",
    ]
    assert getter_defaults(sources, settings) == [
        "x.py:4: settings.get('STORE_URI', './data')",
        "x.py:7: settings.getfloat('EXTRACT_TIMEOUT', default=30.0)",
    ]
