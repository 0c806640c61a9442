"""flake8, as a project set it up, in Ruff's terms.

flake8 is found in `[tool.flake8]` (Flake8-pyproject), `setup.cfg`, `tox.ini` or `.flake8` (the
first that has a `[flake8]` section, as flake8 looks), and is also in use without a config when a
pre-commit hook or a requirements file names it. Its plugins count only where the project
declares them (`plugins.py`).

What flake8 reports is, by flake8's rules: the explicit `select` if there is one, else its
default `E,F,W,C90` and every installed plugin's codes; plus `extend-select` and
`enable-extensions`. It ignores `ignore` (or, without it, its default list) plus
`extend-ignore`. Those are flake8's codes; Ruff renamed some plugins' (`C812` is `COM812`,
`R504` is `RET504`, `E800` is `ERA001`), so each selector is translated through the plugin that
owns it, and one Ruff does not know is dropped: Ruff refuses to run with an unknown selector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surefix.features.project.plugins import NATIVE, Plugin
from surefix.features.project.reading import Reader
from surefix.features.project.selectors import is_ruff_selector

DEFAULT_SELECT = ("E", "F", "W", "C90")
DEFAULT_IGNORE = ("E121", "E123", "E126", "E226", "E24", "E704", "W503", "W504")
_FLAKE8_CODE = re.compile(r"^[A-Z]+[0-9]*$")


def codes_in(value: Any) -> list[str]:
    """The codes of a flake8 list option: comma or newline separated, `#` comments allowed, in
    an INI string or a TOML list."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    out = []
    for item in items:
        for line in str(item).splitlines():
            for token in re.split(r"[,\s]+", line.split("#", 1)[0]):
                if _FLAKE8_CODE.match(token.strip()):
                    out.append(token.strip())
    return out


@dataclass(frozen=True)
class Flake8Config:
    """One flake8 configuration: where it is and its options (keys spelt with dashes)."""

    source: str  # ".flake8", "setup.cfg", "[tool.flake8]"
    options: Mapping[str, Any]

    def get(self, key: str) -> Any:
        return self.options.get(key)

    def number(self, key: str) -> int | None:
        value = self.options.get(key)
        try:
            return int(str(value).split("#", 1)[0].strip()) if value is not None else None
        except ValueError:
            return None


def read_config(root: Path, reader: Reader) -> Flake8Config | None:
    """The flake8 configuration at `root`, the one flake8 would use."""
    pyproject = reader.toml(root / "pyproject.toml")
    table = (pyproject or {}).get("tool", {})
    if isinstance(table, dict) and isinstance(table.get("flake8"), dict):
        return Flake8Config("[tool.flake8]", _dashed(table["flake8"]))
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        ini = reader.ini(root / name)
        if ini is not None and ini.has_section("flake8"):
            return Flake8Config(name, _dashed(dict(ini.items("flake8"))))
    return None


def _dashed(options: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower().replace("_", "-"): v for k, v in options.items()}


@dataclass(frozen=True)
class Flake8:
    """flake8 as the project runs it: its config (None: defaults) and its declared plugins."""

    config: Flake8Config | None
    plugins: tuple[Plugin, ...]
    where: str  # words for users: "flake8 (.flake8)"

    def _list(self, key: str) -> list[str]:
        return codes_in(self.config.get(key)) if self.config else []

    @property
    def explicit_select(self) -> bool:
        return self.config is not None and self.config.get("select") is not None

    def reports(self) -> tuple[str, ...]:
        """The flake8 codes flake8 reports (and so reads `# noqa` for), in flake8's namespace.
        Ignored codes are kept: see `ProjectFacts.protects_noqa`."""
        base = (
            self._list("select")
            if self.explicit_select
            else [*DEFAULT_SELECT, *(c for p in self.plugins for c in p.codes)]
        )
        extended = [*self._list("extend-select"), *self._list("enable-extensions")]
        return tuple(dict.fromkeys([*base, *extended]))

    def ignores(self) -> tuple[tuple[str, str], ...]:
        """flake8's ignored codes (flake8 namespace), each with words saying who ignores it."""
        said = f"flake8 {self.config.source}" if self.config else "flake8"
        if self.config is not None and self.config.get("ignore") is not None:
            chosen = [(c, said) for c in self._list("ignore")]
        else:
            chosen = [(c, "flake8's default ignore list") for c in DEFAULT_IGNORE]
        return tuple(chosen + [(c, said) for c in self._list("extend-ignore")])

    def ruff_select(self) -> list[tuple[str, str]]:
        """What flake8 reports, as Ruff selectors (C90 only with `max-complexity`: mccabe
        reports nothing without it, and Ruff's C901 would at its own default)."""
        sources = self._sources(complexity=self._complexity() is not None)
        return [(s, self.where) for code in self.reports() for s in to_ruff(code, sources)]

    def ruff_ignore(self) -> list[tuple[str, str]]:
        """flake8's ignores in Ruff's terms. A code that is Ruff's as it stands is kept even
        without the plugin that owns it: ignoring too much is harmless, and the rule may come
        from another tool (`D203` ignored here, pydocstyle run by pre-commit)."""
        sources = (*self._sources(complexity=True), _AS_IS)
        return [(s, why) for code, why in self.ignores() for s in to_ruff(code, sources)]

    def _sources(self, complexity: bool) -> tuple[Plugin, ...]:
        natives = tuple(p for p in NATIVE if complexity or p.package != "mccabe")
        return natives + self.plugins

    def _complexity(self) -> int | None:
        return self.config.number("max-complexity") if self.config else None

    def max_line_length(self) -> int | None:
        return self.config.number("max-line-length") if self.config else None

    def settings(self) -> list[tuple[str, Any]]:
        """Ruff settings for what flake8 and its plugins were told (line length aside: that
        depends on the formatter, see `facts.py`)."""
        if self.config is None:
            return []
        out = []
        for key, (setting, convert) in _OPTIONS.items():
            value = self.config.get(key)
            converted = convert(value) if value is not None else None
            if converted is not None:
                out.append((setting, converted))
        sources = (*self._sources(complexity=True), _AS_IS)
        ignores = per_file_ignores(self.config.get("per-file-ignores"), sources)
        if ignores:
            out.append(("lint.per-file-ignores", ignores))
        return out


class _AsIs(Plugin):
    """Any code, unchanged (for ignores only: see `Flake8.ruff_ignore`)."""

    def translate(self, selector: str) -> list[str]:
        return [selector]


_AS_IS = _AsIs("", (), ())


def to_ruff(code: str, sources: Iterable[Plugin]) -> list[str]:
    """A flake8 selector in Ruff's terms: through each plugin (or pycodestyle, pyflakes, mccabe)
    whose codes it covers (`C` covers comprehensions' `C4` and commas' `C81`) or falls within
    (`C812` is commas' `COM812`). Only selectors Ruff accepts come out."""
    out = [s for plugin in sources for s in plugin.translate(code)]
    return [s for s in dict.fromkeys(out) if is_ruff_selector(s)]


def per_file_ignores(value: Any, sources: Iterable[Plugin]) -> dict[str, list[str]]:
    """flake8's `per-file-ignores` (`path: CODES` pairs) as Ruff's table, codes translated.

    Both read a pattern relative to the project root when Ruff runs there, and a pattern
    without a slash as a file name anywhere."""
    text = "\n".join(value) if isinstance(value, list) else str(value or "")
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    sources = tuple(sources)
    table: dict[str, list[str]] = {}
    files: list[str] = []
    codes: list[str] = []
    after_colon = False
    for token in [*re.findall(r"[^\s,:]+|:", text), ""]:
        if token == ":":
            after_colon = True
        elif after_colon and token and _FLAKE8_CODE.match(token):
            codes.append(token)
        else:
            if files and codes:
                ruff = [s for c in codes for s in to_ruff(c, sources)]
                for pattern in files:
                    table.setdefault(pattern, [])
                    table[pattern] += [s for s in ruff if s not in table[pattern]]
            if after_colon or not token:
                files, codes, after_colon = [], [], False
            if token:
                files.append(token)
    return {pattern: codes for pattern, codes in table.items() if codes}


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).split("#", 1)[0].strip().lower()
    return {"true": True, "1": True, "yes": True, "on": True}.get(
        text, False if text in ("false", "0", "no", "off") else None
    )


def _integer(value: Any) -> int | None:
    try:
        return int(str(value).split("#", 1)[0].strip())
    except ValueError:
        return None


def _quote(value: Any) -> str | None:
    """flake8-quotes says `'`, `"`, `single` or `double`; Ruff only the words."""
    text = str(value).split("#", 1)[0].strip()
    words = {"'": "single", '"': "double", "single": "single", "double": "double"}
    return words.get(text) or words.get(text.strip("'\"").lower())


def _choice(*allowed: str) -> Any:
    def convert(value: Any) -> str | None:
        text = str(value).split("#", 1)[0].strip().lower()
        return text if text in allowed else None

    return convert


def _names(value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else re.split(r"[,\s]+", str(value))
    names = [str(i).split("#", 1)[0].strip() for i in items]
    return [n for n in names if n] or None


def _negated(value: Any) -> bool | None:
    flag = _boolean(value)
    return None if flag is None else not flag


def _convention(value: Any) -> str | None:
    text = str(value).split("#", 1)[0].strip().lower()
    return text if text in ("pep257", "numpy", "google") else None


# flake8 option (its plugins' included) -> (Ruff setting, converter; None: cannot say).
_OPTIONS: dict[str, tuple[str, Any]] = {
    "max-complexity": ("lint.mccabe.max-complexity", _integer),
    "max-doc-length": ("lint.pycodestyle.max-doc-length", _integer),
    "inline-quotes": ("lint.flake8-quotes.inline-quotes", _quote),
    "multiline-quotes": ("lint.flake8-quotes.multiline-quotes", _quote),
    "docstring-quotes": ("lint.flake8-quotes.docstring-quotes", _quote),
    "avoid-escape": ("lint.flake8-quotes.avoid-escape", _boolean),
    "docstring-convention": ("lint.pydocstyle.convention", _convention),
    "pytest-fixture-no-parentheses": ("lint.flake8-pytest-style.fixture-parentheses", _negated),
    "pytest-mark-no-parentheses": ("lint.flake8-pytest-style.mark-parentheses", _negated),
    "pytest-parametrize-names-type": (
        "lint.flake8-pytest-style.parametrize-names-type",
        _choice("csv", "tuple", "list"),
    ),
    "pytest-parametrize-values-type": (
        "lint.flake8-pytest-style.parametrize-values-type",
        _choice("tuple", "list"),
    ),
    "pytest-parametrize-values-row-type": (
        "lint.flake8-pytest-style.parametrize-values-row-type",
        _choice("tuple", "list"),
    ),
    "extend-immutable-calls": ("lint.flake8-bugbear.extend-immutable-calls", _names),
    "classmethod-decorators": ("lint.pep8-naming.classmethod-decorators", _names),
    "staticmethod-decorators": ("lint.pep8-naming.staticmethod-decorators", _names),
}
