"""Hostile text and Ruff's own answer on it, shared by the fuzz test and `benchmarks/probe.py`.

The texts are full of what breaks line counting (a BOM, CR, CRLF, form feeds, U+2028, astral
characters, NUL); the changes are valid LSP incremental edits, some of them past a line's or the
text's end. Ruff's JSON, read with `lsp_reference`, is the oracle: the server's diagnostics must
be Ruff's on the editor's text, and every fix it offers Ruff's own fix.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lsp_reference import BREAK, apply_text_edits, client_units, units
from lsprotocol import types as t

RUFF = str(Path(sys.executable).parent / "ruff")
RULE = re.compile(r"^[A-Z]+[0-9]+$")


def vscode_uri(path: Path) -> str:
    """As VS Code writes it: everything but letters, digits, `-._~` and `/` percent-encoded."""
    return "file://" + quote(path.as_posix(), safe="/")


CODE = [
    "import os\n", "import json\r\n", "import sys\r", "x = None == 1\n", "print(json)\n",
    "from os import path\n", "y = {'a': 1}.keys()\n", "if x == None:\n    pass\n",
    "s = '😀'  \n", "\n", "\r\n", "\x0c\n", "def f():\n    unused = 1\r\n",
]  # fmt: skip
ODD = [  # inside comments and strings, or bare where they break the code
    "# é\u2028\x85\x0b\x0c\n", "t = '\u2029\U0001f600'\n", "\x0c", "\u2028", "\x00", "\r", "  ",
]  # fmt: skip


def piece(rng: random.Random) -> str:
    return rng.choice(ODD) if rng.random() < 0.2 else rng.choice(CODE)


CONFIG = '[lint]\nselect = ["F401", "E711", "I001", "E402", "SIM118", "W291", "F841"]\n'


def ruff_json(root: Path, path: Path, text: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [RUFF, "check", "--output-format", "json", "--no-cache", "--exit-zero", "--quiet",
         "--no-fix", "--stdin-filename", str(path), "-"],
        input=text.encode("utf-8"), capture_output=True, cwd=root, check=True, timeout=60,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def ruff_position(text: str, loc: dict[str, int], encoding: str) -> t.Position:
    """Ruff's 1-based row and code-point column as the editor counts it; on line 1 Ruff does
    not count a byte-order mark, which the editor's text holds."""
    line, column = loc["row"] - 1, loc["column"] - 1
    found = BREAK.split(text)
    if line == 0 and text.startswith("\ufeff"):
        column += 1
    if line >= len(found):
        return t.Position(line=len(found) - 1, character=units(found[-1], encoding))
    return t.Position(line=line, character=client_units(found[line], column, encoding))


def rule_of(item: dict[str, Any]) -> str | None:
    """The rule code, None for a syntax error (which Ruff names `invalid-syntax`)."""
    code = item.get("code")
    return code if code and RULE.match(code) else None


def ruff_fixed(text: str, item: dict[str, Any], encoding: str) -> str:
    edits = [
        t.TextEdit(
            range=t.Range(
                start=ruff_position(text, e["location"], encoding),
                end=ruff_position(text, e["end_location"], encoding),
            ),
            new_text=e["content"] or "",
        )
        for e in item["fix"]["edits"]
    ]
    return apply_text_edits(text, edits, encoding)


def random_change(
    rng: random.Random, text: str, encoding: str
) -> t.TextDocumentContentChangePartial:
    found = BREAK.split(text)

    def position() -> t.Position:
        line = rng.randrange(len(found) + (1 if rng.random() < 0.05 else 0))
        if line >= len(found):  # past the last line: the end of the text
            return t.Position(line=line, character=rng.randrange(3))
        if rng.random() < 0.7:  # whole lines mostly, so the text stays Python
            return t.Position(line=line, character=0)
        width = units(found[line], encoding)
        return t.Position(line=line, character=rng.randrange(width + 3))  # or past its end

    a, b = sorted([position(), position()], key=lambda p: (p.line, p.character))
    if rng.random() < 0.6:  # mostly inserts, as typing is
        b = a
    inserted = "".join(piece(rng) for _ in range(rng.randrange(3)))
    return t.TextDocumentContentChangePartial(range=t.Range(start=a, end=b), text=inserted)
