"""Ruff's rule selectors, as Ruff reads them: a linter prefix, then a code prefix.

`F` selects F401 but not FA100 (flake8-future-annotations is its own linter), `D` not DJ001, `S`
not SIM300; `C` selects both C4 and C90, `PL` all of pylint (PLC, PLE, PLR, PLW), `E4` E401.
Splitting a code into its letters and digits gives the linter in every case but pylint's.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"^([A-Z]+)([0-9]*)$")
_PYLINT = ("PLC", "PLE", "PLR", "PLW")


def _split(code: str) -> tuple[str, str] | None:
    found = _CODE.match(code.strip().upper())
    return (found[1], found[2]) if found else None


def selects(selector: str, rule: str) -> bool:
    """Whether `selector` (ALL, a linter prefix, or a code prefix) selects `rule`."""
    if selector.strip().upper() == "ALL":
        return True
    sel, code = _split(selector), _split(rule)
    if sel is None or code is None:
        return False
    (sel_letters, sel_digits), (letters, digits) = sel, code
    if sel_letters == "PL" and letters in _PYLINT:
        return not sel_digits
    return sel_letters == letters and digits.startswith(sel_digits)


def specificity(selector: str) -> int:
    """Longer selectors win over shorter ones, as in Ruff: `ignore = ["E"]` with
    `select = ["E711"]` keeps E711."""
    return 0 if selector.strip().upper() == "ALL" else len(selector.strip())


def codes(value: str) -> tuple[str, ...]:
    """Codes in a flake8-style list: comma or newline separated, `#` comments allowed."""
    out = []
    for line in value.splitlines():
        for part in line.split("#", 1)[0].split(","):
            part = part.strip()
            if _split(part) is not None:
                out.append(part.upper())
    return tuple(out)
