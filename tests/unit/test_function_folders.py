"""The function folders as Lambda and the local stack load them."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def sibling_modules(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.py") if p.stem != "app"}


def test_no_two_function_folders_share_a_sibling_module_name() -> None:
    # Lambda puts a function's folder first on sys.path, so its app.py imports a sibling as a
    # top-level module; the local stack runs every function in one process, where the second
    # function to import a name would get the first one's module.
    names = Counter(name for folder in FUNCTIONS.iterdir() for name in sibling_modules(folder))
    assert [name for name, count in names.items() if count > 1] == []


@pytest.mark.parametrize("folder", sorted(p.name for p in FUNCTIONS.iterdir() if p.is_dir()))
def test_every_router_module_beside_an_app_is_included_by_it(folder: str) -> None:
    app = ast.parse((FUNCTIONS / folder / "app.py").read_text())
    imported = {node.module for node in ast.walk(app) if isinstance(node, ast.ImportFrom)}
    routers = {m for m in sibling_modules(FUNCTIONS / folder) if m.endswith("_routes")}
    assert routers <= imported, f"{folder}/app.py leaves out {sorted(routers - imported)}"
    included = {
        node.args[0].id
        for node in ast.walk(app)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "include_router"
        and isinstance(node.args[0], ast.Name)
    }
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(app)
        if isinstance(node, ast.ImportFrom) and node.module in routers
        for alias in node.names
    }
    assert aliases <= included
