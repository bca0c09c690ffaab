"""The layers import one way: checked on the source, every import statement included (even inside functions).

The runtime is embeddable anywhere, so it imports neither Kafka, Spark nor Spindrift; the
serving core ``spindrift.serving`` imports no Kafka client, no Spark and no web framework, not
even through the project modules it imports (transports are adapters around it); the
Spindrift library under ``spindrift/`` does not reach into the services; one service does not
import another; and no two modules import each other, directly or through others (imports
under ``if TYPE_CHECKING:`` are for annotations only and are left out).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "sparkml_runtime": ROOT / "libs" / "sparkml_runtime" / "src" / "sparkml_runtime",
    "spindrift": ROOT / "spindrift",
    "services": ROOT / "services",
    "schemas": ROOT / "schemas",
}
KAFKA_AND_SPARK = ("kafka", "confluent_kafka", "pyspark", "py4j")
WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn")


def _module_name(package: str, path: Path) -> str:
    parts = list(path.relative_to(SOURCES[package]).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module name ``tree`` imports outside ``if TYPE_CHECKING:`` blocks, relative ones resolved."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from package import submodule` imports the submodule too.
            yield from (f"{target}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def _graph() -> dict[str, set[str]]:
    modules: dict[str, set[str]] = {}
    for package, directory in SOURCES.items():
        for path in sorted(directory.rglob("*.py")):
            name = _module_name(package, path)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            modules[name] = set(_imports(tree, name, path.name == "__init__.py"))
    return modules


GRAPH = _graph()


def _violations(importer_prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for module, imported in GRAPH.items():
        if module == importer_prefix or module.startswith(importer_prefix + "."):
            for name in sorted(imported):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    found.append(f"{module} imports {name}")
    return found


def _matches(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def _transitive_violations(importer_prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    """Forbidden imports of ``importer_prefix``'s modules or of any project module they import, transitively.

    Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so parent packages are
    followed as well. Each finding names the chain of imports that leads to it.
    """
    chains = {m: [m] for m in GRAPH if m == importer_prefix or m.startswith(importer_prefix + ".")}
    queue = sorted(chains)
    found = []
    while queue:
        module = queue.pop(0)
        for name in sorted(GRAPH[module]):
            if _matches(name, forbidden):
                found.append(" -> ".join(chains[module]) + f" imports {name}")
            parts = name.split(".")
            for reached in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
                if reached in GRAPH and reached not in chains:
                    chains[reached] = [*chains[module], reached]
                    queue.append(reached)
    return found


def test_the_graph_covers_every_layer() -> None:
    for package in SOURCES:
        assert any(m.startswith(package) for m in GRAPH), f"no module of {package} was read"
    assert "services.trainer.jobs" in GRAPH["services.trainer.worker"]


def test_the_runtime_imports_no_kafka_spark_or_spindrift() -> None:
    assert _violations("sparkml_runtime", (*KAFKA_AND_SPARK, "spindrift", "services", "schemas")) == []


def test_the_serving_core_imports_no_kafka_spark_or_web_framework_even_transitively() -> None:
    assert "spindrift.serving.runtime" in GRAPH
    assert _transitive_violations("spindrift.serving", (*KAFKA_AND_SPARK, *WEB_FRAMEWORKS, "services")) == []


def test_the_transitive_check_finds_what_the_kafka_scorer_and_the_gateway_import() -> None:
    # The scorer's service module reaches confluent_kafka only through other modules: the chain is followed.
    assert any(
        v.endswith("imports confluent_kafka")
        for v in _transitive_violations("services.scorer.service", ("confluent_kafka",))
    )
    assert any(v.endswith("imports fastapi") for v in _transitive_violations("services.gateway.app", WEB_FRAMEWORKS))


def test_the_spindrift_library_does_not_import_the_services() -> None:
    assert _violations("spindrift", ("services",)) == []


# The gateway rejects a bad job spec before queueing it, with the trainer's own parsers (they
# load no Spark: tests/packaging/test_loaded_modules.py checks that in a fresh interpreter).
CROSS_SERVICE_ALLOWED = {
    "services.gateway": ("services.trainer.spec", "services.trainer.batch", "services.trainer.errors"),
}


@pytest.mark.parametrize(
    ("service", "others"),
    [
        ("services.scorer", ("services.trainer", "services.gateway")),
        ("services.trainer", ("services.scorer", "services.gateway")),
        ("services.gateway", ("services.scorer", "services.trainer")),
    ],
)
def test_a_service_does_not_import_another(service: str, others: tuple[str, ...]) -> None:
    allowed = CROSS_SERVICE_ALLOWED.get(service, ())
    found = [
        v
        for v in _violations(service, others)
        if not any(v.split(" imports ")[1] == a or v.split(" imports ")[1].startswith(a + ".") for a in allowed)
    ]
    assert found == []


def test_no_module_imports_itself_through_others() -> None:
    cycles = _cycles({m: {i for i in imported if i in GRAPH and i != m} for m, imported in GRAPH.items()})
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found
