"""What a project's own files declare about its tools: flake8, isort, black, pre-commit hooks,
its dependencies and the Python it supports.

Every reader is forgiving: a file that cannot be read or parsed is skipped and named in
`problems`, so one broken `setup.cfg` never stops linting. Nothing is executed; only the
project's root (and the pre-commit file above it, up to the workspace) is read.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surefix.features.project.selectors import codes

# flake8 plugins Ruff implements, by distribution name, with the rules they bring.
PLUGINS = {
    "flake8-2020": "YTT", "flake8-annotations": "ANN", "flake8-async": "ASYNC",
    "flake8-bandit": "S", "flake8-blind-except": "BLE", "flake8-boolean-trap": "FBT",
    "flake8-bugbear": "B", "flake8-builtins": "A", "flake8-commas": "COM",
    "flake8-comprehensions": "C4", "flake8-datetimez": "DTZ", "flake8-debugger": "T10",
    "flake8-django": "DJ", "flake8-docstrings": "D", "flake8-errmsg": "EM",
    "flake8-executable": "EXE", "flake8-future-annotations": "FA",
    "flake8-implicit-str-concat": "ISC",
    "flake8-import-conventions": "ICN", "flake8-logging": "LOG", "flake8-logging-format": "G",
    "flake8-no-pep420": "INP", "flake8-pie": "PIE", "flake8-print": "T20", "flake8-pyi": "PYI",
    "flake8-pytest-style": "PT", "flake8-quotes": "Q", "flake8-raise": "RSE",
    "flake8-return": "RET", "flake8-self": "SLF", "flake8-simplify": "SIM",
    "flake8-slots": "SLOT", "flake8-tidy-imports": "TID", "flake8-type-checking": "TC",
    "flake8-gettext": "INT", "flake8-unused-arguments": "ARG", "flake8-use-pathlib": "PTH",
    "flake8-todos": "TD", "flake8-fixme": "FIX", "flake8-eradicate": "ERA", "eradicate": "ERA",
    "pep8-naming": "N", "flake8-copyright": "CPY", "flake8-pep604": "UP", "tryceratops": "TRY",
    "flake8-use-fstring": "FLY", "pandas-vet": "PD", "flake8-numpy": "NPY", "pydoclint": "DOC",
    "flake8-comprehension": "C4", "mccabe": "C90", "pycodestyle": "E", "pyflakes": "F",
    "flake8-perflint": "PERF", "perflint": "PERF",
}  # fmt: skip
FLAKE8_DEFAULT_SELECT = ("E", "F", "W", "C90")
FLAKE8_DEFAULT_IGNORE = ("E121", "E123", "E126", "E226", "E24", "E704", "W503", "W504")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class Files:
    """The files read, with their modification times (the cache's key), and what went wrong."""

    seen: dict[Path, int | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def exists(self, path: Path) -> bool:
        """Whether `path` is a file, remembered so that creating or deleting it is noticed."""
        try:
            self.seen[path] = path.stat().st_mtime_ns
        except OSError:
            self.seen[path] = None
        return self.seen[path] is not None

    def text(self, path: Path) -> str | None:
        try:
            stat = path.stat()
        except OSError:
            self.seen[path] = None
            return None
        self.seen[path] = stat.st_mtime_ns
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"cannot read {path.name} ({exc})")
            return None

    def toml(self, path: Path) -> dict[str, Any]:
        text = self.text(path)
        if text is None:
            return {}
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(f"{path.name} is not valid TOML ({exc}); it was skipped")
            return {}

    def ini(self, path: Path) -> configparser.RawConfigParser | None:
        text = self.text(path)
        if text is None:
            return None
        parser = configparser.RawConfigParser(strict=False, interpolation=None)
        try:
            parser.read_string(text, source=str(path))
        except configparser.Error as exc:
            first = str(exc).splitlines()[0]
            self.problems.append(f"{path.name} is not a valid INI file ({first}); it was skipped")
            return None
        return parser

    def yaml(self, path: Path) -> Any:
        text = self.text(path)
        if text is None:
            return None
        import yaml  # only a project with a pre-commit file pays for it

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0]
            self.problems.append(f"{path.name} is not valid YAML ({first}); it was skipped")
            return None


def table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """`data[k1][k2]…`, or an empty mapping wherever a level is missing or not a table."""
    for key in keys:
        inner = data.get(key) if isinstance(data, Mapping) else None
        data = inner if isinstance(inner, Mapping) else {}
    return data


@dataclass(frozen=True)
class Flake8:
    """A project's flake8 configuration, as flake8 itself would read it."""

    source: str
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    max_line_length: int | None


def _option(section: Mapping[str, Any], name: str) -> str | None:
    for key in (name, name.replace("-", "_")):
        value = section.get(key)
        if value is not None:
            return ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return None


def flake8(
    root: Path, pyproject: Mapping[str, Any], files: Files, plugins: Iterable[str]
) -> Flake8 | None:
    """flake8 reads the first of setup.cfg, tox.ini, .flake8 with a [flake8] section; the
    Flake8-pyproject plugin reads `[tool.flake8]`. Without `select`, flake8 checks its own
    defaults plus every installed plugin, so the plugins the project declares count."""
    section: Mapping[str, Any] | None = None
    source = ""
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        parser = files.ini(root / name)
        if parser is not None and parser.has_section("flake8"):
            section, source = dict(parser.items("flake8")), f"flake8 ({name})"
            break
    if section is None and table(pyproject, "tool", "flake8"):
        section, source = table(pyproject, "tool", "flake8"), "flake8 ([tool.flake8])"
    if section is None:
        return None
    select = _option(section, "select")
    chosen = codes(select) if select is not None else (*FLAKE8_DEFAULT_SELECT, *plugins)
    chosen += codes(_option(section, "extend-select") or "")
    ignore = _option(section, "ignore")
    ignored = codes(ignore) if ignore is not None else FLAKE8_DEFAULT_IGNORE
    ignored += codes(_option(section, "extend-ignore") or "")
    length = _option(section, "max-line-length")
    return Flake8(
        source, chosen, ignored, int(length) if length and length.strip().isdigit() else None
    )


@dataclass(frozen=True)
class Isort:
    source: str
    overrides: tuple[str, ...]  # Ruff `--config` values for what Ruff's isort also has


_ISORT_LISTS = {"known_first_party": "known-first-party", "known_third_party": "known-third-party"}
_ISORT_FLAGS = {
    "force_single_line": "force-single-line",
    "combine_as_imports": "combine-as-imports",
}


def isort(root: Path, pyproject: Mapping[str, Any], files: Files) -> Isort | None:
    section: Mapping[str, Any] | None = None
    source = ""
    if table(pyproject, "tool", "isort") or "isort" in table(pyproject, "tool"):
        section, source = table(pyproject, "tool", "isort"), "isort ([tool.isort])"
    for name, headers in (
        (".isort.cfg", ("settings", "isort")),
        ("setup.cfg", ("isort", "tool:isort")),
        ("tox.ini", ("isort", "tool:isort")),
    ):
        if section is not None:
            break
        parser = files.ini(root / name)
        for header in headers:
            if parser is not None and parser.has_section(header):
                section, source = dict(parser.items(header)), f"isort ({name})"
                break
    if section is None:
        return None
    return Isort(source, isort_overrides(section))


def isort_overrides(section: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for key, ruff_key in _ISORT_LISTS.items():
        value = section.get(key)
        names = (
            value
            if isinstance(value, list)
            else [v.strip() for v in str(value or "").replace("\n", ",").split(",")]
        )
        names = [str(n) for n in names if str(n).strip()]
        if names:
            out.append(f"lint.isort.{ruff_key} = {_toml_list(names)}")
    for key, ruff_key in _ISORT_FLAGS.items():
        value = section.get(key)
        if value is True or str(value).strip().lower() == "true":
            out.append(f"lint.isort.{ruff_key} = true")
    lines = section.get("lines_after_imports")
    if lines is not None and str(lines).strip().lstrip("-").isdigit():
        out.append(f"lint.isort.lines-after-imports = {int(str(lines).strip())}")
    return tuple(out)


def _toml_list(names: Iterable[str]) -> str:
    return "[" + ", ".join('"' + n.replace('"', "") + '"' for n in names) + "]"


@dataclass(frozen=True)
class Hook:
    id: str
    args: tuple[str, ...]
    dependencies: tuple[str, ...]


def hooks(root: Path, workspace: Path | None, files: Files) -> tuple[tuple[Hook, ...], str]:
    """The hooks of the nearest `.pre-commit-config.yaml` at or above the root (never above the
    workspace), and its name for words."""
    for folder in [root, *root.parents]:
        config = folder / ".pre-commit-config.yaml"
        data = files.yaml(config)
        if data is not None:
            return _hooks(data), "pre-commit"
        if workspace is None or folder == workspace or not folder.is_relative_to(workspace):
            break
    return (), ""


def _hooks(data: Any) -> tuple[Hook, ...]:
    found = []
    repos = data.get("repos") if isinstance(data, Mapping) else None
    for repo in repos if isinstance(repos, list) else ():
        listed = repo.get("hooks") if isinstance(repo, Mapping) else None
        for hook in listed if isinstance(listed, list) else ():
            if not isinstance(hook, Mapping) or not isinstance(hook.get("id"), str):
                continue
            args, deps = hook.get("args"), hook.get("additional_dependencies")
            found.append(
                Hook(
                    hook["id"],
                    tuple(map(str, args)) if isinstance(args, list) else (),
                    tuple(map(str, deps)) if isinstance(deps, list) else (),
                )
            )
    return tuple(found)


def dependencies(root: Path, pyproject: Mapping[str, Any], files: Files) -> set[str]:
    """Distribution names the project lists for development: optional dependencies, dependency
    groups, Poetry groups, and requirements files at the root — lower case, without versions."""
    specs: list[str] = []
    project = table(pyproject, "project")
    specs += [
        s
        for group in table(project, "optional-dependencies").values()
        if isinstance(group, list)
        for s in group
    ]
    specs += [
        s
        for group in table(pyproject, "dependency-groups").values()
        if isinstance(group, list)
        for s in group
    ]
    poetry = table(pyproject, "tool", "poetry")
    specs += list(table(poetry, "dev-dependencies"))
    for group in table(poetry, "group").values():
        specs += list(table(group, "dependencies"))
    for path in sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt")):
        specs += (files.text(path) or "").splitlines()
    names = set()
    for spec in specs:
        found = _NAME.match(spec) if isinstance(spec, str) else None
        if found and not spec.lstrip().startswith(("#", "-")):
            names.add(found[1].lower().replace("_", "-"))
    return names


def plugin_prefixes(names: Iterable[str]) -> tuple[str, ...]:
    """The Ruff prefixes of the flake8 plugins among `names` (distribution names)."""
    return tuple(dict.fromkeys(PLUGINS[n] for n in names if n in PLUGINS))


def requires_python(pyproject: Mapping[str, Any]) -> str | None:
    """`py39` from `requires-python = ">=3.9"`: the oldest Python the project supports."""
    spec = table(pyproject, "project").get("requires-python")
    found = re.search(r">=?\s*3\.(\d+)", spec) if isinstance(spec, str) else None
    return f"py3{found[1]}" if found else None
