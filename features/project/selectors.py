"""Ruff's rule selectors, read the way Ruff reads them, without running Ruff.

A selector is a linter's prefix and the start of a code: `F` is Pyflakes, so it selects `F401`
but not `FA100` (flake8-future-annotations), and `S` (bandit) does not select `SIM300`. Splitting
a code into its letters and its digits gives exactly that: `FA100` is `("FA", "100")` and `F`
only matches codes whose letters are `F`. Pylint is the one linter whose letters run into its
categories (`PLC`, `PLE`, `PLR`, `PLW`), so `PL` is special.

When selectors disagree, the most specific one decides, as in Ruff: `select = ["E"]` with
`ignore = ["E501"]` leaves `E501` out, and `select = ["E501"]` with `ignore = ["E"]` keeps it;
between equally specific ones, `ignore` wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from functools import lru_cache

from surefix.features.project.ruff_codes import RUFF_CODES

_CODE = re.compile(r"^([A-Z]+)([0-9]*)$")
_PYLINT = frozenset({"PLC", "PLE", "PLR", "PLW"})


def split_code(code: str) -> tuple[str, str]:
    """`("FA", "100")` for `FA100`; `("", "")` for anything that is not letters then digits."""
    match = _CODE.match(code.strip().upper())
    return (match.group(1), match.group(2)) if match else ("", "")


@lru_cache(maxsize=65536)
def selects(selector: str, rule: str) -> bool:
    """Whether `selector` (`ALL`, `F`, `E4`, `PL`, `C`, `SIM300`) selects the rule `rule`
    (remembered: the same few selectors are asked of every fix)."""
    selector = selector.strip().upper()
    if selector == "ALL":
        return bool(split_code(rule)[0])
    letters, digits = split_code(selector)
    rule_letters, rule_digits = split_code(rule)
    if not letters or not rule_letters:
        return False
    if letters == "PL" and not digits:
        return rule_letters in _PYLINT
    return letters == rule_letters and rule_digits.startswith(digits)


def specificity(selector: str) -> int:
    """How narrow `selector` is: `ALL` < `PL` < `E` < `E4` < `E40` < `E401`."""
    selector = selector.strip().upper()
    if selector == "ALL":
        return 0
    letters, digits = split_code(selector)
    return 1 if letters == "PL" and not digits else 2 + len(digits)


def is_ruff_code(code: str) -> bool:
    """Whether `code` is a rule of the pinned Ruff (`F401` yes; `E704`, `C812`, `I252` no)."""
    return code.strip().upper() in RUFF_CODES


def is_ruff_selector(selector: str) -> bool:
    """Whether Ruff accepts `selector`: `ALL`, or a prefix of one of its rules. Ruff refuses to
    run with any other (`ruff check --select E8` fails), so every selector we emit passes this."""
    return selector.strip().upper() == "ALL" or any(selects(selector, c) for c in RUFF_CODES)


class Verdict(Enum):
    SELECTED = "selected"
    IGNORED = "ignored"
    UNSELECTED = "unselected"


def decide(select: Iterable[str], ignore: Iterable[str], rule: str) -> tuple[Verdict, str | None]:
    """Whether `select`/`ignore` enable `rule`, and the selector that decided it. Remembered:
    every fix of every analysis asks it of the same few selector lists (a fix-all round on a
    long file asks thousands of times)."""
    return _decide(tuple(select), tuple(ignore), rule)


@lru_cache(maxsize=8192)
def _decide(
    select: tuple[str, ...], ignore: tuple[str, ...], rule: str
) -> tuple[Verdict, str | None]:
    best: tuple[int, int, str] | None = None  # (specificity, ignore beats select, selector)
    for beats, selectors in ((0, select), (1, ignore)):
        for selector in selectors:
            if selects(selector, rule):
                candidate = (specificity(selector), beats, selector)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
    if best is None:
        return Verdict.UNSELECTED, None
    return (Verdict.IGNORED if best[1] else Verdict.SELECTED), best[2]
