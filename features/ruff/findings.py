"""What Ruff finds, as typed values: violations, their fixes and edits, in code-point positions.

Ruff reports 1-based rows and 1-based *code-point* columns; these types keep 0-based (line,
code-point column) positions, converted to string offsets (`edits`) or to the client's position
encoding (the server) only at the edge, so no caller ever does column arithmetic on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

SYNTAX_ERROR = "invalid-syntax"


@dataclass(frozen=True, order=True)
class Position:
    """0-based line and 0-based column counted in Unicode code points."""

    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: str
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Violation:
    rule: str
    name: str
    message: str
    start: Position
    end: Position
    fix: Fix | None
    noqa_line: int | None = None
    url: str | None = None

    @property
    def family(self) -> str:
        return rule_family(self.rule)


@dataclass(frozen=True)
class LintResult:
    """Ruff's answer for one file: rule violations, and the syntax errors that stopped parsing.

    Syntax errors come as `Violation`s with the rule `invalid-syntax` and no fix, kept apart so
    that nothing counting or featurizing rule violations ever sees them.
    """

    violations: tuple[Violation, ...]
    errors: tuple[Violation, ...] = ()

    @property
    def syntax_errors(self) -> int:
        return len(self.errors)


def rule_family(rule: str) -> str:
    """The linter prefix of a rule code (`UP` for `UP006`, `F` for `F401`, `PLR` for `PLR1714`)."""
    i = len(rule)
    while i > 0 and rule[i - 1].isdigit():
        i -= 1
    return rule[:i] or rule
