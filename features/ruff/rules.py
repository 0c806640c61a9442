"""What each rule is, as the Ruff in use describes it: `ruff rule --all --output-format json`.

Hover on a `# noqa: CODE` names the rule, says what it checks and whether Ruff can fix it, the
way Ruff's own server does. That is the Ruff program's own knowledge, which changes with its
version (rules come, are renamed, leave preview), so it is asked of the program that lints, not
of a list bundled here (`features.project.ruff_codes` holds the codes only, for the pinned
version, to translate other tools' selectors without running Ruff). The answer is 1.6 MB of
JSON for 977 rules: it is read once per program and state of its file, never per hover.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from surefix.features.ruff.run import RuffOptions, listed_rules, ruff_program

DOCS = "https://docs.astral.sh/ruff/rules/{name}/"
_WHAT = re.compile(r"^##\s*What it does\s*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class RuleDoc:
    """One rule as `ruff rule` describes it."""

    code: str
    name: str
    linter: str
    fix: str  # Ruff's own words: "Fix is always available.", "… sometimes …", "… not …"
    what: str  # the first paragraph of its "What it does", on one line
    preview: bool

    @property
    def url(self) -> str:
        return DOCS.format(name=self.name)


@dataclass(frozen=True)
class RuleBook:
    """Every rule of one Ruff program, by code."""

    version: str
    rules: Mapping[str, RuleDoc]

    def get(self, code: str) -> RuleDoc | None:
        return self.rules.get(code.strip().upper())


_BOOKS: dict[tuple[str, str, int, int], RuleBook] = {}  # (path, version, mtime_ns, size)
_LOCK = threading.Lock()


def rule_book(options: RuffOptions | None = None) -> RuleBook:
    """The rules of the Ruff `options` name, read once per program, version and state of its
    file (an upgrade in place is a new book). Raises `RuffError` as any Ruff run does; blocking:
    the server calls it off the event loop."""
    options = options or RuffOptions()
    program = ruff_program(options.executable)
    st = os.stat(program.path)
    key = (program.path, program.version, st.st_mtime_ns, st.st_size)
    with _LOCK:
        found = _BOOKS.get(key)
        if found is not None:
            return found
        _, listed = listed_rules(options)
        book = RuleBook(program.version, {d.code: d for d in map(_doc, listed) if d is not None})
        _BOOKS[key] = book
        return book


def _doc(rule: Mapping[str, object]) -> RuleDoc | None:
    code, name = rule.get("code"), rule.get("name")
    if not isinstance(code, str) or not isinstance(name, str):
        return None
    explanation, fix, linter = rule.get("explanation"), rule.get("fix"), rule.get("linter")
    return RuleDoc(
        code=code,
        name=name,
        linter=linter if isinstance(linter, str) else "",
        fix=fix if isinstance(fix, str) else "",
        what=what_it_does(explanation if isinstance(explanation, str) else ""),
        preview=rule.get("preview") is True,
    )


def what_it_does(explanation: str) -> str:
    """The first paragraph under "## What it does", its lines joined: one sentence or two, what
    the rule checks. Ruff's summary is the message it prints instead ("Local variable `{name}`
    is assigned to but never used"), placeholders and all."""
    found = _WHAT.search(explanation)
    if found is None:
        return ""
    paragraph: list[str] = []
    for line in explanation[found.end() :].lstrip("\n").splitlines():
        if not line.strip() or line.startswith("#"):
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)
