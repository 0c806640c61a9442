"""The edit that silences one rule on one line: `# noqa: CODE`, merged into what is there.

Ruff reads one `# noqa` directive per line. Appending a second one (`# noqa: E501  # noqa: F401`)
leaves the first in force and the new code ignored, so an existing directive is extended in place
and a bare `# noqa`, which already silences everything, is left alone.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from surefix.features.ruff.edits import LineIndex, split_lines
from surefix.features.ruff.findings import Edit, Position, Violation

_DIRECTIVE = re.compile(
    r"#\s*noqa(?P<codes>:\s*[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*)?", re.IGNORECASE
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def directive(codes: list[str]) -> str:
    """`# noqa: A1, B2` (spelt in two parts so Ruff does not read this file's own line as one)."""
    return "#" + f" noqa: {', '.join(codes)}"


def noqa_line(violation: Violation) -> int:
    """The line Ruff reads the directive from (the end of a multi-line string or statement)."""
    return violation.noqa_line if violation.noqa_line is not None else violation.start.line


def comment_columns(text: str) -> dict[int, int]:
    """Where each line's comment starts (0-based line -> code-point column), from the tokenizer:
    a `# noqa` inside a string is text, not a directive."""
    out: dict[int, int] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0] - 1] = tok.start[1]
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass  # unfinished code: comments found so far still count
    return out


class Comments:
    """Where a line's comment starts, for the one question asked of it: does the line hold a
    `# noqa` directive, and where? The tokenizer it takes to tell a comment from a string is a
    pure-Python pass over the whole file (about 40 ms per 1,000 lines), so it runs only when a
    line asked about says "noqa" at all: any other line has no directive, comment or not, and
    is answered None at once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: tuple[list[str], list[str]] | None = None
        self._columns: dict[int, int] | None = None

    def line(self, line: int) -> str:
        """The editor's line `line` ("" past the end), split once per text."""
        lines = self._split()[1]
        return lines[line] if line < len(lines) else ""

    def get(self, line: int) -> int | None:
        if not any(line < len(ls) and "noqa" in ls[line].lower() for ls in self._split()):
            return None
        if self._columns is None:
            self._columns = comment_columns(self._text)
        return self._columns.get(line)

    def _split(self) -> tuple[list[str], list[str]]:
        if self._lines is None:  # the tokenizer's lines (at "\n") and the editor's, to be sure
            self._lines = (self._text.split("\n"), split_lines(self._text))
        return self._lines


def noqa_edit(
    text: str,
    violation: Violation,
    index: LineIndex | None = None,
    comments: Comments | None = None,
) -> Edit | None:
    """The edit adding `violation.rule` to its line's noqa directive; None if already silenced."""
    index = index or LineIndex(text)
    comments = comments or Comments(text)
    line = noqa_line(violation)
    if line >= len(index.starts):
        return None
    start = index.starts[line]
    end = index.starts[line + 1] if line + 1 < len(index.starts) else len(text)
    content = text[start:end].rstrip("\r\n")
    comment = comments.get(line)
    found = _DIRECTIVE.search(content, comment) if comment is not None else None
    if found is None:
        column = len(content.rstrip())
        return Edit(
            Position(line, column), Position(line, len(content)), "  " + directive([violation.rule])
        )
    if found.group("codes") is None:
        return None  # a directive without codes silences every rule already
    codes = _CODE.findall(found.group("codes"))
    if violation.rule.upper() in (c.upper() for c in codes):
        return None
    merged = directive([*codes, violation.rule])
    return Edit(Position(line, found.start()), Position(line, found.end()), merged)


_RUF100_PART = re.compile(r"(unused|non-enabled|unknown|duplicated): ([^;)]*)")


def removed_codes(message: str) -> list[tuple[str, str]]:
    """(kind, code) of what RUF100's fix removes from a directive, from its message ("Unused
    `noqa` directive (unused: `E501`; unknown: `X100`)"); duplicated codes stay once, so they
    are left out."""
    found = []
    for kind, codes in _RUF100_PART.findall(message):
        if kind != "duplicated":
            found += [(kind, code) for code in re.findall(r"`([A-Z]+[0-9]+)`", codes)]
    return found


# A line's noqa directive or a file's (`ruff:` or `flake8:` before `noqa`), as Ruff reads them:
# codes after the colon, separated by commas or spaces.
_ANY_DIRECTIVE = re.compile(
    r"#\s*(?:(?:ruff|flake8)\s*:\s*)?noqa"
    r"(?::\s*(?P<codes>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Directive:
    """One noqa directive on a line: where it is, and each code with its columns (code
    points, end exclusive)."""

    start: int
    end: int
    codes: tuple[tuple[str, int, int], ...]

    def under(self, column: int) -> list[str]:
        """The codes a hover at `column` is about: the one under it, or all of them when it
        is on the directive itself (`# noqa`)."""
        for code, start, end in self.codes:
            if start <= column <= end:
                return [code]
        return [code for code, _, _ in self.codes]


def directive_at(line: str, comment: int | None, column: int) -> Directive | None:
    """The noqa directive of `line` whose span holds `column`, if any. `comment` is where the
    line's comment starts (`comment_columns`): a `# noqa` inside a string is text."""
    if comment is None:
        return None
    for found in _ANY_DIRECTIVE.finditer(line, comment):
        if not found.start() <= column <= found.end():
            continue
        codes = []
        if found.group("codes") is not None:
            offset = found.start("codes")
            for code in _CODE.finditer(found.group("codes")):
                codes.append((code.group().upper(), offset + code.start(), offset + code.end()))
        return Directive(found.start(), found.end(), tuple(codes))
    return None
