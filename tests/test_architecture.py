"""Which app may import which: the dependency rules behind "one write path".

academics is the core: it owns the records and their writes and knows nothing of the
apps built on it (bulkio plugs its admin buttons in from its own side; analytics and
notifications listen to academics' change hook). bulkio reads academics but not
analytics. The notification machinery (storage, delivery, sockets) takes user ids and
knows no school rule.

The imports are read from the source with ``ast``, so every form counts: ``import x``,
``from x import y``, ``from apps import x``, relative imports, imports inside functions
and ``importlib.import_module("…")`` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "apps"

NOTIFICATION_CORE = ("models", "services", "selectors", "tasks", "consumers")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str | None, level: int, path: Path, root: Path) -> str:
    """``from ..x import y`` in apps/a/b/c.py → ``apps.a.x``."""
    if level == 0:
        return module or ""
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """Every module a source file imports, with its line: names as Python resolves them."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, path, root)
            found.append((node.lineno, base))
            # ``from apps import bulkio`` imports the module apps.bulkio.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return (
        name in ("import_module", "__import__")
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def forbidden_imports(
    files: list[Path], forbidden: tuple[str, ...], root: Path = ROOT
) -> list[str]:
    """``path:line imports name``, one per offending import statement."""
    offenders: dict[tuple[Path, int], str] = {}
    for path in files:
        for line, name in imported_modules(path, root):
            if any(name == prefix or name.startswith(f"{prefix}.") for prefix in forbidden):
                offenders.setdefault((path, line), name)
    return [
        f"{path.relative_to(root)}:{line} imports {name}"
        for (path, line), name in sorted(offenders.items())
    ]


def _notification_core() -> list[Path]:
    files = []
    for name in NOTIFICATION_CORE:
        module, package = APPS / "notifications" / f"{name}.py", APPS / "notifications" / name
        files += [module] if module.is_file() else sorted(package.rglob("*.py"))
    return files


RULES = {
    "academics imports neither bulkio nor analytics": (
        lambda: sorted((APPS / "academics").rglob("*.py")),
        ("apps.bulkio", "apps.analytics"),
    ),
    "bulkio does not import analytics": (
        lambda: sorted((APPS / "bulkio").rglob("*.py")),
        ("apps.analytics",),
    ),
    "notification storage and delivery know no school records": (
        _notification_core,
        ("apps.academics",),
    ),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_app_dependencies_point_one_way(rule):
    files, forbidden = RULES[rule][0](), RULES[rule][1]

    offenders = forbidden_imports(files, forbidden)

    assert files, "no source files found: the layout changed, update the rule"
    assert offenders == []


def test_import_reader_sees_every_form_of_import(tmp_path):
    package = tmp_path / "apps" / "academics" / "admin"
    package.mkdir(parents=True)
    source = package / "students.py"
    source.write_text(
        "import apps.bulkio.resources\n"
        "from apps.bulkio.resources import StudentResource\n"
        "from apps import analytics\n"
        "from ...bulkio import views\n"
        "from . import base\n"
        "from apps.academics import models\n"
        "def later():\n"
        "    import importlib\n"
        "    importlib.import_module('apps.analytics.selectors')\n",
        encoding="utf-8",
    )

    offenders = forbidden_imports([source], ("apps.bulkio", "apps.analytics"), root=tmp_path)
    names = {name for _line, name in imported_modules(source, root=tmp_path)}

    assert [offender.split(":")[1].split()[0] for offender in offenders] == [
        "1", "2", "3", "4", "9"
    ]  # fmt: skip
    assert {"apps.bulkio.views", "apps.academics.admin.base"} <= names
