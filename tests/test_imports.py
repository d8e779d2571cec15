"""The import structure: every module imports alone, no import cycle (module-level or
inside functions), and the DESIGN rules on who may import whom (issue 10)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("crawler", "spiders", "settings")

# One interpreter that imports nothing of ours forks a child per module: each child
# imports its module into a fresh state (nothing of ours loaded), so an import that only
# works after some other module was imported fails here; two children at a time.
_IMPORT_EACH_ALONE = r"""
import os, sys, traceback
modules, failed, running = sys.argv[1:], [], {}

def reap():
    pid, status = os.wait()
    if status:
        failed.append(running[pid])
    del running[pid]

for name in modules:
    if len(running) >= 2:
        reap()
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    running[pid] = name
while running:
    reap()
print("FAILED:" + " ".join(sorted(failed)))
"""


def modules_of(root: Path, packages=PACKAGES) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__) for every module under root."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _targets(module: str, is_package: bool, node: ast.AST, known) -> list[str]:
    """The modules of ours an import statement loads (relative imports resolved)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        # `from pkg import name`: the submodule pkg.name if there is one, else pkg itself
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    return [n for n in names if n in known and n != module]


def import_graph(root: Path, packages=PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules it imports, from every import statement in its AST (module
    level and inside functions alike). A package's __init__ that Python runs before a
    submodule is not an edge: only what the code names."""
    known = modules_of(root, packages)
    graph = {}
    for module, (path, is_package) in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = {
            t
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for t in _targets(module, is_package, node, known)
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its start) per strongly connected component of more
    than one module, or a module importing itself (Tarjan, iterative)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(set(component))
    return [
        _cycle_in(graph, c)
        for c in components
        if len(c) > 1 or next(iter(c)) in graph[next(iter(c))]
    ]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A path a -> ... -> a through `component` (breadth-first: a shortest one)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    raise AssertionError(f"no cycle through {component}")


def test_every_module_imports_alone():
    modules = sorted(modules_of(ROOT))
    assert "crawler.commands.archive" in modules and "spiders.site" in modules
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_ALONE, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "FAILED:", result.stdout + result.stderr[-3000:]


def test_no_import_cycle():
    graph = import_graph(ROOT)
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_store_never_imports_extract_and_nothing_in_crawler_imports_spiders():
    graph = import_graph(ROOT)
    wrong = sorted(
        f"{m} -> {t}"
        for m, targets in graph.items()
        for t in targets
        if (m.startswith("crawler.store") and t.startswith("crawler.extract"))
        or (m.split(".")[0] == "crawler" and t.split(".")[0] == "spiders")
    )
    assert not wrong, "imports against the data flow (DESIGN.md):\n" + "\n".join(wrong)


def test_the_graph_sees_cycles_through_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def late():\n    from .. import c\n")
    (pkg / "c.py").write_text("import pkg.a\nfrom pkg.sub import __name__ as n\n")
    (pkg / "d.py").write_text("from .sub.b import late\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.sub.b"] == {"pkg.c"}  # relative, inside a function
    assert graph["pkg.c"] == {"pkg.a", "pkg.sub"}
    assert graph["pkg.d"] == {"pkg.sub.b"}
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]
