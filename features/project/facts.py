"""What a project wants, in one answer: `project_facts(path, workspace)`.

Without a Ruff configuration, the autopilot (fix-all, fix-on-save, `surefix fix`) applies only
Ruff's default selection plus what the project's other tools declare:

* flake8 (`[tool.flake8]`, `setup.cfg`, `tox.ini`, `.flake8`, or just installed): what it
  reports, translated to Ruff's codes, including the plugins the project declares; its ignores
  subtract from everything. An explicit flake8 `select` restricts flake8's part only: Ruff's
  default stays, since it is what Ruff applies to any project and is flake8's own pyflakes and
  pycodestyle errors anyway.
* isort (its configuration or a pre-commit hook) -> `I`; pre-commit pyupgrade -> `UP` and the
  target version, autoflake and pycln -> `F401`, yesqa -> `RUF100`, pydocstyle -> `D`.
* A project that formats with black or Ruff's formatter never gets a fix from a rule that
  conflicts with the formatter, configured or not (`FORMATTER_CONFLICTS`).

With a Ruff configuration, Ruff's own selection decides what is reported, and every rule it
reports is chosen but the formatter's conflicts.

`ruff_overrides` carries over what those tools were told that Ruff has a setting for (line
lengths, isort's known packages, flake8 plugins' options, per-file ignores), as `--config`
values for a project without a Ruff configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from surefix.features.project.declared import (
    Black,
    Isort,
    PreCommit,
    black_target,
    python_floor,
    pyupgrade_target,
    read_black,
    read_isort,
    read_pre_commit,
    read_requirements,
    requires_python,
    ruff_formats,
)
from surefix.features.project.flake8 import Flake8, read_config
from surefix.features.project.plugins import PLUGINS, requirement_name
from surefix.features.project.reading import Reader, Stamp
from surefix.features.project.root import git_top, project_root, resolved, ruff_config_from
from surefix.features.project.selectors import Verdict, decide, is_ruff_code, selects
from surefix.features.project.toml_values import setting

__all__ = [
    "CHOICES",
    "FORMATTER_CONFLICTS",
    "RUFF_DEFAULT_SELECT",
    "NoqaTool",
    "ProjectFacts",
    "project_facts",
    "project_root",
    "read_facts",
    "selects",
]

RUFF_DEFAULT_SELECT = ("E4", "E7", "E9", "F")  # Ruff's own default selection
# Ruff's formatter docs, "Conflicting lint rules": black makes the same choices.
FORMATTER_CONFLICTS = (
    "W191", "E111", "E114", "E117", "D206", "D300", "Q000", "Q001", "Q002", "Q003",
    "COM812", "COM819", "ISC001", "ISC002",
)  # fmt: skip
RUFF_DEFAULT_LINE_LENGTH = 88
# `ProjectFacts.choice`: selected by its own code, by a prefix (`UP`, `ALL`), by another tool's
# configuration (flake8, isort, pre-commit hooks), by Ruff's default selection only, not at all.
CHOICES = ("explicit", "prefix", "other_tool", "default", "unselected", "ignored")
DEFAULTS = "<Ruff's defaults>"  # the selector `ProjectFacts.defaults` decides with
_FORMATTER_WORDS = {"black": "black", "ruff": "ruff format"}


@dataclass(frozen=True)
class NoqaTool:
    """A tool other than Ruff that reads `# noqa: CODE` comments, and the codes it reports
    (its own prefixes: flake8-commas says `C812` where Ruff says `COM812`)."""

    name: str  # "flake8 (.flake8)"
    codes: tuple[str, ...]

    def uses(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.codes)


@dataclass(frozen=True)
class ProjectFacts:
    """What one project chose. Built by `project_facts`; cached per root by `FactsCache`."""

    root: Path  # where Ruff must run (cwd) and what it resolves from
    ruff_config: Path | None = None  # the Ruff configuration governing the project's files
    select: tuple[str, ...] = RUFF_DEFAULT_SELECT  # what the autopilot may apply (no config)
    ignore: tuple[str, ...] = ()
    formatter: str | None = None  # "black" | "ruff" | None
    target_version: str | None = None  # "py38"
    ruff_overrides: tuple[str, ...] = ()  # `--config` values (no Ruff config only)
    declared_by: tuple[str, ...] = ()  # words for users: "flake8 (.flake8)", "pre-commit black"
    noqa_tools: tuple[NoqaTool, ...] = ()
    problems: tuple[str, ...] = ()  # files skipped because they could not be parsed
    selected_by: tuple[tuple[str, str], ...] = ()  # selector -> who declared it
    ignored_by: tuple[tuple[str, str], ...] = ()
    # Every code the Ruff in use checks unconfigured (it is far more than `RUFF_DEFAULT_SELECT`
    # in recent versions: `features.ruff.run.default_rules`). Chosen where nothing ignores them.
    defaults: frozenset[str] = frozenset()
    line_length: int = RUFF_DEFAULT_LINE_LENGTH  # the formatter's (or flake8's) line length
    # What the Ruff configuration selects (`select`, else Ruff's default, then `extend-select`)
    # and ignores; configured projects only.
    ruff_select: tuple[str, ...] = RUFF_DEFAULT_SELECT
    ruff_ignore: tuple[str, ...] = ()
    ruff_select_given: bool = False  # the configuration has its own `select`
    # Rules whose fixes the project's own tool would write otherwise (I001 under an isort
    # configuration Ruff cannot be told all of), with why: still linted, never automatic.
    unfollowed: tuple[tuple[str, str], ...] = ()

    @property
    def configured(self) -> bool:
        return self.ruff_config is not None

    def conflicts_with_formatter(self, rule: str) -> bool:
        return self.formatter is not None and rule in FORMATTER_CONFLICTS

    def chooses(self, rule: str) -> bool:
        """Whether the project asked for `rule`'s fixes, so the autopilot may apply them."""
        if self.conflicts_with_formatter(rule) or self._unfollowed(rule):
            return False
        return self.configured or self._decide(rule)[0] is Verdict.SELECTED

    def _decide(self, rule: str) -> tuple[Verdict, str | None]:
        """`decide`, with Ruff's own defaults below every selector the project wrote: they
        count only where nothing the project declared ignores the rule."""
        verdict, selector = decide(self.select, self.ignore, rule)
        unignored = not any(selects(s, rule) for s in self.ignore)
        if verdict is Verdict.UNSELECTED and rule in self.defaults and unignored:
            return Verdict.SELECTED, DEFAULTS
        return verdict, selector

    def choice(self, rule: str) -> str:
        """How the project's own configuration treats `rule`, as one of `CHOICES`: the same
        answer for a mined commit and for the file open in the editor, so the trust model
        learns what a project's choice means for whether a fix is kept."""
        if self.configured:
            verdict, selector = decide(self.ruff_select, self.ruff_ignore, rule)
            by_default = not self.ruff_select_given and selector in RUFF_DEFAULT_SELECT
        else:
            verdict, selector = self._decide(rule)
            who = dict(self.selected_by).get(selector or "")
            by_default = selector == DEFAULTS or who == "Ruff's default"
        if verdict is Verdict.IGNORED:
            return "ignored"
        if verdict is Verdict.UNSELECTED:
            return "unselected"
        if by_default:
            return "default"
        if not self.configured:
            return "other_tool"
        return "explicit" if (selector or "").strip().upper() == rule else "prefix"

    def why(self, rule: str) -> str | None:
        """Who chose `rule` ("pre-commit pyupgrade"), None when the project did not."""
        if not self.chooses(rule):
            return None
        if self.ruff_config is not None:
            return f"Ruff ({_name(self.ruff_config, self.root)})"
        selector = self._decide(rule)[1]
        if selector == DEFAULTS:
            return "Ruff's default"
        return dict(self.selected_by).get(selector or "")

    def why_not(self, rule: str) -> str | None:
        """None if the project chooses `rule`; else why not, in a few words for a hover, a
        summary line or the CLI."""
        if self.conflicts_with_formatter(rule):
            name = _FORMATTER_WORDS.get(self.formatter or "", self.formatter)
            return f"this project formats with {name}, and {rule} conflicts with the formatter"
        unfollowed = self._unfollowed(rule)
        if unfollowed:
            return unfollowed
        if self.configured:
            return None
        verdict, selector = self._decide(rule)
        if verdict is Verdict.IGNORED:
            return f"this project ignores {rule} ({dict(self.ignored_by).get(selector or '')})"
        if verdict is Verdict.UNSELECTED:
            return f"this project does not select {rule}"
        return None

    def _unfollowed(self, rule: str) -> str | None:
        return next((why for code, why in self.unfollowed if code == rule), None)

    def protects_noqa(self, code: str, known: Callable[[str], bool] | None = None) -> bool:
        """Whether `# noqa: code` must survive RUF100: a tool of the project other than Ruff
        reads it, or it is no code Ruff knows (`known`, by default the pinned Ruff's list), so
        it is another tool's.

        A code the tool reports counts even where its configuration ignores it: a stale
        directive costs nothing, while removing one the tool still needs (under a
        `per-file-ignores`, a command-line `--extend-ignore` in CI, or once the ignore list
        shrinks) breaks that tool's run. mypy's `# type: ignore` is not a noqa and is never
        asked about."""
        code = code.strip().upper()
        if any(tool.uses(code) for tool in self.noqa_tools):
            return True
        return not (known or is_ruff_code)(code)


def _name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def project_facts(
    path: Path, workspace: Path | None = None, defaults: Iterable[str] = ()
) -> ProjectFacts:
    """What the project of the file `path` chose (see the module's docstring). Never raises
    for a project's files: one that cannot be parsed is skipped and named in `problems`.
    `defaults`: the codes the Ruff in use checks unconfigured (`ProjectFacts.defaults`)."""
    return read_facts(project_root(path, workspace), workspace, defaults)[0]


def read_facts(
    root: Path, workspace: Path | None = None, defaults: Iterable[str] = ()
) -> tuple[ProjectFacts, Stamp]:
    """The facts of the project at `root`, and the `Stamp` of every file read or probed."""
    reader = Reader(root)
    workspace = resolved(workspace) if workspace is not None else None
    facts = _Collect(root, workspace, reader).facts()
    if not facts.configured:
        facts = replace(facts, defaults=frozenset(defaults))
    return facts, reader.stamp()


@dataclass
class _Collect:
    """One reading of one project: each tool adds what it declares, with who declared it."""

    root: Path
    workspace: Path | None
    reader: Reader
    select: dict[str, str] = field(default_factory=dict)
    ignore: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    declared: list[str] = field(default_factory=list)
    noqa: list[NoqaTool] = field(default_factory=list)
    black: Black | None = None
    isort: Isort | None = None

    def choose(self, selectors: Iterable[str], who: str) -> None:
        for selector in selectors:
            self.select.setdefault(selector, who)

    def refuse(self, selectors: Iterable[str], who: str) -> None:
        for selector in selectors:
            self.ignore.setdefault(selector, who)

    def say(self, who: str) -> None:
        if who not in self.declared:
            self.declared.append(who)

    def set(self, key: str, value: Any) -> None:
        self.settings.setdefault(key, value)

    def facts(self) -> ProjectFacts:
        root, reader = self.root, self.reader
        config = ruff_config_from(root, reader)
        if config is not None:
            self.say(f"Ruff ({_name(config, root)})")
        top = git_top(root, self.workspace, reader)
        pre_commit = read_pre_commit(dict.fromkeys([root, top or root]), reader)
        requirements = read_requirements(root, reader)
        self.choose(RUFF_DEFAULT_SELECT, "Ruff's default")
        black_hook = pre_commit.hook("black", "black-jupyter") if pre_commit else None
        self.black = read_black(root, reader, black_hook, requirements)

        formatter = self._formatter(config, pre_commit)
        flake8 = self._flake8(pre_commit, requirements)
        self._isort(pre_commit)
        self._hooks(pre_commit)
        target = self._target(pre_commit)
        self._line_length(formatter, flake8)
        if "D" in self.select and "lint.pydocstyle.convention" not in self.settings:
            self.set("lint.pydocstyle.convention", "pep257")  # pydocstyle's own default

        configured = config is not None
        ruff = _ruff_table(config, reader)
        lint = _table(ruff.get("lint"))
        line_length = _length(ruff.get("line-length")) if configured else None
        given = _codes(lint, ruff, "select")
        wraps = _length(self.settings.get("line-length")) or RUFF_DEFAULT_LINE_LENGTH
        unfollowed = self.isort.unfollowed(wraps) if self.isort and not configured else []
        return ProjectFacts(
            root=root,
            ruff_config=config,
            select=() if configured else tuple(self.select),
            ignore=() if configured else tuple(self.ignore),
            formatter=formatter,
            target_version=_ruff_target(ruff.get("target-version")) or target,
            line_length=line_length
            or _length(self.settings.get("line-length"))
            or RUFF_DEFAULT_LINE_LENGTH,
            ruff_select=(given or RUFF_DEFAULT_SELECT) + _codes(lint, ruff, "extend-select"),
            ruff_select_given=bool(given),
            ruff_ignore=_codes(lint, ruff, "ignore") + _codes(lint, ruff, "extend-ignore"),
            ruff_overrides=()
            if configured
            else tuple(setting(k, v) for k, v in self.settings.items()),
            declared_by=tuple(self.declared),
            noqa_tools=tuple(self.noqa),
            problems=tuple(reader.problems),
            selected_by=() if configured else tuple(self.select.items()),
            ignored_by=() if configured else tuple(self.ignore.items()),
            unfollowed=(("I001", _unfollowed_words(self.isort, unfollowed)),) if unfollowed else (),
        )

    # -- each tool ------------------------------------------------------------------------------

    def _formatter(self, config: Path | None, pre_commit: PreCommit | None) -> str | None:
        """Ruff's formatter when pre-commit runs it, else black when anything names it, else
        Ruff's when its configuration has a `format` section."""
        if pre_commit is not None and pre_commit.hook("ruff-format"):
            self.say("pre-commit ruff-format")
            return "ruff"
        if self.black is not None:
            self.say(self.black.where)
            return "black"
        if ruff_formats(config, self.reader):
            return "ruff"
        return None

    def _flake8(self, pre_commit: PreCommit | None, requirements: dict[str, str]) -> Flake8 | None:
        config = read_config(self.root, self.reader)
        hook = pre_commit.hook("flake8") if pre_commit else None
        declared: dict[str, str] = {}  # plugin -> where
        for line in hook.additional_dependencies if hook else ():
            name = requirement_name(line)
            if name:
                declared.setdefault(name, "pre-commit flake8")
        for name, where in requirements.items():
            declared.setdefault(name, where)
        plugins = {name: PLUGINS[name] for name in declared if name in PLUGINS}
        flake8_named = any(n in requirements for n in _FLAKE8_DISTRIBUTIONS)
        if config is None and hook is None and not flake8_named and not plugins:
            return None
        if config is not None:
            where = f"flake8 ({config.source})"
        elif hook is not None:
            where = "pre-commit flake8"
        else:
            where = f"flake8 ({requirements.get('flake8') or declared[next(iter(plugins))]})"
        flake8 = Flake8(config, tuple(plugins.values()), where)
        self.say(where)
        for name in plugins:
            self.say(f"{name} ({declared[name]})")
        self.choose((s for s, _ in flake8.ruff_select()), where)
        for selector, who in flake8.ruff_ignore():
            self.refuse([selector], who)  # each with its own words: config or default list
        for key, value in flake8.settings():
            self.set(key, value)
        self.noqa.append(NoqaTool(where, flake8.reports()))
        return flake8

    def _isort(self, pre_commit: PreCommit | None) -> None:
        isort = self.isort = read_isort(self.root, self.reader)
        if isort is not None:
            who = f"isort ({isort.where})"
            self.say(who)
            self.choose(["I"], who)
            for key, value in isort.settings():
                self.set(key, value)
        if pre_commit is not None and pre_commit.hook("isort"):
            self.say("pre-commit isort")
            self.choose(["I"], "pre-commit isort")

    def _hooks(self, pre_commit: PreCommit | None) -> None:
        """The pre-commit hooks that do what a Ruff rule's fix does."""
        for hook in pre_commit.hooks if pre_commit else ():
            who = f"pre-commit {hook.id}"
            chosen = _HOOK_RULES.get(hook.id)
            if chosen is None:
                continue
            self.say(who)
            self.choose(chosen, who)
            if hook.id == "pyupgrade":
                if "--keep-runtime-typing" in hook.args:
                    self.set("lint.pyupgrade.keep-runtime-typing", True)
                if "--keep-percent-format" in hook.args:
                    self.refuse(["UP031"], f"{who} --keep-percent-format")
                if "--keep-mock" in hook.args:
                    self.refuse(["UP026"], f"{who} --keep-mock")
            elif hook.id == "autoflake":
                if "--remove-unused-variables" in hook.args:
                    self.choose(["F841"], who)
                if "--remove-duplicate-keys" in hook.args:
                    self.choose(["F601"], who)
            elif hook.id == "pydocstyle":
                self.noqa.append(NoqaTool(who, ("D",)))
                convention = hook.option("--convention")
                if convention in ("pep257", "numpy", "google"):
                    self.set("lint.pydocstyle.convention", convention)
            elif hook.id == "pycodestyle":
                self.noqa.append(NoqaTool(who, ("E", "W")))

    def _target(self, pre_commit: PreCommit | None) -> str | None:
        """pyupgrade's `--pyXY-plus`, else the supported Pythons, else black's oldest target."""
        hook = pre_commit.hook("pyupgrade") if pre_commit else None
        found = pyupgrade_target(hook.args) if hook else None
        if found is None:
            spec = requires_python(self.root, self.reader)
            found = python_floor(spec[0]) if spec else None
            if found is not None and spec is not None:
                self.say(spec[1])
        if found is None and self.black is not None:
            found = black_target(self.black.target_versions)
        return found

    def _line_length(self, formatter: str | None, flake8: Flake8 | None) -> None:
        """With a formatter, `line-length` is the formatter's (isort's wrapping must agree
        with it, or I001's fix and black undo each other) and flake8's `max-line-length`
        becomes E501's own limit; without one, flake8's is the line length."""
        formatted = self.black.line_length if self.black is not None else None
        checked = flake8.max_line_length() if flake8 is not None else None
        if formatter is None:
            if checked:
                self.set("line-length", checked)
            return
        if formatted:
            self.set("line-length", formatted)
        if checked and checked != (formatted or RUFF_DEFAULT_LINE_LENGTH):
            self.set("lint.pycodestyle.max-line-length", checked)


def _unfollowed_words(isort: Isort | None, settings: list[str]) -> str:
    where = isort.where if isort is not None else "isort"
    more = f" and {len(settings) - 3} more" if len(settings) > 3 else ""
    shown = ", ".join(settings[:3]) + more
    return f"this project's isort ({where}) sorts imports as Ruff cannot be told to: {shown}"


def _ruff_table(config: Path | None, reader: Reader) -> dict[str, Any]:
    """The Ruff settings of `config`: all of a ruff.toml, `[tool.ruff]` of a pyproject.toml."""
    data = reader.toml(config) if config is not None else None
    if config is None or data is None:
        return {}
    return _table(_table(data.get("tool")).get("ruff")) if config.name == "pyproject.toml" else data


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _codes(lint: dict[str, Any], ruff: dict[str, Any], key: str) -> tuple[str, ...]:
    """`lint.<key>` and the older top-level `<key>`, as upper-case selectors."""
    found: list[str] = []
    for table in (lint, ruff):
        value = table.get(key)
        if isinstance(value, list):
            found += [v.strip().upper() for v in value if isinstance(v, str)]
    return tuple(found)


def _length(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _ruff_target(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith("py3") else None


_FLAKE8_DISTRIBUTIONS = ("flake8", "flake8-pyproject", "pyproject-flake8")

# pre-commit hook id -> the Ruff rules whose fixes do the hook's work.
_HOOK_RULES: dict[str, tuple[str, ...]] = {
    "pyupgrade": ("UP",),
    "autoflake": ("F401",),
    "pycln": ("F401",),
    "yesqa": ("RUF100",),
    "pydocstyle": ("D",),
    "pycodestyle": ("E", "W"),
    "flynt": ("FLY",),
    "add-trailing-comma": ("COM812",),
}
