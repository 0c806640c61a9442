"""`Document.edited` — what a fix-all round parses — is the document parsed whole, on real fix
rounds of real modules, on random line edits of them, and on the shapes where parsing a
statement alone could go wrong (a `;`, a one-line block, an `else:`, tabs, a body emptied)."""

from __future__ import annotations

import json
import random
import shutil
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest
from document_samples import ODD

from surefix.features.document import Document, Statement
from surefix.features.ruff.edits import apply_edits, split_lines
from surefix.features.ruff.findings import Edit, Position
from surefix.features.ruff.project import DEFAULT_SELECT
from surefix.model.analysis import Analysis, Candidate, analyze
from surefix.model.autofix import Parse, fix_until_stable
from surefix.model.scoring.scorer import load_model

LIB = Path(sysconfig.get_paths()["stdlib"])


def same(got: Document, text: str) -> bool:
    fresh = Document(text, str(got.path))
    return (got.parsed, got._body, got.lines) == (fresh.parsed, fresh._body, fresh.lines)


def kept(before: Document, after: Document) -> int:
    """Statements `after` took over from `before` as they were: what was not parsed again."""
    old = {id(s) for s in _walk(before._body)}
    return sum(1 for s in _walk(after._body) if id(s) in old)


def _walk(body: tuple[Statement, ...]) -> list[Statement]:
    out = []
    for s in body:
        out.append(s)
        for child in s.bodies:
            out += _walk(child)
    return out


def everything(candidate: Candidate, text: str) -> None:
    return None


@pytest.mark.parametrize("name", ["_pydecimal.py", "argparse.py", "typing.py"])
def test_every_fix_all_round_parses_as_a_whole_parse_would(name: str, tmp_path: Path) -> None:
    (tmp_path / "ruff.toml").write_text(f"[lint]\nselect = {json.dumps(list(DEFAULT_SELECT))}\n")
    path = Path(shutil.copy(LIB / name, tmp_path / name))
    model = load_model()
    rounds: list[tuple[bool, int]] = []
    before: list[Document] = []

    def relint(text: str, parse: Parse) -> Analysis:
        analysis = analyze(text, path, model, parse=parse)
        document = parse()
        rounds.append((same(document, text), kept(before[-1], document) if before else 0))
        before.append(document)
        return analysis

    run = fix_until_stable(analyze(path.read_text(), path, model), relint, everything)
    assert run.rounds >= 2 and len(rounds) >= 2
    assert all(equal for equal, _ in rounds)
    assert all(shared > 0 for _, shared in rounds[1:])  # later rounds parse only what changed


Step = Callable[[Document, str, list[Edit]], Document]  # the next version, parsed from `doc`


def walk(
    name: str, steps: int, edits_for: Callable[[int, str], list[Edit]], step: Step
) -> tuple[str, Document, int]:
    """`steps` versions of the module `name`, each made by `edits_for(i, text)` and parsed by
    `step` from the last one that parsed: each must be the whole parse of its text. Returns the
    last text and document, and how many versions kept statements of the one before."""
    text = (LIB / name).read_text(encoding="utf-8")
    doc, incremental = Document(text, name), 0
    for i in range(steps):
        edits = edits_for(i, text)
        new = apply_edits(text, edits)
        got = step(doc, new, edits)
        assert same(got, new), (name, edits)
        incremental += got.parsed and kept(doc, got) > 0
        if got.parsed:
            text, doc = new, got
    return text, doc, incremental


@pytest.mark.parametrize("seed", range(3))
def test_random_line_edits_of_real_modules_parse_as_a_whole_parse_would(seed: int) -> None:
    rng = random.Random(seed)
    incremental = 0
    for name in ("functools.py", "dataclasses.py", "inspect.py"):
        _, _, kept_some = walk(
            name,
            60,
            lambda i, text: random_edits(rng, split_lines(text)),
            lambda doc, new, edits: doc.edited(new, edits),
        )
        incremental += kept_some
    assert incremental >= 20


@pytest.mark.parametrize("seed", range(2))
def test_a_new_version_parses_from_the_last_as_a_whole_parse_would(seed: int) -> None:
    """The server's path from one version of a file to the next: it knows only both texts."""
    rng = random.Random(seed)

    def version(i: int, text: str) -> list[Edit]:
        if i % 5 == 4:  # a keystroke at a time: the same line, a character longer
            line = rng.randrange(len(split_lines(text)) - 1)
            return [Edit(Position(line, 0), Position(line, 0), rng.choice(["x", " ", "#"]))]
        return random_edits(rng, split_lines(text))[:1]  # a version: mostly one edit

    incremental = 0
    for name in ("functools.py", "dataclasses.py", "_pydecimal.py"):
        text, doc, kept_some = walk(name, 40, version, lambda doc, new, edits: doc.revised(new))
        incremental += kept_some
        for new in (text + "\n# edit\n", text.rstrip("\n"), "", text):  # the ends, and none
            got = doc.revised(new)
            assert same(got, new), (name, new[-20:])
            doc = got
    assert incremental >= 40


def random_edits(rng: random.Random, lines: list[str]) -> list[Edit]:
    """A few edits at different lines: whole lines deleted, replaced by lines from elsewhere,
    dedented, or a character typed into one."""
    edits, used = [], set()
    for _ in range(rng.randint(1, 4)):
        a = rng.randrange(len(lines) - 1)
        b = min(a + rng.randint(0, 3), len(lines) - 2)
        if used & set(range(a, b + 2)):
            continue
        used |= set(range(a, b + 2))
        kind = rng.random()
        if kind < 0.3:
            edits.append(Edit(Position(a, 0), Position(b + 1, 0), ""))
        elif kind < 0.6:
            c = rng.randrange(len(lines) - 3)
            content = "\n".join(lines[c : c + rng.randint(1, 3)]) + "\n"
            edits.append(Edit(Position(a, 0), Position(b + 1, 0), content))
        elif kind < 0.8 and lines[a].startswith("    "):
            edits.append(Edit(Position(a, 0), Position(a, 4), ""))
        elif lines[a].strip():
            col = rng.randrange(len(lines[a]))
            typed = rng.choice(["x", " ", "(", ":", "pass", "; y = 1", "\n", "\n    "])
            edits.append(Edit(Position(a, col), Position(a, col), typed))
    return edits or [Edit(Position(0, 0), Position(0, 0), "")]


def edit(line: int, col: int, end_line: int, end_col: int, content: str) -> Edit:
    return Edit(Position(line, col), Position(end_line, end_col), content)


SHAPES = {
    "the statement after a `;`": [edit(0, 11, 0, 16, "y = 2")],
    "the statement before a `;`": [edit(0, 0, 0, 9, "import re")],
    "a one-line block's body": [edit(18, 14, 18, 22, "return 9")],
    "an `else:` removed, its body dedented": [edit(21, 0, 23, 0, "        return 3\n")],
    "an `else:` line": [edit(12, 8, 12, 13, "else :")],
    "a body's only statement deleted": [edit(8, 0, 9, 0, "")],
    "a decorator changed": [edit(1, 1, 1, 10, "dec")],
    "a statement inserted at a body's end, indented deeper": [edit(16, 0, 16, 0, "        y\n")],
    "a statement inserted between bodies at module level": [edit(17, 0, 17, 0, "z = 1\n")],
    "a dedent to the module": [edit(13, 0, 13, 12, "")],
    "tabs where spaces were": [edit(13, 0, 13, 12, "\t\t")],
    "an edit that breaks the file": [edit(6, 15, 6, 16, "")],
    "a `case` line": [edit(26, 13, 26, 14, "2")],
    "several edits in one body": [edit(8, 12, 8, 16, "x"), edit(10, 19, 10, 23, "re")],
    "edits in several places": [edit(0, 11, 0, 16, "y = 2"), edit(29, 13, 29, 16, "re")],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_that_do_not_parse_alone_parse_as_a_whole_parse_would(shape: str) -> None:
    doc = Document(ODD)
    edits = SHAPES[shape]
    new = apply_edits(ODD, edits)
    assert new != ODD
    assert same(doc.edited(new, edits), new)


def test_a_text_the_edits_do_not_explain_is_parsed_whole() -> None:
    doc = Document(ODD)
    edits = [edit(0, 11, 0, 16, "y = 2")]
    other = apply_edits(ODD, edits).replace("pass", "return 0", 1)
    got = doc.edited(other, edits)
    assert same(got, other) and kept(doc, got) == 0


def test_windows_line_breaks_and_an_unparsed_start() -> None:
    crlf = ODD.replace("\n", "\r\n")
    edits = [edit(13, 12, 13, 20, "return 2")]
    new = apply_edits(crlf, edits)
    assert same(Document(crlf).edited(new, edits), new)
    broken = Document("def f(:\n    pass\n")
    fixed = "def f():\n    pass\n"
    assert same(broken.edited(fixed, [edit(0, 6, 0, 6, ")")]), fixed)
