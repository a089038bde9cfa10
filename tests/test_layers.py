"""The dependency rule between our packages, checked on every import statement (lazy ones included).

    text      pure text code: imports none of ours, and no Django
    factcheck the project: settings, Celery app, task base class, locks, queueing; imports no app
    sources   fetching, snapshots, passages, search: text and factcheck
    claims    articles, claims, evidence, review: sources, text and factcheck
    partners  the API and webhooks: claims, sources, text and factcheck

Nothing imports upward, so each floor can be read, tested and changed without the ones above it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"text", "factcheck", "sources", "claims", "partners"}
ALLOWED = {
    "text": set(),
    "factcheck": set(),
    "sources": {"text", "factcheck"},
    "claims": {"sources", "text", "factcheck"},
    "partners": {"claims", "sources", "text", "factcheck"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_floors_below_it(package: str) -> None:
    wrong = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        imported = imported_packages(path)
        upward = (imported & OURS) - ALLOWED[package] - {package}
        if package == "text" and "django" in imported:
            upward.add("django")
        if upward:
            wrong[str(path.relative_to(ROOT))] = sorted(upward)
    assert not wrong, f"{package} must not import {wrong}"


def test_every_import_of_ours_names_a_module_that_exists() -> None:
    """Lazy imports inside functions run only when called: a moved module must not leave one dangling."""
    import importlib.util

    missing = []
    for package in sorted(ALLOWED):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if path.name == "__init__.py":
                module = module.removesuffix(".__init__")
            parent = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom):
                    continue
                if node.level:
                    base = parent.rsplit(".", node.level - 1)[0] if node.level > 1 else parent
                    target = f"{base}.{node.module}" if node.module else base
                elif node.module and node.module.split(".")[0] in OURS:
                    target = node.module
                else:
                    continue
                if importlib.util.find_spec(target) is None:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    assert not missing, missing
