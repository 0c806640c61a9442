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
import typing

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

# Names a developer may bring in while choosing another spelling of the same fix (`Optional`
# instead of `Union[None, ...]`, `list` instead of `List`): they do not mean the code changed.
COMMON_NAMES = frozenset(
    set(dir(builtins)) | set(typing.__all__) | set(keyword.kwlist) | set(keyword.softkwlist)
) | {"self", "cls", "collections", "abc", "typing", "annotations", "__future__", "format"}


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


def atoms(toks: list[str]) -> set[str]:
    """The content of code: names, numbers and the words inside strings, not its spelling.

    Two versions of a statement with the same atoms say the same thing in different words
    (quotes, commas, `%` vs `.format`); different atoms mean the developer changed *what* the
    code does, which is why the flagged spot moved — not a verdict on the fix.
    """
    found: set[str] = set()
    for tok in toks:
        if is_comment(tok):
            continue
        body = string_body(tok)
        if body is not None:
            found.update(_WORD.findall(body))
        elif tok[0].isalnum() or tok[0] == "_":
            found.add(tok)
    return found
