"""The flake8 plugins Ruff re-implements, with their codes on both sides.

From Ruff's FAQ ("Which tools does Ruff replace?"), kept to the plugins whose rules map onto a
Ruff linter. `codes` are what the plugin reports under flake8 (and what a `# noqa` for it says);
`ruff` is the Ruff linter with the same checks. Many kept their numbers under a new prefix
(flake8-commas' `C812` is Ruff's `COM812`), so a single code translates; where Ruff renumbered
(flake8-eradicate's `E800` is `ERA001`), only a selector covering the whole plugin does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from surefix.features.project.selectors import split_code


@dataclass(frozen=True)
class Plugin:
    package: str  # its distribution name, normalised (`pep8-naming`)
    codes: tuple[str, ...]  # flake8's prefixes
    ruff: tuple[str, ...]  # Ruff's selectors for the same checks
    same_numbers: bool = True  # Ruff kept the numbers: C812 -> COM812

    def translate(self, selector: str) -> list[str]:
        """`selector` (flake8's) in Ruff's terms, as far as this plugin is concerned."""
        out: list[str] = []
        for code in self.codes:
            if code.startswith(selector):  # the selector covers the plugin: `C` covers `C81`
                out += self.ruff
            elif selector.startswith(code) and self.same_numbers and len(self.ruff) == 1:
                letters = split_code(self.ruff[0])[0]
                out.append(letters + selector[len(split_code(code)[0]) :])
        return out


def _p(package: str, codes: str, ruff: str, same_numbers: bool = True) -> Plugin:
    return Plugin(package, tuple(codes.split()), tuple(ruff.split()), same_numbers)


# flake8 itself: pycodestyle, pyflakes and mccabe come with it.
NATIVE = (
    _p("pycodestyle", "E", "E"),
    _p("pycodestyle", "W", "W"),
    _p("pyflakes", "F", "F"),
    _p("mccabe", "C90", "C90"),
)

PLUGINS = {
    p.package: p
    for p in (
        _p("flake8-2020", "YTT", "YTT"),
        _p("flake8-annotations", "ANN", "ANN"),
        _p("flake8-async", "ASYNC", "ASYNC"),
        _p("flake8-trio", "TRIO", "ASYNC", same_numbers=False),
        _p("flake8-bandit", "S", "S"),
        _p("flake8-blind-except", "B90", "BLE", same_numbers=False),
        _p("flake8-boolean-trap", "FBT", "FBT"),
        _p("flake8-bugbear", "B", "B"),
        _p("flake8-builtins", "A", "A"),
        _p("flake8-commas", "C81", "COM"),
        _p("flake8-comprehensions", "C4", "C4"),
        _p("flake8-copyright", "C801", "CPY", same_numbers=False),
        _p("flake8-datetimez", "DTZ", "DTZ"),
        _p("flake8-debugger", "T100", "T10"),
        _p("flake8-django", "DJ", "DJ"),
        _p("flake8-docstrings", "D", "D"),
        _p("flake8-eradicate", "E800", "ERA", same_numbers=False),
        _p("flake8-errmsg", "EM", "EM"),
        _p("flake8-executable", "EXE", "EXE"),
        _p("flake8-future-annotations", "FA", "FA"),
        _p("flake8-gettext", "INT", "INT"),
        _p("flake8-implicit-str-concat", "ISC", "ISC"),
        _p("flake8-import-conventions", "IC", "ICN"),
        _p("flake8-isort", "I00", "I"),
        _p("flake8-logging", "LOG", "LOG"),
        _p("flake8-logging-format", "G", "G"),
        _p("flake8-no-pep420", "INP", "INP"),
        _p("flake8-pie", "PIE", "PIE"),
        _p("flake8-print", "T20", "T20"),
        _p("flake8-pyi", "Y", "PYI"),
        _p("flake8-pytest-style", "PT", "PT"),
        _p("flake8-quotes", "Q0", "Q"),
        _p("flake8-raise", "R1", "RSE"),
        _p("flake8-return", "R50", "RET"),
        _p("flake8-self", "SLF", "SLF"),
        _p("flake8-simplify", "SIM", "SIM"),
        _p("flake8-slots", "SLOT", "SLOT"),
        _p("flake8-super", "SPR", "UP008", same_numbers=False),
        _p("flake8-tidy-imports", "I25", "TID"),
        _p("flake8-todos", "TD", "TD"),
        _p("flake8-type-checking", "TC", "TC"),
        _p("flake8-unused-arguments", "U1", "ARG", same_numbers=False),
        _p("flake8-use-pathlib", "PL1", "PTH", same_numbers=False),
        _p("pandas-vet", "PD", "PD"),
        _p("pep8-naming", "N8", "N"),
        _p("tryceratops", "TRY", "TRY"),
        # No rule of its own for Ruff, but BLK100 in a suppression comment is flake8-black's.
        _p("flake8-black", "BLK", ""),
    )
}


def normalise(name: str) -> str:
    """A distribution name as PyPI compares them: `Flake8_Bugbear` is `flake8-bugbear`."""
    return re.sub(r"[-_.]+", "-", name).lower()


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(line: str) -> str | None:
    """The distribution a requirement line names (`flake8-bugbear>=23; python_version>'3.8'`),
    None for options (`-r dev.txt`), URLs and comments."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-") or "://" in line.split("@", 1)[0]:
        return None
    match = _REQUIREMENT.match(line)
    return normalise(match.group(1)) if match else None
