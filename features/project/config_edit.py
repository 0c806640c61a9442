"""Writing one Ruff setting into the project's own configuration, keeping the rest of the file.

The file is the one Ruff reads for the project (`ProjectFacts.ruff_config`); a project without
one gets `[tool.ruff.lint]` in its `pyproject.toml`, or a new `ruff.toml`. The text is edited
with tomlkit, which keeps comments, blank lines, quoting and the order of keys, so only the
lines of the setting change. An entry is merged into the array or table the file already has,
and where the file already says it (a selector that covers the rule, in `lint` or at the top
level), nothing is written.

Where a key goes follows how Ruff reads the file: `lint.KEY` wins over a deprecated top-level
`KEY` (Ruff takes one or the other, not both), so a key the file keeps at the top level is
extended there; a new key goes under `lint`. A file that `extend`s another and has no
`per-file-ignores` of its own gets `extend-per-file-ignores`: its own `per-file-ignores` would
replace the base's instead of adding to them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, InlineTable, Table

from surefix.features.project.facts import ProjectFacts
from surefix.features.project.root import RUFF_FILES
from surefix.features.project.selectors import selects
from surefix.features.project.toml_values import toml_value

UNFIXABLE, IGNORES, SAFE = "unfixable", "per-file-ignores", "extend-safe-fixes"
EXTEND_IGNORES = "extend-per-file-ignores"
_LONE_LF = re.compile(r"(?<!\r)\n")


class ConfigUnreadable(ValueError):
    """The configuration file is not TOML tomlkit can round-trip: nothing is written."""


@dataclass(frozen=True)
class Setting:
    """One entry: `key` (`unfixable`, `extend-safe-fixes` or `per-file-ignores`) gets `rule`,
    under `glob` for a per-file ignore (relative to the configuration's folder)."""

    key: str
    rule: str
    glob: str | None = None

    def words(self) -> str:
        """`per-file-ignores = {"tests/**" = ["F841"]}`: the entry as TOML, on one line."""
        value: Any = {self.glob: [self.rule]} if self.glob is not None else [self.rule]
        return f"{self.key} = {toml_value(value)}"


@dataclass(frozen=True)
class ConfigWrite:
    """The configuration file before and after a setting is written into it."""

    path: Path
    before: str | None  # None: the file does not exist yet
    after: str
    table: str  # where the entry went, as a header: `[tool.ruff.lint]`, `[lint]`, `[tool.ruff]`

    def diff(self, name: str | None = None) -> str:
        """The change as a unified diff (`--- a/NAME`, `+++ b/NAME`), for a client to show
        before it asks for the write; a new file's diff is against `/dev/null`."""
        name = name or self.path.name
        old = (self.before or "").splitlines(keepends=True)
        new = self.after.splitlines(keepends=True)
        source = f"a/{name}" if self.before is not None else "/dev/null"
        lines = difflib.unified_diff(old, new, source, f"b/{name}")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def config_target(facts: ProjectFacts) -> Path:
    """The file a setting for the project `facts` describe goes into: the Ruff configuration
    Ruff reads for it, else its `pyproject.toml`, else a new `ruff.toml` at its root."""
    if facts.ruff_config is not None:
        return facts.ruff_config
    pyproject = facts.root / "pyproject.toml"
    return pyproject if pyproject.is_file() else facts.root / RUFF_FILES[1]


def write_setting(path: Path, before: str | None, setting: Setting) -> ConfigWrite | None:
    """`setting` written into the text `before` of the configuration file `path` (None: there is
    no such file yet); None when the file already says it. Raises `ConfigUnreadable` for text
    tomlkit cannot parse."""
    try:
        doc = tomlkit.parse(before or "")
    except TOMLKitError as exc:
        raise ConfigUnreadable(f"{path} is not valid TOML ({exc})") from exc
    pyproject = path.name == "pyproject.toml"
    ruff = _table(doc, ["tool", "ruff"] if pyproject else [])
    lint = _table(ruff, ["lint"]) if ruff is not None else None
    if _already(setting, lint, ruff):
        return None
    key = setting.key
    if key == IGNORES and not _has(IGNORES, lint, ruff) and ruff is not None and "extend" in ruff:
        key = EXTEND_IGNORES
    top_level = ruff is not None and key in ruff and not (lint is not None and key in lint)
    if top_level:
        assert ruff is not None
        holder, header = ruff, "[tool.ruff]" if pyproject else "(top level)"
    else:
        keys = ["tool", "ruff", "lint"] if pyproject else ["lint"]
        created = _table(doc, keys) is None
        holder = _make(doc, keys)
        header = "[tool.ruff.lint]" if pyproject else "[lint]"
    _merge(holder, key, setting)
    if not top_level and created:
        holder.add(tomlkit.nl())  # a new table placed before others is set apart by a blank line
    after = tomlkit.dumps(doc)
    if not after.endswith("\n"):
        after += "\n"
    while after.endswith("\n\n") and not (before or "").endswith("\n\n"):
        after = after[:-1]  # the blank line after a table that ends the file is left out
    if before and "\r\n" in before and not _LONE_LF.search(before):
        after = _LONE_LF.sub("\r\n", after)  # the lines written end as the file's do
    return ConfigWrite(path, before, after, header)


def _already(setting: Setting, lint: Any, ruff: Any) -> bool:
    """Whether the file already says `setting`, in `lint` or at the top level."""
    for table in (lint, ruff):
        if not isinstance(table, Table | Container | InlineTable | dict):
            continue
        if setting.key in (UNFIXABLE, SAFE):
            if any(selects(str(s), setting.rule) for s in _strings(table.get(setting.key))):
                return True
            continue
        for key in (IGNORES, EXTEND_IGNORES):
            globs = table.get(key)
            if isinstance(globs, dict) and any(
                str(glob) == setting.glob
                and any(selects(str(s), setting.rule) for s in _strings(v))
                for glob, v in globs.items()
            ):
                return True
    return False


def _has(key: str, lint: Any, ruff: Any) -> bool:
    return any(isinstance(t, dict) and key in t for t in (lint, ruff))


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _table(node: Any, keys: list[str]) -> Any:
    """The table at `keys` below `node`, or None when one of them is missing or no table."""
    for key in keys:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return None
        node = node[key]
    return node


def _make(doc: Any, keys: list[str]) -> Any:
    """The table at `keys`, created where missing: the intermediate ones as super tables, so a
    new `[tool.ruff.lint]` gets that one header and no empty `[tool]` or `[tool.ruff]`."""
    node = doc
    for depth, key in enumerate(keys):
        if key not in node:
            last = depth == len(keys) - 1
            node.append(key, tomlkit.table(is_super_table=not last))
        node = node[key]
        if isinstance(node, AoT):
            raise ConfigUnreadable(f"[{'.'.join(keys[: depth + 1])}] is an array of tables")
    return node


def _merge(holder: Any, key: str, setting: Setting) -> None:
    """Add the setting's rule to `holder[key]`, creating the array or table, never twice."""
    if setting.glob is None:
        found = holder.get(key)
        if isinstance(found, Array):
            found.append(setting.rule)
        elif found is None:
            holder[key] = [setting.rule]
        else:
            raise ConfigUnreadable(f"{key} is not an array")
        return
    globs = holder.get(key)
    if globs is None:
        table = tomlkit.inline_table()
        table[setting.glob] = [setting.rule]
        holder[key] = table
        return
    if not isinstance(globs, dict):
        raise ConfigUnreadable(f"{key} is not a table")
    found = globs.get(setting.glob)
    if isinstance(found, Array):
        found.append(setting.rule)
    elif found is None:
        globs[setting.glob] = [setting.rule]
    else:
        raise ConfigUnreadable(f"{key}.{setting.glob!r} is not an array")
