"""What a project declared about its own style at one commit, turned into Ruff options.

Ruff's suggestions depend on the target Python version, the line length and a few style settings
(quotes, isort, docstring convention). Mining history with Ruff's defaults would offer fixes the
project's developers were never going to make, and label their choice a rejection.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TARGET = "py38"
_VERSIONS = [f"py3{minor}" for minor in range(7, 15)]
_MIN_VERSION = re.compile(r">=?\s*3\.(\d+)|~=\s*3\.(\d+)")
_PYTHON_REQUIRES = re.compile(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]")
_NOT_PACKAGES = {"tests", "test", "docs", "doc", "examples", "scripts", "tools", "benchmarks"}
CONFIG_FILES = ["pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "setup.py", "tox.ini"]


@dataclass(frozen=True)
class ProjectStyle:
    target_version: str = DEFAULT_TARGET
    line_length: int = 88
    overrides: tuple[str, ...] = ()


def read_style(read: Callable[[str], bytes | None], packages: list[str]) -> ProjectStyle:
    """Style from the files at the repository root; `read(name)` returns a file's bytes or None."""
    pyproject = _toml(read("pyproject.toml"))
    ruff_toml = _toml(read("ruff.toml")) or _toml(read(".ruff.toml"))
    tool = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    ruff = ruff_toml or tool.get("ruff") or {}
    lint = ruff.get("lint", {}) if isinstance(ruff.get("lint"), dict) else {}
    cfg = _ini(read("setup.cfg")) or _ini(read("tox.ini"))

    target = (
        _ruff_target(ruff.get("target-version"))
        or _from_specifier(_get(pyproject, "project", "requires-python"))
        or _from_specifier(_setup_py_requires(read("setup.py")))
        or _from_specifier(cfg.get("options", {}).get("python_requires"))
        or _black_target(tool.get("black", {}).get("target-version"))
        or DEFAULT_TARGET
    )
    line_length = _int(ruff.get("line-length")) or _int(tool.get("black", {}).get("line-length"))
    line_length = line_length or _int(cfg.get("flake8", {}).get("max-line-length")) or 88

    overrides = []
    quotes = _setting(ruff, lint, "flake8-quotes", "inline-quotes")
    if quotes in ("single", "double"):
        overrides.append(f'lint.flake8-quotes.inline-quotes = "{quotes}"')
    convention = _setting(ruff, lint, "pydocstyle", "convention")
    if convention in ("google", "numpy", "pep257"):
        overrides.append(f'lint.pydocstyle.convention = "{convention}"')
    isort = tool.get("isort", {}) if isinstance(tool.get("isort"), dict) else {}
    single = _setting(ruff, lint, "isort", "force-single-line") or isort.get("force_single_line")
    if single is True:
        overrides.append("lint.isort.force-single-line = true")
    known = sorted({p for p in packages if p.isidentifier() and p not in _NOT_PACKAGES})
    if known:
        overrides.append(f"lint.isort.known-first-party = {known!r}".replace("'", '"'))
    return ProjectStyle(target, line_length, tuple(overrides))


def _toml(data: bytes | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        return tomllib.loads(data.decode("utf-8", "replace"))
    except (tomllib.TOMLDecodeError, ValueError):
        return {}


def _ini(data: bytes | None) -> dict[str, dict[str, str]]:
    if not data:
        return {}
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(data.decode("utf-8", "replace"))
    except configparser.Error:
        return {}
    return {s: dict(parser[s]) for s in parser.sections()}


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def _setting(ruff: Mapping[str, Any], lint: Mapping[str, Any], section: str, key: str) -> Any:
    for table in (lint.get(section), ruff.get(section)):
        if isinstance(table, Mapping) and key in table:
            return table[key]
    return None


def _ruff_target(value: Any) -> str | None:
    return value if isinstance(value, str) and value in _VERSIONS else None


def _black_target(value: Any) -> str | None:
    if isinstance(value, list):
        found = sorted(v for v in value if isinstance(v, str) and v in _VERSIONS)
        return found[0] if found else None
    return None


def _from_specifier(spec: Any) -> str | None:
    if not isinstance(spec, str):
        return None
    minors = [int(a or b) for a, b in _MIN_VERSION.findall(spec)]
    if not minors:
        return None
    version = f"py3{min(minors)}"
    return version if version in _VERSIONS else ("py37" if min(minors) < 7 else _VERSIONS[-1])


def _setup_py_requires(data: bytes | None) -> str | None:
    if not data:
        return None
    m = _PYTHON_REQUIRES.search(data.decode("utf-8", "replace"))
    return m.group(1) if m else None


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 40 <= number <= 400 else None
