"""Canonical forms for fixes whose layout is incidental: import statements and docstrings.

Ruff's import fixes (TC001 to TC004 moving an import under `if TYPE_CHECKING:`, UP035 importing a
name from `collections.abc`, I001 sorting, F401 dropping a name, FA100 adding the future import)
and the pydocstyle layout fixes (D2xx: where the summary starts, indentation, spaces and blank
lines inside the docstring; D300: triple double quotes) decide *what* the code says, while the
layout they produce is whatever an import sorter, a formatter or the developer's hand makes of
it next. Comparing tokens called a developer who merged the moved import into an existing
statement, or joined the fixed docstring onto one line, a rejection of the fix. The canonical
forms forget exactly that layout — which statement and in what order a name is imported; the
whitespace inside a string — and keep everything else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from surefix.features.document import Document
from surefix.features.ruff.findings import Edit, Fix, rule_family
from surefix.model.mining.tokens import is_comment, logical_lines, string_body, tokens

LayoutKind = Literal["imports", "docstring"]
_IMPORT_STATEMENT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]", re.MULTILINE)
_STRING_PREFIX = "rRbBuUfFtT"

# (indentation, module, name, alias): `from a import b as c` under `if TYPE_CHECKING:` is
# (4, "a", "b", "c"); `import a.b` is (0, "a.b", "", "").
Binding = tuple[int, str, str, str]


@dataclass(frozen=True)
class ImportForm:
    """What a region imports, as a multiset, and every other logical line, in order."""

    bindings: Counter[Binding]
    rest: tuple[tuple[str, ...], ...]


def layout_kind(rule: str, fix: Fix, doc: Document) -> LayoutKind | None:
    """Which canonical form applies to this fix, if its layout is incidental."""
    if _docstring_layout_rule(rule):
        return "docstring"
    if rule_family(rule) == "COM":
        return None  # a trailing comma is exactly the layout the import form forgets
    if any(_edits_import(doc, edit) for edit in fix.edits):
        return "imports"
    return None


def _docstring_layout_rule(rule: str) -> bool:
    """D2xx and D300. Not D301 (a raw prefix instead of escaped backslashes is a real choice)
    and not D4xx (closing punctuation, capitalisation: those change the text)."""
    return rule == "D300" or (rule.startswith("D2") and rule[1:].isdigit())


def _edits_import(doc: Document, edit: Edit) -> bool:
    lines = range(edit.start.line, max(edit.start.line, edit.end.line - 1) + 1)
    touches = any(0 <= line < len(doc.is_import) and doc.is_import[line] for line in lines)
    return touches or bool(_IMPORT_STATEMENT.search(edit.content))


def same_canonical(kind: LayoutKind, p_text: str, f_text: str, c_text: str, c_file: str) -> bool:
    """C reads as Ruff's fix once the layout the fix does not decide is forgotten. `c_file` is
    all of C: a name the fix imports may have been merged into an import outside the region."""
    if kind == "docstring":
        return docstring_form(f_text) == docstring_form(c_text)
    p, f, c = import_form(p_text), import_form(f_text), import_form(c_text)
    return f == c or _import_changes_present(p, f, c, lambda: _imported_names(c_file))


def _import_changes_present(
    p: ImportForm, f: ImportForm, c: ImportForm, c_names: Callable[[], set[tuple[str, ...]]]
) -> bool:
    """Every name the fix imports is imported in C (in the region, at the same indentation, or
    anywhere in the file), every name it drops is gone from the region, and the fix's other lines
    (`if TYPE_CHECKING:`) are there; other imports may have changed alongside."""
    added, removed = f.bindings - p.bindings, p.bindings - f.bindings
    if not added and not removed:
        return False  # a pure re-ordering (I001) has nothing to anchor on: only `f == c` counts
    missing = [b for b in added if c.bindings[b] < f.bindings[b]]
    if missing and not all(b[1:] in c_names() for b in missing):
        return False
    if any(c.bindings[b] > f.bindings[b] for b in removed):
        return False
    return p.rest == f.rest or c.rest == f.rest


def _imported_names(text: str) -> set[tuple[str, ...]]:
    """(module, name, alias) of every import in `text`, at any indentation."""
    return {b[1:] for b in import_form(text).bindings}


def import_form(text: str) -> ImportForm:
    bindings: Counter[Binding] = Counter()
    rest: list[tuple[str, ...]] = []
    for indent, toks in logical_lines(text):
        imported = _imported(toks)
        if imported is None:
            rest.append(tuple(toks))
        else:
            bindings.update((indent, *b) for b in imported)
    return ImportForm(bindings, tuple(rest))


def _imported(toks: list[str]) -> list[tuple[str, str, str]] | None:
    """(module, name, alias) for each name an import statement binds; None for other code."""
    if toks[0] == "import":
        return [(_dotted(part), "", _alias(part)) for part in _split_commas(toks[1:])]
    if toks[0] == "from" and "import" in toks:
        k = toks.index("import")
        module = "".join(toks[1:k])
        names = [t for t in toks[k + 1 :] if t not in ("(", ")")]
        return [(module, part[0], _alias(part)) for part in _split_commas(names)]
    return None


def _split_commas(toks: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for tok in toks:
        if tok == ",":
            parts.append([])
        else:
            parts[-1].append(tok)
    return [part for part in parts if part]


def _dotted(part: list[str]) -> str:
    return "".join(part[: part.index("as")] if "as" in part else part)


def _alias(part: list[str]) -> str:
    return part[part.index("as") + 1] if "as" in part and part[-1] != "as" else ""


def docstring_form(text: str) -> list[str]:
    """Code tokens with the whitespace inside every string literal collapsed to single spaces.

    The prefix and the quotes stay (D300 is about them); a summary moved onto the opening quotes,
    a docstring joined onto one line or re-indented reads the same.
    """
    return [_squeezed(tok) for tok in tokens(text) if not is_comment(tok)]


def _squeezed(tok: str) -> str:
    body = string_body(tok)
    if body is None:
        return tok
    rest = tok.lstrip(_STRING_PREFIX)
    prefix = tok[: len(tok) - len(rest)].lower()
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
    return f"{prefix}{quote}{' '.join(body.split())}"
