"""The shape of the house, checked on every run.

The floors and the absence of import cycles are import-linter contracts
(``[tool.importlinter]`` in pyproject.toml); this file runs them, and checks
what import-linter cannot see: who writes, how long a module and a view may
grow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCT = ["common", "accounts", "integration", "progression", "evaluation"]
MAX_MODULE_LINES = 600
MAX_VIEW_LINES = 40
WRITES = {
    "create",
    "update",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
}


def _modules(packages=PRODUCT) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def _is_view_form_or_command(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        path.stem.startswith(("views", "forms"))
        or "views" in parts[:-1]
        or parts[-3:-1] == ("management", "commands")
    )


def _chain(node: ast.AST) -> list[str]:
    """The names along ``a.b.c(...)``: ["a", "b", "c"] (calls in between skipped)."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def direct_writes(source: str) -> list[tuple[int, str]]:
    """Model writes in ``source``: a manager's create/update/delete…, or a
    ``.save()``/``.delete()`` without positional arguments."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        chain = _chain(node.func)
        if method in WRITES and "objects" in chain[:-1]:
            found.append((node.lineno, ".".join(chain)))
        elif method in {"save", "delete"} and not node.args:
            found.append((node.lineno, ".".join(chain)))
    return found


def test_the_write_guard_sees_the_writes_it_is_meant_to():
    source = (
        "Household.objects.get_or_create(reference=r)\n"
        "ReportJob.objects.create(kind=k)\n"
        "Case.objects.filter(pk=1).update(status='x')\n"
        "case.save()\n"
        "fact.delete()\n"
        "image.save(buffer)\n"
        "context.update(a=1)\n"
        "services.case_create(actor=u)\n"
    )
    assert [line for line, _call in direct_writes(source)] == [1, 2, 3, 4, 5]


def test_views_forms_and_commands_write_only_through_services():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {call}"
        for path in _modules()
        if _is_view_form_or_command(path)
        for line, call in direct_writes(path.read_text())
    ]
    assert offenders == [], "write through a service instead:\n" + "\n".join(offenders)


def test_no_product_module_is_longer_than_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules([*PRODUCT, "fixtures", "config"])
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def _view_functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = [a.arg for a in node.args.args]
            if params[:1] == ["request"] or params[:2] == ["self", "request"]:
                yield node


def test_no_view_function_is_longer_than_40_lines():
    long = {
        f"{path.relative_to(ROOT)}:{node.name}": n
        for path in _modules()
        if path.stem.startswith("views") or "views" in path.parts
        for node in _view_functions(path)
        if (n := node.end_lineno - node.lineno + 1) > MAX_VIEW_LINES
    }
    assert long == {}


def test_import_contracts_hold():
    """The floors, and no cycle between the modules of a package."""
    lint = pytest.importorskip("importlinter.cli")
    assert lint.lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0
