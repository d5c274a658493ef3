"""The package map in README.md ("Development") holds: each package imports only the ones it
may, so the domain stays free of Telegram, SQLite and the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
# Package -> the first-party packages (and third-party roots) it must not import.
FORBIDDEN = {
    "domain": {"bot.ocr", "bot.storage", "bot.telegram", "telegram", "aiosqlite", "aspose"},
    "ocr": {"bot.storage", "bot.telegram", "telegram", "aiosqlite"},
    "storage": {"bot.ocr", "bot.telegram", "telegram", "aspose"},
    # The HTTP server gets what it needs of the bot handed in: it never imports the bot.
    "web": {"bot.telegram", "telegram", "aspose"},
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_it_may(package: str) -> None:
    files = sorted((BOT / package).rglob("*.py"))
    assert files
    offences = [
        f"{path.relative_to(BOT)} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package])
    ]
    assert offences == []


def test_no_module_is_longer_than_500_lines() -> None:
    long = [
        (str(path.relative_to(BOT)), lines)
        for path in BOT.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 500
    ]
    assert long == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` outside `if TYPE_CHECKING:` blocks (imports for type hints only
    never run, so they make no circle)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of `bot` -> the modules of `bot` it imports when it runs (at the top or
    inside a function: a lazy import still makes a circle); `from bot.x import y` counts
    `bot.x.y` when y is a module, else `bot.x`."""
    modules = {_module_name(path): path for path in BOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    if child in modules:
                        targets.add(child)
                    elif node.module in modules:
                        targets.add(node.module)
        graph[name] = targets - {name}
    return graph


def test_no_module_imports_one_that_imports_it_back() -> None:
    """No import circles, direct or through other modules (a package's __init__ included)."""
    graph = import_graph()
    assert "bot.ocr.backends.pool" in graph["bot.ocr.backends.factory"]  # the graph sees imports
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []
