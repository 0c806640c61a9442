"""The server's per-line answers (found by descending the tree) are the miner's (read from
tables built by walking all of it), on every line of real modules of many shapes."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest
from document_samples import ODD

from surefix.features.document import Document, _Tables

LIB = Path(sysconfig.get_paths()["stdlib"])
MODULES = ["typing.py", "_pydecimal.py", "inspect.py", "dataclasses.py", "functools.py"]


def tables_of(doc: Document) -> _Tables:
    return _Tables(doc)


@pytest.mark.parametrize("name", MODULES)
def test_every_line_is_answered_as_the_tables_answer(name: str) -> None:
    doc = Document((LIB / name).read_text(encoding="utf-8"), name)
    tables = tables_of(doc)
    assert doc.parsed
    for line in range(-1, doc.line_count + 3):
        i = min(max(line, 0), len(tables.scope) - 1)
        location = doc.location(line)
        assert (location.nesting, location.scope) == (tables.nesting[i], tables.scope[i]), line
        assert doc.import_at(line) == tables.is_import[i], line


def test_decorators_semicolons_and_one_line_blocks_agree() -> None:
    doc = Document(ODD)
    tables = tables_of(doc)
    answers = [(doc.location(i), doc.import_at(i)) for i in range(doc.line_count + 1)]
    assert [(a.nesting, a.scope, imp) for a, imp in answers] == list(
        zip(tables.nesting, tables.scope, tables.is_import, strict=True)
    )
    assert doc.import_at(0) is False  # `import os; x = 1`: the later statement, as the walk has it
    assert doc.import_at(10) and doc.location(10).scope == "function"


def test_text_that_does_not_parse_is_all_module_level() -> None:
    doc = Document("def f(:\n    import os\n")
    assert not doc.parsed
    assert doc.location(1).scope == "module" and not doc.import_at(1)


@pytest.mark.parametrize("name", [*MODULES, "ODD"])
def test_a_range_meets_an_import_where_one_of_its_lines_is_in_one(name: str) -> None:
    text = ODD if name == "ODD" else (LIB / name).read_text(encoding="utf-8")
    doc = Document(text, name)
    rng = random.Random(name)
    n = doc.line_count
    spans = [(a, a + w) for a in range(-1, n + 2) for w in (0, 1, 3)]
    spans += [tuple(sorted(rng.sample(range(-1, n + 3), 2))) for _ in range(300)]
    for first, last in spans:
        expected = any(doc.import_at(line) for line in range(first, last + 1))
        assert doc.import_between(first, last) == expected, (first, last)
