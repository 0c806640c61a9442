"""Nothing a user can do — or a broken install — takes the server down: each failure becomes one
clear message and the server keeps serving."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from math import floor
from pathlib import Path
from typing import Any

import pytest
from lsp_reference import client_units, code_points
from lsprotocol import types as t
from lsprotocol.types import DiagnosticSeverity as Severity

from surefix.model.scoring.artifact import (
    SEAL_KEY,
    bundled_model_dir,
    manifest_seal,
    seal_artifact,
    sha256_file,
)

from .conftest import (
    WAIT,
    Editor,
    Session,
    check_json,
    fix_text,
    is_fix,
    percent_of,
)
from .samples import MESSY, UNUSED_IMPORT


async def still_serving(e: Editor) -> None:
    """The server answers and lints after whatever went wrong."""
    uri = await e.open("alive.py", UNUSED_IMPORT)
    assert any(a.title.endswith("Remove unused import: `os`") for a in await e.code_actions(uri))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"ruffPath": "/nonexistent/ruff"}, "Ruff not found at /nonexistent/ruff (no such file)"),
        ({"ruffArgs": ["--no-such-flag"]}, "rejects the extra argument '--no-such-flag'"),
        (
            {"lintTimeout": 0.001},
            "took longer than 0.001s and was stopped. Raise surefix.lintTimeout",
        ),
    ],
)
async def test_ruff_missing_failing_or_slow_is_one_message_and_no_diagnostics(
    editor: Session, config: dict, expected: str
) -> None:
    async with editor(config=config) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await e.diagnostics(uri) == []
        await e.change(uri, UNUSED_IMPORT + "\n")
        assert expected in await e.message(expected)
        assert sum(expected in m for m in e.messages()) == 1  # not once per keystroke
        assert await e.code_actions(uri) == []
        e.client.set_configuration({}, section="surefix")
        e.client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(0)
        await still_serving(e)


RUFF = (
    Path(sys.executable).parent / "ruff"
)  # the Ruff installed with surefix, as the server finds it


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def mangling(path: Path, reply: str) -> Path:
    """A Ruff that answers everything but the lint itself truly, and the lint with `reply`
    (shell code): a broken wrapper or a half-installed copy."""
    lint = '*" --output-format json "*) cat >/dev/null; ' + reply + ";;"
    return script(path, f'case " $* " in\n  {lint}\n  *) exec {RUFF} "$@";;\nesac\n')


def not_executable(tmp: Path) -> Path:
    path = tmp / "ruff"
    shutil.copy(RUFF, path)
    path.chmod(0o644)
    return path


def directory(tmp: Path) -> Path:
    (tmp / "ruff").mkdir()
    return tmp / "ruff"


# A broken install: what is run, what the message says went wrong (the remedy follows).
BROKEN_RUFFS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "not executable": (not_executable, "cannot be run: it is not executable"),
    "a directory": (directory, "is a directory, not a program"),
    "no location": (
        lambda tmp: mangling(tmp / "ruff", """echo '[{"code": "F401", "message": "m"}]'"""),
        'printed JSON surefix cannot read: diagnostic 1 of 1 (F401) has no "location"',
    ),
    "an object": (
        lambda tmp: mangling(tmp / "ruff", """echo '{"diagnostics": []}'"""),
        "printed JSON surefix cannot read: expected a list of diagnostics, got an object",
    ),
    "killed": (
        lambda tmp: mangling(tmp / "ruff", "kill -9 $$"),
        "was killed by signal 9 (SIGKILL) while linting. It may pass: surefix tries again",
    ),
    "false": (lambda tmp: Path("/bin/false"), "/bin/false is not Ruff (`--version`"),
    "python": (lambda tmp: Path(sys.executable), "is not Ruff (`--version` printed 'Python 3."),
    "too old": (
        lambda tmp: script(tmp / "ruff", "echo ruff 0.1.0\n"),
        "Ruff 0.1.0 at {path} is too old for surefix",
    ),
    "too new": (
        lambda tmp: script(
            tmp / "ruff",
            '[ "$1" = --version ] && { echo ruff 99.0.0; exit 0; }\n'
            "printf \"error: unexpected argument '--no-fix' found\\n\\n"
            "Usage: ruff check [OPTIONS] [FILES]...\\n\\n"
            "For more information, try '--help'.\\n\" >&2\nexit 2\n",
        ),
        "does not accept the arguments surefix gives it (unexpected argument '--no-fix' found",
    ),
}
REMEDY = re.compile(  # a sentence of its own, or after "if it keeps failing"
    r"[Ss]et surefix\.ruffPath to Ruff 0\.2\.2 or newer, or leave it empty to use the Ruff "
    r"installed with surefix\.$"
)


@pytest.mark.parametrize("broken", BROKEN_RUFFS.values(), ids=BROKEN_RUFFS)
async def test_a_broken_ruff_is_named_with_what_went_wrong_and_what_to_do(
    editor: Session, tmp_path: Path, broken: tuple[Callable[[Path], Path], str]
) -> None:
    make, problem = broken
    (tmp_path / "bin").mkdir()
    program = make(tmp_path / "bin")
    async with editor(config={"ruffPath": str(program)}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await e.diagnostics(uri) == []
        for n in range(3):  # keystrokes: the same problem, said once
            await e.change(uri, UNUSED_IMPORT + "\n" * (n + 1))
        said = [m for m in e.messages() if "Ruff" in m]
        assert len(said) == 1, said
        (message,) = said
        assert message.startswith("surefix: ") and str(program) in message
        assert problem.format(path=program) in message
        assert REMEDY.search(message), message
        assert await e.code_actions(uri) == [] and await e.hover(uri, 0, 8) is None
        e.client.set_configuration({}, section="surefix")
        e.client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(0)
        await still_serving(e)
    assert not [m for m in e.client.log_messages if "Traceback" in m.message]


async def test_a_symlink_loop_in_the_workspace_is_named_and_the_rest_lints(
    editor: Session,
) -> None:
    async with editor() as e:
        os.symlink(".", e.root / "loop")  # a folder that holds itself: harmless, followed
        os.symlink("b", e.root / "a")  # a → b → a: leads nowhere
        os.symlink("a", e.root / "b")
        os.symlink("pyproject.toml", e.root / "pyproject.toml")
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert [d.code for d in await e.diagnostics(uri)] == ["F401"]
        deep = await e.open("loop/loop/n.py", UNUSED_IMPORT)
        assert [d.code for d in await e.diagnostics(deep)] == ["F401"]
        said = await e.message("pyproject.toml")
        assert said == (
            f"surefix: in {e.root}, pyproject.toml: a symlink loop (its links lead back to "
            "themselves); surefix ignores it"
        )
        nowhere = (e.root / "a" / "m.py").as_uri()  # an editor can still hold a buffer there
        e.texts[nowhere], e.versions[nowhere] = UNUSED_IMPORT, 1
        e.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(
                    uri=nowhere, language_id="python", version=1, text=UNUSED_IMPORT
                )
            )
        )
        assert await e.diagnostics(nowhere) == []
        loop = await e.message("goes through a symlink loop")
        assert loop == (
            f"surefix: {e.root / 'a' / 'm.py'} goes through a symlink loop ({e.root / 'a'} → b → a)"
            "; it cannot be linted until the loop is broken"
        )
        assert sum("pyproject.toml" in m for m in e.messages()) == 1
        await still_serving(e)
    assert not [m for m in e.client.log_messages if "Traceback" in m.message]


@dataclass(frozen=True)
class Odd:
    """An odd file and what its user gets: diagnostics as (code, range, message) -- a syntax
    error has no code -- and each quick fix's title with the text it leaves. No message: an odd
    file is still just a file."""

    text: str
    diagnostics: list[tuple[str | None, str, str]]
    fixes: dict[str, str] = field(default_factory=dict)


ODD_FILES = {
    "empty": Odd("", []),
    "syntax-error": Odd(
        "def f(:\n",
        [
            (None, "0:6-0:7", "Expected a parameter or the end of the parameter list"),
            (None, "1:0-1:0", "unexpected EOF while parsing"),
        ],
    ),
    # a byte-order mark is a character of line 1 that Ruff does not count
    "byte-order-mark": Odd(
        "\ufeffimport os\nprint(1)\n",
        [
            ("I001", "0:1-0:10", "Import block is un-sorted or un-formatted"),
            ("F401", "0:8-0:10", "`os` imported but unused"),
        ],
        {
            "Organize imports": "\ufeffimport os\n\nprint(1)\n",
            "Remove unused import: `os`": "\ufeffprint(1)\n",
        },
    ),
    # characters `str.splitlines` breaks at and LSP does not
    "not-line-breaks": Odd(
        "x = 1  # a\u2028b\x85c\x0bd\x0ce\nimport os\n",
        [
            (
                "RUF003",
                "0:10-0:11",
                "Comment contains ambiguous `\u2028` (LINE SEPARATOR). Did you mean ` ` (SPACE)?",
            ),
            ("E402", "1:0-1:9", "Module level import not at top of file"),
            ("F401", "1:7-1:9", "`os` imported but unused"),
        ],
        {"Remove unused import: `os`": "x = 1  # a\u2028b\x85c\x0bd\x0ce\n"},
    ),
    "binary": Odd(
        "\x00\x01 binary junk \ufeff\n",
        [
            (None, "0:0-0:1", "Got unexpected token \x00"),
            (None, "0:1-0:2", "Got unexpected token \x01"),
            (None, "0:10-0:14", "Simple statements must be separated by newlines or semicolons"),
            (None, "0:15-0:16", "Got unexpected token \ufeff"),
            (None, "0:16-1:0", "Expected a statement"),
        ],
    ),
    "mixed-newlines": Odd(
        "import os\r\nx = 1\rimport sys\n",
        [
            ("I001", "0:0-0:9", "Import block is un-sorted or un-formatted"),
            ("F401", "0:7-0:9", "`os` imported but unused"),
            ("E402", "2:0-2:10", "Module level import not at top of file"),
            ("F401", "2:7-2:10", "`sys` imported but unused"),
        ],
        {
            "Organize imports": "import os\r\n\r\nx = 1\rimport sys\n",
            "Remove unused import: `os`": "x = 1\rimport sys\n",
            "Remove unused import: `sys`": "import os\r\nx = 1\r",
        },
    ),
}


def span(r: t.Range) -> str:
    return f"{r.start.line}:{r.start.character}-{r.end.line}:{r.end.character}"


def covers(r: t.Range, at: tuple[int, int]) -> bool:
    return (r.start.line, r.start.character) <= at <= (r.end.line, r.end.character)


# LSP ends a line at "\r\n", "\n" or a lone "\r" (Editor's helpers split at "\n" only).
LINE_END = re.compile(r"\r\n|\r|\n")


async def every_action(e: Editor, uri: str) -> list[t.CodeAction]:
    """The code actions for the whole document, lines counted as LSP counts them."""
    lines = LINE_END.split(e.texts[uri])
    end = t.Position(
        line=len(lines) - 1, character=client_units(lines[-1], len(lines[-1]), e.encoding)
    )
    result = await asyncio.wait_for(
        e.client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=uri),
                range=t.Range(start=t.Position(line=0, character=0), end=end),
                context=t.CodeActionContext(diagnostics=list(e.client.diagnostics.get(uri, ()))),
            )
        ),
        WAIT,
    )
    return [a for a in result or () if isinstance(a, t.CodeAction)]


def applied(e: Editor, uri: str, edit: t.WorkspaceEdit) -> str:
    """The document after `edit`, lines counted as LSP counts them."""
    assert edit.document_changes is not None
    (change,) = edit.document_changes
    assert isinstance(change, t.TextDocumentEdit)
    assert (change.text_document.uri, change.text_document.version) == (uri, e.versions[uri])
    text = e.texts[uri]
    lines = LINE_END.split(text)
    starts = [0, *(m.end() for m in LINE_END.finditer(text))]

    def offset(p: t.Position) -> int:
        return starts[p.line] + code_points(lines[p.line], p.character, e.encoding)

    for text_edit in sorted(change.edits, key=lambda x: offset(x.range.start), reverse=True):
        assert isinstance(text_edit, t.TextEdit)
        start, end = offset(text_edit.range.start), offset(text_edit.range.end)
        text = text[:start] + text_edit.new_text + text[end:]
    return text


def other_actions(found: list[t.Diagnostic]) -> list[str]:
    """The titles besides the fixes: `# noqa` per rule and line, "This fix is wrong" per fix,
    "Fix all RULE" per rule with two fixes or more (the odd files' fixes are all safe), the
    fix-all when there is a fix, and organize imports when imports are unsorted."""
    noqa = {(d.code, d.range.start.line) for d in found if d.code is not None}
    fixable = [d.code for d in found if d.data and d.data["fixable"]]
    return sorted(
        [f"Ignore {code} on this line (# noqa: {code})" for code, _ in noqa]
        + [f"This fix is wrong ({code}): surefix will trust it less" for code in fixable]
        + [f"Fix all {code} in this file" for code in set(fixable) if fixable.count(code) > 1]
        + (["surefix: apply all trusted fixes"] if fixable else [])
        + (["surefix: organize imports"] if "I001" in fixable else [])
    )


@pytest.mark.parametrize("odd", ODD_FILES.values(), ids=ODD_FILES)
async def test_odd_files_get_their_diagnostics_fixes_and_hovers(editor: Session, odd: Odd) -> None:
    async with editor() as e:
        uri = await e.open("odd.py", odd.text)
        assert e.client.published_versions[uri] == 1
        found = await e.diagnostics(uri)
        assert [(d.code, span(d.range), d.message) for d in found] == odd.diagnostics
        for d in found:
            assert d.source == "surefix"
            is_syntax_error = d.code is None
            assert d.severity == (Severity.Error if is_syntax_error else Severity.Warning)
            assert (d.data is None) == is_syntax_error
        actions = await every_action(e, uri)
        fixes = {fix_text(a): a for a in actions if is_fix(a)}
        assert {title: applied(e, uri, a.edit) for title, a in fixes.items() if a.edit} == odd.fixes
        assert sorted(a.title for a in actions if not is_fix(a)) == other_actions(found)
        for d in found:  # a hover explains each fix under the cursor, in order
            at = (d.range.start.line, d.range.start.character)
            under = [o for o in found if o.data and o.data["fixable"] and covers(o.range, at)]
            hover = await e.hover(uri, *at)
            if not under:
                assert hover is None
                continue
            assert hover is not None and hover.range == under[0].range
            assert isinstance(hover.contents, t.MarkupContent)
            sections = hover.contents.value.split("\n\n---\n\n")
            assert [x.split("]")[0] for x in sections] == [f"**[{o.code}" for o in under]
        assert e.messages() == []
        assert [m.message for m in e.client.log_messages if m.type == t.MessageType.Error] == []
        await e.change(uri, UNUSED_IMPORT)  # the same document, now an ordinary file
        (d,) = await e.diagnostics(uri)
        assert (d.code, span(d.range)) == ("F401", "0:7-0:9")
        assert e.client.published_versions[uri] == 2
        await still_serving(e)


async def test_a_huge_file_is_skipped_with_a_message(editor: Session) -> None:
    text = "x = 1\n" * 1_750_000  # 10.5 MB
    async with editor() as e:
        uri = await e.open("huge.py", text)
        assert await e.diagnostics(uri) == []
        assert "is 10.5 MB" in await e.message("surefix.maxFileSize")
        await still_serving(e)


async def test_unknown_documents_and_positions_out_of_range_get_empty_answers(
    editor: Session,
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        e.texts["file:///nowhere/x.py"] = UNUSED_IMPORT
        assert await e.code_actions("file:///nowhere/x.py") == []
        assert await e.hover("file:///nowhere/x.py", 0, 0) is None
        assert await e.hover(uri, 10_000, 10_000) is None
        far = await e.client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=uri),
                range=t.Range(
                    start=t.Position(line=500, character=0), end=t.Position(line=900, character=3)
                ),
                context=t.CodeActionContext(diagnostics=[]),
            )
        )
        assert not [a for a in far or () if isinstance(a, t.CodeAction) and a.kind == "quickfix"]
        await still_serving(e)


async def test_a_stale_apply_command_changes_nothing(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("messy.py", MESSY)
        await e.change(uri, MESSY + "\n")
        result = await e.execute("surefix.applyTrustedFixes", {"uri": uri, "version": 1})
        assert result == {"applied": 0, "reason": "stale version"}
        assert e.applied_edits == []


async def test_a_broken_model_falls_back_to_the_bundled_one(
    editor: Session, tmp_path: Path
) -> None:
    broken = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), broken)
    (broken / "params.json").write_text("{}")
    async with editor(config={"modelPath": str(broken)}) as e:
        text = await e.message("using the bundled one")
        assert str(broken) in text
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = [a for a in await e.code_actions(uri) if a.title.endswith("`os`")]
        assert fix.title[0] in "✓?✗" and "%" in fix.title


Edit = Callable[[dict[str, Any]], None]


def tampered_model(
    tmp_path: Path, params: Edit | None = None, manifest: Edit | None = None, forged: bool = True
) -> Path:
    """A sealed copy of the bundled model, then edited. `forged`: its checksums and seal are
    recomputed afterwards, as someone who knows the format would, so only its values show it."""
    model = tmp_path / "tampered-model"
    shutil.copytree(bundled_model_dir(), model, ignore=shutil.ignore_patterns("*.csv.gz"))
    seal_artifact(model)
    for name, edit in (("params.json", params), ("manifest.json", manifest)):
        if edit is not None:
            data = json.loads((model / name).read_text())
            edit(data)
            (model / name).write_text(json.dumps(data))
    if forged:
        meta = json.loads((model / "manifest.json").read_text())
        meta["files"]["params.json"]["sha256"] = sha256_file(model / "params.json")
        meta[SEAL_KEY] = {"sha256": manifest_seal(meta)}
        (model / "manifest.json").write_text(json.dumps(meta))
    return model


def bundled_percent(e: Editor, name: str) -> int:
    """The badge the bundled model gives the `os` fix of `name`, asked of `surefix check`."""
    (fix,) = [
        f for f in check_json(e.root / name) if f["message"].endswith("`os` imported but unused")
    ]
    return min(99, max(1, floor(100 * fix["score"] + 1e-9)))


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (
            {"manifest": lambda m: m["thresholds"].update(auto=0), "forged": False},
            "manifest.json does not match its seal",
        ),
        (
            {"params": lambda p: p["coef"].__setitem__(0, 1e308)},
            "is 1e+308; a trust model's weights stay within ±100 log-odds",
        ),
    ],
    ids=["threshold-changed", "weight-1e308-resealed"],
)
async def test_a_tampered_model_is_refused_by_name_and_the_bundled_one_serves(
    editor: Session, tmp_path: Path, tamper: dict[str, Any], said: str
) -> None:
    model = tampered_model(tmp_path, **tamper)
    async with editor(config={"modelPath": str(model)}) as e:
        text = await e.message("using the bundled one")
        assert text.startswith(f"surefix: cannot load the model at {model} (") and said in text
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = [a for a in await e.code_actions(uri) if a.title.endswith("`os`")]
        assert fix.title[0] in "✓?✗" and percent_of(fix) == bundled_percent(e, "m.py")
        assert e.client.statuses[-1].source == "bundled"  # type: ignore[attr-defined]


def tiny_spreads(params: dict[str, Any]) -> None:
    """Every per-rule slope divides by 1e-308: each value is in range, yet a fix's
    standardised value overflows, and with it the log-odds."""
    for feature in params["design"]["features"]:
        if feature["kind"] == "slope":
            feature["spread"] = 1e-308


async def test_a_model_whose_scores_are_not_numbers_is_replaced_once_and_fixes_still_work(
    editor: Session, tmp_path: Path
) -> None:
    model = tampered_model(tmp_path, params=tiny_spreads)
    async with editor(config={"modelPath": str(model)}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        text = await e.message("not a finite number")
        assert text.startswith(f"surefix: the model at {model} gives a fix of F401 a score")
        assert text.endswith("its parameters overflow on this file; using the bundled one instead")
        (fix,) = [a for a in await e.code_actions(uri) if a.title.endswith("`os`")]
        assert fix.title[0] in "✓?✗" and percent_of(fix) == bundled_percent(e, "m.py")
        hover = await e.hover(uri, 0, 8)
        assert hover is not None and "F401" in str(hover.contents)
        other = await e.open("other.py", UNUSED_IMPORT + "import sys\n")
        assert [a for a in await e.code_actions(other) if a.title.endswith("`sys`")]
        assert sum("not a finite number" in m for m in e.messages()) == 1
        assert e.client.statuses[-1].source == "bundled"  # type: ignore[attr-defined]


async def test_with_no_loadable_model_fixes_are_unscored_and_never_automatic(
    editor: Session, tmp_path: Path
) -> None:
    async with editor(env={"SUREFIX_BUNDLED_MODEL": str(tmp_path / "missing")}) as e:
        assert "no trust model could be loaded" in await e.message("no trust model")
        uri = await e.open("m.py", UNUSED_IMPORT)
        (fix,) = [a for a in await e.code_actions(uri) if "Remove unused" in a.title]
        assert fix.title == (
            "· n/a Ruff (F401): Remove unused import: `os` (trust score unavailable; Ruff: safe)"
        )
        assert not fix.is_preferred
        (held,) = await e.code_actions(uri, only=["source.fixAll.surefix"])  # none trusted
        assert held.disabled is not None and "(no trust model is loaded)" in held.disabled.reason


async def test_a_request_waiting_on_an_analysis_outlives_a_rescore_of_every_document(
    editor: Session,
) -> None:
    """Settings, the model or the user's record change while a request waits for its version's
    analysis: every open document is analysed again, and the request gets that analysis."""
    import sysconfig

    long_module = Path(sysconfig.get_paths()["stdlib"]) / "_pydecimal.py"
    text = "import os\n" + long_module.read_text(encoding="utf-8")  # its analysis takes a while
    async with editor() as e:
        uri = await e.open("big.py", UNUSED_IMPORT)
        for threshold in (0.5, 0.6, 0.7):
            await e.change(uri, text + f"# {threshold}\n", wait=False)
            asked = asyncio.ensure_future(e.code_actions(uri, line=0))
            e.client.set_configuration({"autoThreshold": threshold}, section="surefix")
            e.client.workspace_did_change_configuration(
                t.DidChangeConfigurationParams(settings=None)
            )
            titles = [a.title for a in await asked]
            assert any(title.endswith("Remove unused import: `os`") for title in titles), titles
