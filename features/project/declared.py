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
        import sorting is black-compatible already), custom sections included."""
        out = []
        for key, (ruff_key, convert) in _ISORT.items():
            value = self.options.get(key)
            converted = convert(value) if value is not None else None
            if converted is not None:
                out.append((ruff_key, converted))
        for name in self._custom_sections():
            known = _names(self.options.get(f"known_{name}", ""))
            if known:
                out.append((f"lint.isort.sections.{name}", known))
        return out

    def unfollowed(self, line_length: int) -> list[str]:
        """The settings by which isort writes imports otherwise than Ruff's isort can be told
        to: a profile other than black's, how long imports wrap where it is not black's way
        (isort's own default is a grid), a line length other than the one Ruff wraps imports
        at, and anything else Ruff has no setting for. Where there is one, I001's fix is not
        what the project's isort writes."""
        profile = str(self.options.get("profile", "")).strip().lower()
        out = [f"profile = {profile}"] if profile not in ("", "black") else []
        custom = {f"known_{name}" for name in self._custom_sections()}
        for key, value in self.options.items():
            if key in _ISORT or key in _ISORT_RUNS or key in custom or key in _WRAPPING:
                continue
            if key not in ("profile", "line_length"):
                out.append(f"{key} = {value}")
        own_way = False  # a wrapping setting left to isort's default, which is not black's
        for key, (isort_default, black) in _WRAPPING.items():
            if key in self.options:
                if str(self.options[key]).strip().lower() not in black:
                    out.append(f"{key} = {self.options[key]}")
            elif profile != "black" and isort_default not in black:
                own_way = True
        if own_way:
            out.append('no profile = "black" (isort then wraps long imports its own way)')
        given = _count(self.options.get("line_length", ""))
        wraps = given or (88 if profile == "black" else 79)  # isort's own defaults
        if wraps != line_length:
            out.append(f"line_length = {wraps} (Ruff wraps imports at {line_length})")
        return out

    def _custom_sections(self) -> list[str]:
        names = _names(self.options.get("sections", "")) or []
        return [n.lower() for n in names if n.upper() not in _SECTIONS]


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


# isort's section names, as Ruff's isort spells them.
_SECTIONS = {
    "FUTURE": "future",
    "STDLIB": "standard-library",
    "THIRDPARTY": "third-party",
    "FIRSTPARTY": "first-party",
    "LOCALFOLDER": "local-folder",
}


def _section(value: Any) -> str | None:
    name = str(value).strip()
    return _SECTIONS.get(name.upper(), name.lower()) if name else None


def _sections(value: Any) -> list[str] | None:
    names = _names(value)
    return [s for s in (_section(n) for n in names) if s] if names else None


# isort settings that choose which files it reads or how it runs, not what it writes.
_ISORT_RUNS = frozenset(
    {
        "skip", "skip_glob", "extend_skip", "extend_skip_glob", "skip_gitignore",
        "filter_files", "py_version", "virtual_env", "conda_env", "color_output", "quiet",
        "verbose", "show_diff", "check", "atomic", "jobs", "settings_path", "settings_file",
        "supported_extensions", "blocked_extensions", "only_modified", "overwrite_in_place",
        "follow_links", "honor_noqa",
    }
)  # fmt: skip

_TRUE = ("true", "1", "yes", "on")
# How isort wraps an import too long for a line: (isort's own default, the values that write
# what `profile = "black"` — and Ruff's isort — write).
_WRAPPING: dict[str, tuple[str, tuple[str, ...]]] = {
    "multi_line_output": ("0", ("3", "vertical_hanging_indent", "mode.vertical_hanging_indent")),
    "include_trailing_comma": ("false", _TRUE),
    "force_grid_wrap": ("0", ("0", "false")),
    "use_parentheses": ("false", _TRUE),
    "ensure_newline_before_comments": ("false", _TRUE),
    "split_on_trailing_comma": ("false", _TRUE),
}

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
    "sections": ("lint.isort.section-order", _sections),
    "default_section": ("lint.isort.default-section", _section),
    "no_lines_before": ("lint.isort.no-lines-before", _sections),
    "single_line_exclusions": ("lint.isort.single-line-exclusions", _names),
    "force_wrap_aliases": ("lint.isort.force-wrap-aliases", _flag),
    "from_first": ("lint.isort.from-first", _flag),
    "length_sort": ("lint.isort.length-sort", _flag),
    "no_sections": ("lint.isort.no-sections", _flag),
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
