"""The package as it ships, read from disk with `ast` (nothing of it is imported): its modules, the
imports each makes, its other files. Shared by the layer and no-pickle tests.

Which folders are packages comes from pyproject.toml (`[tool.setuptools]` lists every package
and where it lives), so a module can't be left out of a scan by living in an unexpected place.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = "surefix"


@dataclass(frozen=True)
class Import:
    """One imported module, as `module` (absolute, dotted) and, for `from … import`, `names`."""

    module: str
    names: tuple[str, ...]
    line: int
    in_function: bool  # runs only when the function is called
    type_checking: bool  # under `if TYPE_CHECKING:`: never runs
    dynamic: bool = False  # `importlib.import_module("…")` or `__import__("…")`

    @property
    def at_import_time(self) -> bool:
        """Whether importing the module runs this import."""
        return not (self.in_function or self.type_checking)

    def targets(self, known: set[str]) -> set[str]:
        """The package modules this loads: `from a import b` is `a.b` when that is a module."""
        found = {f"{self.module}.{n}" for n in self.names if f"{self.module}.{n}" in known}
        if len(found) < len(self.names) or not self.names:
            found.add(self.module)
        return found

    def is_of(self, *prefixes: str) -> bool:
        """Whether this imports one of `prefixes` or anything below it (`sklearn` covers
        `sklearn.linear_model`)."""
        return any(
            name == p or name.startswith(f"{p}.")
            for name in (self.module, *(f"{self.module}.{n}" for n in self.names))
            for p in prefixes
        )


@dataclass(frozen=True)
class Module:
    name: str  # surefix.model.scoring.scorer
    path: Path
    imports: tuple[Import, ...]

    @property
    def where(self) -> str:
        """Its path in the repository, for messages."""
        return self.path.relative_to(ROOT).as_posix()

    def under(self, *packages: str) -> bool:
        return any(self.name == p or self.name.startswith(f"{p}.") for p in packages)


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@cache
def packages() -> dict[str, Path]:
    """Every package pyproject.toml ships -> its folder."""
    setuptools = pyproject()["tool"]["setuptools"]
    folders: dict[str, str] = setuptools["package-dir"]
    out = {}
    for name in setuptools["packages"]:
        base = max((p for p in folders if name == p or name.startswith(f"{p}.")), key=len)
        rest = name[len(base) :].split(".")[1:]
        out[name] = ROOT.joinpath(folders[base], *rest)
    return out


def roots() -> list[Path]:
    """The top folders of the package (server/, model/, features/)."""
    folders = sorted(set(packages().values()))
    return [f for f in folders if not any(f != o and o in f.parents for o in folders)]


@cache
def modules() -> tuple[Module, ...]:
    """Every module of every shipped package, each with its imports."""
    found = []
    for package, folder in sorted(packages().items()):
        for path in sorted(folder.glob("*.py")):
            is_package = path.name == "__init__.py"
            name = package if is_package else f"{package}.{path.stem}"
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            found.append(Module(name, path, imports_in(tree, name, is_package)))
    return tuple(found)


def module_names() -> set[str]:
    return {m.name for m in modules()}


def python_files() -> list[Path]:
    """Every .py file under the package's folders: its modules and the Python it ships as data
    (the sample project)."""
    return sorted(p for root in roots() for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def data_files() -> list[Path]:
    """Every other file under the package's folders (model artifacts, the sample project's
    configuration, the model card), whether pyproject.toml ships it or not."""
    return sorted(
        p
        for root in roots()
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )


def imports_in(tree: ast.Module, name: str, is_package: bool) -> tuple[Import, ...]:
    finder = _ImportFinder(name if is_package else name.rpartition(".")[0])
    finder.visit(tree)
    return tuple(finder.found)


class _ImportFinder(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package
        self.found: list[Import] = []
        self.functions = 0
        self.type_checking = 0

    def add(
        self, module: str, names: tuple[str, ...], node: ast.AST, dynamic: bool = False
    ) -> None:
        self.found.append(
            Import(
                module,
                names,
                getattr(node, "lineno", 0),
                self.functions > 0,
                self.type_checking > 0,
                dynamic,
            )
        )

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._in_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._in_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._in_function(node)

    def _in_function(self, node: ast.AST) -> None:
        for decorator in getattr(node, "decorator_list", ()):  # decorators run at definition
            self.visit(decorator)
        self.functions += 1
        for child in ast.iter_child_nodes(node):
            if child not in getattr(node, "decorator_list", ()):
                self.visit(child)
        self.functions -= 1

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self.type_checking += 1
        for child in node.body:
            self.visit(child)
        self.type_checking -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, (), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            parts = self.package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1])
            module = f"{base}.{module}" if module else base
        self.add(module, tuple(a.name for a in node.names if a.name != "*"), node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        first = node.args[0] if node.args else None
        if (
            called in ("import_module", "__import__")
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            self.add(first.value, (), node, dynamic=True)
        self.generic_visit(node)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
