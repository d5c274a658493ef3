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
