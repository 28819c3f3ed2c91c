"""The house rules of ARCHITECTURE.md, checked on the source: pure engines, thin adapters, models and
migrations in agreement, no import cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import qudao.models  # noqa: F401 - registers every table on Base.metadata
from qudao import migrate
from qudao.db import Base, make_engine

SRC = Path(__file__).resolve().parents[2] / "src" / "qudao"
# Plain-Python foundation modules an engine may use (domain errors are dataclasses, no I/O).
ENGINE_ALLOWED_QUDAO = {"qudao.errors"}
ENGINE_FORBIDDEN_ROOTS = {"sqlalchemy", "fastapi", "starlette", "alembic", "httpx", "requests", "typer"}
# Packages that are not areas: engines themselves, and the adapters/foundation layers checked separately.
NOT_BUSINESS_AREAS = {"engines", "api", "cli", "web", "common", "auth", "audit", "migrations"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, *, module_level_only: bool = False,
                     source: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for each import in the file; relative imports are resolved."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from qudao import db` imports the module qudao.db
                yield node.lineno, f"{module}.{alias.name}"


def engine_violations(path: Path, source: str | None = None) -> list[str]:
    found = []
    for line, module in imported_modules(path, source=source):
        root = module.split(".")[0]
        allowed = module.startswith("qudao.engines") or module.rpartition(".")[0] in ENGINE_ALLOWED_QUDAO or (
            module in ENGINE_ALLOWED_QUDAO)
        foreign_qudao = root == "qudao" and module != "qudao" and not allowed
        if root in ENGINE_FORBIDDEN_ROOTS or foreign_qudao:
            found.append(f"{path.relative_to(SRC.parent)}:{line} imports {module}")
    return found


def test_engine_rule_catches_a_forbidden_import() -> None:
    """The checker itself, on sources placed (virtually) at src/qudao/engines/sub/probe.py."""
    probe = SRC / "engines" / "sub" / "probe.py"
    pure = "import numpy as np\nimport polars as pl\nfrom scipy import stats\nfrom qudao.engines import x\n" \
           "from .model import Plan\nfrom ..forecast import theta\nfrom qudao.errors import Invalid\n"
    assert engine_violations(probe, pure) == []
    for bad in ("from qudao.db import Base", "import sqlalchemy.orm", "from fastapi import APIRouter",
                "from qudao.catalog.models import Product", "from ...db import Base", "from ... import orders",
                "from qudao import db", "def f():\n    from starlette.requests import Request\n"):
        assert engine_violations(probe, bad), bad


def test_engines_are_pure() -> None:
    files = sorted((SRC / "engines").rglob("*.py"))
    assert files, "src/qudao/engines has no modules"
    violations = [v for path in files for v in engine_violations(path)]
    assert not violations, "engines must use numpy/polars/scipy only:\n" + "\n".join(violations)


def adapter_files() -> list[Path]:
    routers = sorted(SRC.glob("*/api.py"))
    return routers + sorted((SRC / "api").rglob("*.py")) + sorted((SRC / "cli").rglob("*.py")) + sorted(
        (SRC / "web").rglob("*.py"))


def sql_calls(path: Path) -> list[str]:
    """Calls that run or build SQL: ``<session>.execute/scalar/scalars/query(...)`` and ``select(...)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"select", "text", "insert", "update", "delete"}:
            found.append(f"{path.relative_to(SRC.parent)}:{node.lineno} {func.id}(...)")
        elif (isinstance(func, ast.Attribute) and func.attr in {"execute", "scalar", "scalars", "query"}
              and isinstance(func.value, ast.Name) and "session" in func.value.id.lower()):
            found.append(f"{path.relative_to(SRC.parent)}:{node.lineno} {func.value.id}.{func.attr}(...)")
    return found


def test_adapters_run_no_sql() -> None:
    files = adapter_files()
    assert len(files) >= 8
    violations = [v for path in files for v in sql_calls(path)]
    assert not violations, "routers, CLI and pages call services; move this SQL into one:\n" + "\n".join(violations)


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """Upgrading an empty database to every head gives exactly the tables the models declare."""
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "render_as_batch": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert not differences, "models and migrations differ (write a migration):\n" + "\n".join(
        map(str, differences))


def _module_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for _, m in imported_modules(path, module_level_only=True) if m in modules and m != name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_module_import_cycles() -> None:
    cycle = _find_cycle(_module_graph())
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycles_between_business_areas() -> None:
    """Areas depend one way (orders -> inventory -> catalog, ...); auth/audit/common are the shared floor."""
    areas: dict[str, set[str]] = {}
    for module, imports in _module_graph().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] in NOT_BUSINESS_AREAS:
            continue
        targets = {m.split(".")[1] for m in imports if len(m.split(".")) > 2}
        areas.setdefault(parts[1], set()).update(t for t in targets - NOT_BUSINESS_AREAS if t != parts[1])
    assert len(areas) >= 4
    cycle = _find_cycle(areas)
    assert cycle is None, "areas import each other in a circle: " + " -> ".join(cycle or [])
