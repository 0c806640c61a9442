"""A forgiving Python tokenizer for comparing small regions of code across two commits.

`tokenize` refuses fragments (a statement cut out of its block, an unclosed bracket at a region
edge); the miner compares exactly such fragments, so it uses this regex tokenizer instead. It
keeps strings whole (with prefix and quotes, since quote style is what several rules are about),
drops whitespace and keeps comments as single tokens.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections import Counter

_TOKEN = re.compile(
    r"""
    (?P<string>[rRbBuUfFtT]{0,3}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
  | (?P<comment>\#[^\n]*)
  | (?P<name>[^\W\d]\w*)
  | (?P<number>\d[\w.]*(?:[eE][+-]?\d+)?j?|\.\d[\w]*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%&|^@=<>!]=|\.\.\.|[^\s\w])
  | (?P<space>\s+)
    """,
    re.VERBOSE | re.DOTALL,
)
_WORD = re.compile(r"[^\W\d]\w*|\d+")
_STRING_BODY = re.compile(r"^[rRbBuUfFtT]{0,3}('''|\"\"\"|'|\")(.*)\1$", re.DOTALL)

# Names a developer may bring in while choosing another spelling of the same fix (`list` instead
# of `List`, `isinstance`, `self`): they do not mean the code changed. Names from `typing` are
# *not* here: `List` → `Sequence` or `Optional` → `Iterable` changes what a type says, and
# letting those through made incidental type edits look like alternative spellings of a fix.
COMMON_NAMES = frozenset(set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist)) | {
    "self",
    "cls",
    "collections",
    "abc",
    "typing",
    "annotations",
    "__future__",
    "format",
}
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_MAGIC_COMMA = re.compile(r",([ \t]*(?:#[^\n]*)?\n\s*[)\]}])")


def tokens(text: str) -> list[str]:
    """Tokens of `text`, whitespace dropped. Never raises: unknown characters become tokens."""
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind != "space":
            out.append(match.group())
    return out


def is_comment(token: str) -> bool:
    return token.startswith("#")


def string_body(token: str) -> str | None:
    match = _STRING_BODY.match(token)
    return match.group(2) if match else None


def atoms(toks: list[str]) -> Counter[str]:
    """The content of code: names, numbers and the words inside strings, not its spelling.

    Two versions of a statement with the same atoms say the same thing in different words
    (quotes, commas, `%` vs `.format`); different atoms mean the developer changed *what* the
    code does, which is why the flagged spot moved — not a verdict on the fix. Atoms are counted:
    a docstring that says `WS?` four more times was rewritten, not respelt.
    """
    found: Counter[str] = Counter()
    for tok in toks:
        if is_comment(tok):
            continue
        body = string_body(tok)
        if body is not None:
            found.update(_WORD.findall(body))
        elif tok[0].isalnum() or tok[0] == "_":
            found[tok] += 1
    return found


def without_magic_commas(text: str) -> str:
    """`text` without commas that end a line right before a closing bracket.

    A formatter adds that comma whenever it explodes a call over several lines; it says nothing
    about whether the developer made a fix inside the call (`stacklevel=2` added, then wrapped).
    """
    return _MAGIC_COMMA.sub(r"\1", text)


def logical_lines(text: str) -> list[tuple[int, list[str]]]:
    """(indentation, code tokens) of each logical line: brackets and backslashes join lines.

    Comments are dropped. Enough structure to read import statements out of a region that may
    be cut from the middle of a file, where `ast` would refuse it.
    """
    lines: list[tuple[int, list[str]]] = []
    current: list[str] = []
    indent = depth = 0
    line_start = 0
    for match in _TOKEN.finditer(text):
        tok, kind = match.group(), match.lastgroup
        if kind == "space":
            if "\n" in tok and depth == 0 and current and current[-1] != "\\":
                lines.append((indent, current))
                current = []
            if "\n" in tok:
                line_start = match.start() + tok.rindex("\n") + 1
            continue
        if kind == "comment":
            continue
        if not current:
            indent = match.start() - line_start
        if tok == "\\":
            current.append(tok)
            continue
        if current and current[-1] == "\\":
            current.pop()
        if tok in _OPENING:
            depth += 1
        elif tok in _CLOSING and depth:
            depth -= 1
        current.append(tok)
    if current:
        lines.append((indent, current))
    return lines
