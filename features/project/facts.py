"""What a project chose, from its own files: where Ruff must run, which rules the autopilot may
apply, how the project formats, and which `# noqa` codes its other tools read.

The mined trust score says how often a fix is kept where its rule is wanted; it cannot say
whether this project wants the rule. A quick fix the user asks for answers that by being asked;
an automatic fix must answer it from the project. With a Ruff configuration, Ruff's selection
decides. Without one, the autopilot takes Ruff's own default selection plus what the project's
other tools declare: flake8 (its selection, ignores, line length and the plugins Ruff
implements), isort, and the pyupgrade / autoflake / pycln / isort hooks of pre-commit. A project
formatted by black or Ruff never gets the rules that fight the formatter automatically.
The language server, `surefix fix` and the history miner all call `project_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surefix.features.project import declared
from surefix.features.project.selectors import selects, specificity

RUFF_DEFAULT_SELECT = ("E4", "E7", "E9", "F")  # Ruff's documented default; see `defaults`
# Ruff's "conflicting lint rules" for its formatter (and black): never applied automatically.
FORMATTER_CONFLICTS = (
    "W191", "E111", "E114", "E117", "D206", "D300", "Q000", "Q001", "Q002", "Q003", "COM812",
    "COM819", "ISC001", "ISC002",
)  # fmt: skip
ROOT_MARKERS = ("pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".git")
_RUFF_FILES = ("ruff.toml", ".ruff.toml")
_PLUS = re.compile(r"^--py3(\d+)-plus$")
HOOK_RULES = {"pyupgrade": ("UP",), "pycln": ("F401",), "autoflake": ("F401",), "isort": ("I",)}


@dataclass(frozen=True)
class ProjectFacts:
    """One project's choices, with the words that say where each came from."""

    root: Path
    ruff_config: Path | None
    defaults: tuple[str, ...] = RUFF_DEFAULT_SELECT  # what Ruff checks unconfigured
    select: tuple[str, ...] = ()  # what the project's other tools declare
    ignore: tuple[str, ...] = ()
    formatter: str | None = None  # "black" or "ruff"
    target_version: str | None = None
    ruff_overrides: tuple[str, ...] = ()  # `--config` values, for a project without Ruff config
    declared_by: tuple[str, ...] = ()
    noqa_select: tuple[str, ...] = ()  # codes the project's other tools report (flake8's)
    problems: tuple[str, ...] = ()

    @property
    def configured(self) -> bool:
        return self.ruff_config is not None

    def chooses(self, rule: str) -> bool:
        return self.why_not(rule) is None

    def why_not(self, rule: str) -> str | None:
        """None when the autopilot may apply `rule`; otherwise why not, in words."""
        if self.formatter and rule in FORMATTER_CONFLICTS:
            return f"this project formats with {self.formatter}, and {rule} fights the formatter"
        if self.configured:
            return None  # Ruff reports only what the project's configuration selects
        declared = [specificity(s) for s in self.select if selects(s, rule)]
        ignored = [specificity(s) for s in self.ignore if selects(s, rule)]
        if ignored and (not declared or max(ignored) >= max(declared)):
            return f"this project ignores {rule}"  # even where Ruff's defaults have it
        if declared or any(selects(d, rule) for d in self.defaults):
            return None
        return f"this project does not select {rule}"

    def protects_noqa(self, code: str) -> bool:
        """Whether another of the project's tools reads `# noqa: CODE` (RUF100 must keep it)."""
        return any(selects(s, code) for s in self.noqa_select)


def find_ruff_config(path: Path, files: declared.Files | None = None) -> Path | None:
    """The Ruff configuration file that governs `path`, the way Ruff itself looks for it;
    every file looked at is remembered in `files`."""
    files = files or declared.Files()
    for folder in [path.parent, *path.parent.parents] if path.suffix else [path, *path.parents]:
        for name in _RUFF_FILES:
            if files.exists(folder / name):
                return folder / name
        pyproject = folder / "pyproject.toml"
        if files.exists(pyproject) and "ruff" in declared.table(files.toml(pyproject), "tool"):
            return pyproject
    return None


def project_root(path: Path, workspace: Path | None = None) -> Path:
    """The nearest folder at or above the file's holding a project marker, never above the
    workspace folder the file is in. No marker: that workspace folder, else the file's own."""
    start = path.parent if path.suffix or not path.is_dir() else path
    inside = workspace is not None and start.is_relative_to(workspace)
    for folder in [start, *start.parents]:
        if inside and workspace is not None and not folder.is_relative_to(workspace):
            break
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
        if inside and folder == workspace:
            break
    return workspace if inside and workspace is not None else start


def project_facts(
    path: Path, workspace: Path | None = None, defaults: tuple[str, ...] = RUFF_DEFAULT_SELECT
) -> ProjectFacts:
    """The facts of the project `path` belongs to; `defaults` is Ruff's own default selection
    (`features.ruff.run.default_rules` asks the Ruff in use)."""
    return _read(path.resolve(), workspace.resolve() if workspace else None, defaults)[0]


def _read(
    path: Path, workspace: Path | None, defaults: tuple[str, ...]
) -> tuple[ProjectFacts, dict[Path, int | None]]:
    root = project_root(path, workspace)
    files = declared.Files()
    ruff_config = find_ruff_config(path, files)
    pyproject = files.toml(root / "pyproject.toml")
    hooks, hook_source = declared.hooks(root, workspace, files)
    names = declared.dependencies(root, pyproject, files)
    by_id = {h.id: h for h in hooks}
    flake8_hook = by_id.get("flake8")
    plugin_names = names | {_name(d) for d in (flake8_hook.dependencies if flake8_hook else ())}
    plugins = declared.plugin_prefixes(plugin_names)
    flake8 = declared.flake8(root, pyproject, files, plugins)
    if flake8 is None and flake8_hook is not None:
        flake8 = declared.Flake8(
            "flake8 (pre-commit)", (*declared.FLAKE8_DEFAULT_SELECT, *plugins),
            declared.FLAKE8_DEFAULT_IGNORE, None,
        )  # fmt: skip
    isort = declared.isort(root, pyproject, files)

    select: list[str] = []
    ignore: list[str] = []
    overrides: list[str] = []
    sources = ["Ruff's defaults"]
    if flake8 is not None:
        select += flake8.select
        ignore += flake8.ignore
        sources.append(flake8.source)
    if isort is not None:
        select.append("I")
        overrides += isort.overrides
        sources.append(isort.source)
    target = declared.requires_python(pyproject)
    for hook in hooks:
        rules: tuple[str, ...] = HOOK_RULES.get(hook.id, ())
        if hook.id == "autoflake" and "--remove-unused-variables" in hook.args:
            rules += ("F841",)
        if rules:
            select += rules
            sources.append(f"{hook_source} {hook.id}")
        for arg in hook.args if hook.id == "pyupgrade" else ():
            plus = _PLUS.match(arg)
            target = f"py3{plus[1]}" if plus else target
    length = (flake8.max_line_length if flake8 else None) or _int(
        declared.table(pyproject, "tool", "black").get("line-length")
    )
    if length:
        overrides.append(f"line-length = {length}")
    facts = ProjectFacts(
        root=root,
        ruff_config=ruff_config,
        defaults=defaults,
        select=tuple(dict.fromkeys(select)),
        ignore=tuple(dict.fromkeys(ignore)),
        formatter=_formatter(pyproject, by_id, names),
        target_version=target,
        ruff_overrides=tuple(overrides),
        declared_by=tuple(dict.fromkeys(sources)),
        noqa_select=flake8.select if flake8 else (),
        problems=tuple(files.problems),
    )
    return facts, files.seen


def _formatter(
    pyproject: Mapping[str, Any], hooks: Mapping[str, Any], names: set[str]
) -> str | None:
    if "black" in declared.table(pyproject, "tool") or {"black", "black-jupyter"} & set(hooks):
        return "black"
    if declared.table(pyproject, "tool", "ruff", "format") or "ruff-format" in hooks:
        return "ruff"
    return "black" if "black" in names else None


def _name(spec: str) -> str:
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return found[1].lower().replace("_", "-") if found else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class FactsCache:
    """Facts per project root, read again only when a file they came from (or could have come
    from) changed: linting on every keystroke must not parse TOML, INI and YAML each time."""

    def __init__(self, defaults: tuple[str, ...] = RUFF_DEFAULT_SELECT) -> None:
        self.defaults = defaults
        self._known: dict[
            tuple[Path, Path | None], tuple[ProjectFacts, dict[Path, int | None]]
        ] = {}

    def get(self, path: Path, workspace: Path | None) -> ProjectFacts:
        path = path.resolve()
        workspace = workspace.resolve() if workspace else None
        key = (project_root(path, workspace), workspace)
        known = self._known.get(key)
        if (
            known is not None
            and _unchanged(known[1])
            and known[0].ruff_config == find_ruff_config(path)
        ):
            return known[0]
        facts, seen = _read(path, workspace, self.defaults)
        self._known[key] = (facts, seen)
        return facts


def _unchanged(seen: Mapping[Path, int | None]) -> bool:
    for path, mtime in seen.items():
        try:
            now: int | None = path.stat().st_mtime_ns
        except OSError:
            now = None
        if now != mtime:
            return False
    return True
