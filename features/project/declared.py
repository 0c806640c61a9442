"""What a project's other tools declare, each read from where that tool itself looks.

pre-commit hooks (`.pre-commit-config.yaml`, by hook `id`), isort's configuration, black's,
the Python versions a project supports, and the development requirements that name flake8, its
plugins or black. Each reader returns None (or nothing) for a tool the project does not use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surefix.features.project.plugins import requirement_name
from surefix.features.project.reading import Reader

PRE_COMMIT = ".pre-commit-config.yaml"
OLDEST, NEWEST = 7, 15  # the Python 3 minors Ruff can target: py37 … py315


# -- pre-commit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    id: str
    args: tuple[str, ...] = ()
    additional_dependencies: tuple[str, ...] = ()

    def option(self, *names: str) -> str | None:
        """The value of `--name VALUE` or `--name=VALUE` in the hook's args."""
        for i, arg in enumerate(self.args):
            for name in names:
                if arg == name and i + 1 < len(self.args):
                    return self.args[i + 1]
                if arg.startswith(f"{name}="):
                    return arg.split("=", 1)[1]
        return None


@dataclass(frozen=True)
class PreCommit:
    where: str  # the file, as users know it
    hooks: tuple[Hook, ...]

    def hook(self, *ids: str) -> Hook | None:
        return next((h for h in self.hooks if h.id in ids), None)


def read_pre_commit(folders: Iterable[Path], reader: Reader) -> PreCommit | None:
    """The hooks of the first `.pre-commit-config.yaml` among `folders` (the project root,
    then the repository's top)."""
    for folder in folders:
        data = reader.yaml(folder / PRE_COMMIT)
        if data is not None:
            return PreCommit(reader.name(folder / PRE_COMMIT), tuple(_hooks(data)))
    return None


def _hooks(data: dict[str, Any]) -> Iterator[Hook]:
    repos = data.get("repos")
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if isinstance(hook, dict) and isinstance(hook.get("id"), str):
                yield Hook(
                    hook["id"],
                    _strings(hook.get("args")),
                    _strings(hook.get("additional_dependencies")),
                )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


# -- requirements ---------------------------------------------------------------------------------

_REQUIREMENTS_FILE = re.compile(r"(.*[-_.])?requirements?([-_.].*)?\.(txt|in)", re.IGNORECASE)


def read_requirements(root: Path, reader: Reader) -> dict[str, str]:
    """Every distribution the project's development setup names -> where it is named:
    requirements files (`requirements*.txt`, `requirements/*.txt`), pyproject's optional
    dependencies and dependency groups (and Poetry's), setup.cfg's extras, tox's `deps`."""
    found: dict[str, str] = {}

    def add(names: Iterable[str], where: str) -> None:
        for line in names:
            name = requirement_name(line)
            if name is not None:
                found.setdefault(name, where)

    for folder, wanted in ((root, _requirements_file), (root / "requirements", _in_requirements)):
        for path in reader.listing(folder, wanted):
            add((reader.text(path) or "").splitlines(), reader.name(path))
    pyproject = reader.toml(root / "pyproject.toml") or {}
    for group in _dict(_dict(pyproject.get("project")).get("optional-dependencies")).values():
        add(_lines(group), "pyproject.toml")
    for group in _dict(pyproject.get("dependency-groups")).values():
        add(_lines(group), "pyproject.toml")
    poetry = _dict(_dict(pyproject.get("tool")).get("poetry"))
    add(_dict(poetry.get("dev-dependencies")), "pyproject.toml")
    for group in _dict(poetry.get("group")).values():
        add(_dict(_dict(group).get("dependencies")), "pyproject.toml")
    setup_cfg = reader.ini(root / "setup.cfg")
    if setup_cfg is not None and setup_cfg.has_section("options.extras_require"):
        for _, value in setup_cfg.items("options.extras_require"):
            add(value.splitlines(), "setup.cfg")
    tox = reader.ini(root / "tox.ini")
    for section in tox.sections() if tox is not None else []:
        if tox.has_option(section, "deps"):
            add(tox.get(section, "deps").splitlines(), "tox.ini")
    return found


def _requirements_file(name: str) -> bool:
    """`requirements.txt`, `dev-requirements.in`, `requirements_test.txt`, ..."""
    return _REQUIREMENTS_FILE.fullmatch(name) is not None


def _in_requirements(name: str) -> bool:
    """What a `requirements/` folder holds: any `.txt` or `.in` file."""
    return _requirements_file(name) or Path(name).suffix in (".txt", ".in")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _lines(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# -- isort ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Isort:
    where: str  # "[tool.isort]", ".isort.cfg", "setup.cfg"
    options: dict[str, Any]  # keys with underscores, as isort spells them

    def settings(self) -> list[tuple[str, Any]]:
        """The isort settings Ruff's isort has too (`profile = "black"` needs none: Ruff's
        import sorting is black-compatible already)."""
        out = []
        for key, (ruff_key, convert) in _ISORT.items():
            value = self.options.get(key)
            converted = convert(value) if value is not None else None
            if converted is not None:
                out.append((ruff_key, converted))
        return out


def read_isort(root: Path, reader: Reader) -> Isort | None:
    """isort's configuration, from the first place isort reads it."""
    ini = reader.ini(root / ".isort.cfg")
    for section in ("settings", "isort", "tool:isort"):
        if ini is not None and ini.has_section(section):
            return Isort(".isort.cfg", _underscored(dict(ini.items(section))))
    tool = _dict((reader.toml(root / "pyproject.toml") or {}).get("tool"))
    if isinstance(tool.get("isort"), dict):
        return Isort("[tool.isort]", _underscored(tool["isort"]))
    for name in ("setup.cfg", "tox.ini"):
        ini = reader.ini(root / name)
        for section in ("isort", "tool:isort"):
            if ini is not None and ini.has_section(section):
                return Isort(name, _underscored(dict(ini.items(section))))
    return None


def _underscored(options: dict[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower().replace("-", "_"): v for k, v in options.items()}


def _names(value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else re.split(r"[,\s]+", str(value))
    names = [str(i).strip() for i in items if str(i).strip()]
    return names or None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    return False if text in ("false", "0", "no", "off") else None


def _count(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


_ISORT: dict[str, tuple[str, Any]] = {
    "known_first_party": ("lint.isort.known-first-party", _names),
    "known_third_party": ("lint.isort.known-third-party", _names),
    "known_local_folder": ("lint.isort.known-local-folder", _names),
    "extra_standard_library": ("lint.isort.extra-standard-library", _names),
    "force_single_line": ("lint.isort.force-single-line", _flag),
    "combine_as_imports": ("lint.isort.combine-as-imports", _flag),
    "force_sort_within_sections": ("lint.isort.force-sort-within-sections", _flag),
    "order_by_type": ("lint.isort.order-by-type", _flag),
    "case_sensitive": ("lint.isort.case-sensitive", _flag),
    "lines_after_imports": ("lint.isort.lines-after-imports", _count),
    "lines_between_types": ("lint.isort.lines-between-types", _count),
    "force_to_top": ("lint.isort.force-to-top", _names),
    "src_paths": ("src", _names),
}


# -- black and the Python version -----------------------------------------------------------------


@dataclass(frozen=True)
class Black:
    where: str  # "[tool.black]", "pre-commit black", "requirements-dev.txt"
    line_length: int | None = None
    target_versions: tuple[str, ...] = ()


def read_black(
    root: Path, reader: Reader, hook: Hook | None, requirements: dict[str, str]
) -> Black | None:
    """black, if the project formats with it: a pre-commit hook, `[tool.black]`, or black (or
    flake8-black) among its development requirements."""
    table = _dict((reader.toml(root / "pyproject.toml") or {}).get("tool")).get("black")
    if hook is not None or isinstance(table, dict):
        table = _dict(table)
        length = _count(table.get("line-length", table.get("line_length", "")))
        targets = table.get("target-version", table.get("target_version", []))
        versions = tuple(targets) if isinstance(targets, list) else (str(targets),)
        if hook is not None:
            length = _count(hook.option("--line-length", "-l") or "") or length
            flagged = hook.option("--target-version", "-t")
            versions = (flagged,) if flagged else versions
        where = "pre-commit black" if hook is not None else "black ([tool.black])"
        return Black(where, length, versions)
    for name in ("black", "flake8-black"):
        if name in requirements:
            return Black(f"black ({requirements[name]})")
    return None


_VERSION = re.compile(r"(>=|~=|===|==|\^|~|>)?\s*(\d+)(?:\.(\d+))?(?:\.[0-9*]+)*")


def python_floor(spec: str) -> str | None:
    """The oldest Python a version specifier admits, as a Ruff target: `>=3.8` -> `py38`,
    `^3.9` -> `py39`, `>=3.8,<4` -> `py38`; None when it sets no lower bound (`<3.12`).
    Older than Ruff can target (`>=2.7`, `>=3.6`) becomes Ruff's oldest, py37: the nearest
    Ruff can do, and far safer than its own newer default."""
    floors = []
    for clause in re.split(r"[,|]+", spec):
        match = _VERSION.fullmatch(clause.strip())
        if match is not None:
            floors.append((int(match.group(2)), int(match.group(3) or 0)))
    return target(*min(floors)) if floors else None


def target(major: int, minor: int) -> str:
    if major < 3:
        return f"py3{OLDEST}"
    return f"py3{min(max(minor, OLDEST), NEWEST)}" if major == 3 else f"py3{NEWEST}"


def pyupgrade_target(args: Iterable[str]) -> str | None:
    """`--py38-plus` -> `py38` (`--py3-plus` says only "Python 3": no target)."""
    for arg in args:
        match = re.fullmatch(r"--py3(\d+)-plus", arg)
        if match:
            return target(3, int(match.group(1)))
    return None


def black_target(versions: Iterable[str]) -> str | None:
    """The oldest of black's `target-version` list (`["py38", "py39"]` -> `py38`)."""
    found = (re.fullmatch(r"py3(\d+)", str(v).strip().lower()) for v in versions)
    minors = [int(m.group(1)) for m in found if m]
    return target(3, min(minors)) if minors else None


def requires_python(root: Path, reader: Reader) -> tuple[str, str] | None:
    """The project's supported Pythons (the specifier) and where it says so: `[project]
    requires-python`, Poetry's `python` dependency, setup.cfg's `python_requires`."""
    pyproject = reader.toml(root / "pyproject.toml") or {}
    spec = _dict(pyproject.get("project")).get("requires-python")
    if isinstance(spec, str):
        return spec, "requires-python (pyproject.toml)"
    poetry_table = _dict(_dict(pyproject.get("tool")).get("poetry"))
    poetry = _dict(poetry_table.get("dependencies")).get("python")
    if isinstance(poetry, str):
        return poetry, "Poetry's python (pyproject.toml)"
    setup_cfg = reader.ini(root / "setup.cfg")
    if setup_cfg is not None and setup_cfg.has_option("options", "python_requires"):
        return setup_cfg.get("options", "python_requires"), "python_requires (setup.cfg)"
    return None


def ruff_formats(config: Path | None, reader: Reader) -> bool:
    """Whether the Ruff configuration has a formatter section (`[format]`, `[tool.ruff.format]`)."""
    data = reader.toml(config) if config is not None else None
    if data is None or config is None:
        return False
    table = _dict(_dict(data.get("tool")).get("ruff")) if config.name == "pyproject.toml" else data
    return isinstance(table.get("format"), dict)
